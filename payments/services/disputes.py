"""Disputes (chargebacks) Paystack reports on our payments: recorded and told to people."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from orders.models import Order
from payments import decisions
from payments.models import Dispute, Payment
from payments.services.notices import admin_emails, notice_queue

logger = logging.getLogger(__name__)


def dispute_apply_event(*, event: str, data: dict[str, Any]) -> Dispute | None:
    """Record a ``charge.dispute.*`` event on the disputed payment (one row per Paystack
    dispute, updated by its later events) and e-mail the admins and the owners of the shops
    whose orders the payment paid. None when the transaction is not one of ours."""
    facts = decisions.dispute_read(event=event, data=data)
    payment = (
        Payment.objects.select_related("group").filter(reference=facts.reference).first()
        if facts.reference
        else None
    )
    if payment is None or not facts.provider_id:
        logger.warning("Dispute event %s about no payment of ours: %s", event, facts.reference)
        return None
    values = {
        "status": facts.status[:40],
        "reason": facts.reason,
        "amount": facts.amount,
        "due_at": facts.due_at,
        "resolved_at": facts.resolved_at,
        "payload": data,
    }
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update()
            .filter(provider_dispute_id=facts.provider_id)
            .first()
        )
        if dispute is None:
            try:
                with transaction.atomic():
                    dispute = Dispute.objects.create(
                        payment=payment, provider_dispute_id=facts.provider_id, **values
                    )
            except IntegrityError:
                dispute = Dispute.objects.select_for_update().get(
                    provider_dispute_id=facts.provider_id
                )
        for name, value in values.items():
            setattr(dispute, name, value)
        dispute.save()
        _dispute_notice(event=event, dispute=dispute, payment=payment)
    return dispute


def _dispute_notice(*, event: str, dispute: Dispute, payment: Payment) -> None:
    group = payment.group
    owners = [
        email
        for email in Order.objects.filter(group=group).values_list("shop__owner__email", flat=True)
        if email
    ]
    amount = (
        f"{payment.currency} {Decimal(dispute.amount) / 100:,.2f}"
        if dispute.amount is not None
        else "an amount not given"
    )
    kind = event.rsplit(".", 1)[-1]
    subject = {
        "create": f"A dispute was opened on order {group.number}",
        "remind": f"Reminder: the dispute on order {group.number} needs an answer",
        "resolve": f"The dispute on order {group.number} was resolved",
    }.get(kind, f"Dispute update on order {group.number}")
    lines = [
        f"Paystack reports a dispute ({dispute.reason or 'no reason given'}) of {amount} on "
        f"payment {payment.reference} for order {group.number}: status {dispute.status}.",
    ]
    if dispute.due_at is not None and dispute.resolved_at is None:
        lines.append(f"An answer is due by {dispute.due_at:%Y-%m-%d %H:%M} UTC.")
    if dispute.resolved_at is not None:
        lines.append(f"Resolved at {dispute.resolved_at:%Y-%m-%d %H:%M} UTC.")
    notice_queue(
        to=[*admin_emails(), *owners],
        subject=subject,
        lines=lines,
        key=f"dispute:{dispute.provider_dispute_id}:{kind}:{dispute.status}",
    )
