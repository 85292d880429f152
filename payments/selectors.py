"""Reads for payments, scoped to who asks."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from core.errors import NotFound
from orders.models import OrderGroup
from payments.models import Dispute, LedgerEntry, Payment, Payout, Refund, RefundItem
from shops.models import Shop
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


# --- Settlement -------------------------------------------------------------------------------


def ledger_for_shop(*, shop: Shop) -> QuerySet[LedgerEntry]:
    """The shop's ledger entries, newest first."""
    return LedgerEntry.objects.filter(shop=shop).order_by("-created_at", "-id")


def payouts_for_shop(*, shop: Shop) -> QuerySet[Payout]:
    """The shop's payouts, newest first."""
    return Payout.objects.filter(shop=shop).order_by("-created_at", "-id")


STATEMENT_COLUMNS = [
    "date",
    "kind",
    "amount",
    "balance",
    "order",
    "refund_id",
    "payout_reference",
    "available_on",
    "note",
]


def _csv_text(text: str) -> str:
    # Free text a spreadsheet would run as a formula is prefixed with `'`.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def shop_statement_csv(*, shop: Shop, year: int, month: int) -> str:
    """The shop's statement of a month (UTC) as CSV: the opening balance, one row an entry of
    the month (oldest first, with the running balance), the closing balance. Three queries."""
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    entries = LedgerEntry.objects.filter(shop=shop)
    opening = entries.filter(created_at__lt=start).aggregate(total=Sum("amount"))["total"]
    balance = (opening or Decimal(0)).quantize(Decimal("0.01"))
    rows = (
        entries.filter(created_at__gte=start, created_at__lt=end)
        .select_related("order", "payout")
        .order_by("created_at", "id")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    writer.writerow([start.date().isoformat(), "opening_balance", "", balance, "", "", "", "", ""])
    for entry in rows:
        balance += entry.amount
        writer.writerow(
            [
                entry.created_at.isoformat(),
                entry.kind,
                entry.amount,
                balance,
                entry.order.number if entry.order else "",
                entry.refund_id or "",
                entry.payout.reference if entry.payout else "",
                entry.available_on.isoformat(),
                _csv_text(entry.note),
            ]
        )
    closing_day = (end - timedelta(days=1)).date().isoformat()
    writer.writerow([closing_day, "closing_balance", "", balance, "", "", "", "", ""])
    return out.getvalue()
