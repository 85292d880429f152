"""Reads for payments, scoped to who asks."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet

from core.errors import NotFound
from orders.models import OrderGroup
from payments.models import Dispute, Payment, Refund, RefundItem
from users.models import User


def group_payable_by(*, user: User, group_id: uuid.UUID) -> OrderGroup:
    """The caller's own order group (only its customer pays it; anyone else gets 404)."""
    group = OrderGroup.objects.filter(id=group_id, customer_id=user.pk).first()
    if group is None:
        raise NotFound("Order group not found.")
    return group


def payments_for_user(*, user: User) -> QuerySet[Payment]:
    """Payment attempts the caller may see: their groups' (every one for platform admins)."""
    payments = Payment.objects.select_related("group").prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")),
        Prefetch("disputes", queryset=Dispute.objects.order_by("created_at", "id")),
    )
    if not user.is_platform_admin:
        payments = payments.filter(group__customer_id=user.pk)
    return payments


def payment_for_user(*, user: User, reference: str) -> Payment:
    payment = payments_for_user(user=user).filter(reference=reference).first()
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def order_refund_detail(*, refund_id: uuid.UUID) -> Refund:
    """One refund with its order's group and its lines (no scoping: callers scope first)."""
    return (
        Refund.objects.select_related("order__group")
        .prefetch_related(Prefetch("items", queryset=RefundItem.objects.order_by("id")))
        .get(id=refund_id)
    )
