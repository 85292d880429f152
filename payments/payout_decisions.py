"""Payout decisions, from plain values to a verdict: no database, no I/O, no clock.

What Paystack's word on a transfer (the answer to ``POST /transfer``, a ``transfer.*`` webhook,
``GET /transfer/verify``) means for one of our payouts. `payments.services.payouts` locks the
rows, asks these functions and applies the verdict.
"""

from __future__ import annotations

from payments.models import Payout

Status = Payout.Status

OPEN_STATUSES = frozenset({Status.PENDING, Status.PROCESSING, Status.NEEDS_ATTENTION})
# Statuses in which the money came back to the shop's balance (`payout_reversed`).
CREDITED_BACK = frozenset({Status.FAILED, Status.REVERSED})
# Paystack's transfer statuses that mean "under way".
UNDER_WAY = frozenset({"pending", "received", "queued", "processing"})
# ... and those that mean no money left (or it came back).
FAILED = frozenset({"failed", "abandoned", "rejected", "blocked"})
# The webhook events that settle a transfer, and the status each one reports.
TRANSFER_EVENTS = {
    "transfer.success": "success",
    "transfer.failed": "failed",
    "transfer.reversed": "reversed",
}


def payout_next_status(*, current: str, provider_status: str) -> str | None:
    """The payout's new status after Paystack reports `provider_status`, or None to change
    nothing: a final status never moves again, except a paid payout that is reversed; a
    report that comes late (an older status after a newer one) is ignored."""
    provider_status = provider_status.lower()
    if current in OPEN_STATUSES:
        if provider_status == "success":
            return Status.PAID
        if provider_status in FAILED:
            return Status.FAILED
        if provider_status == "reversed":
            return Status.REVERSED
        if provider_status == "otp":
            return Status.NEEDS_ATTENTION if current != Status.NEEDS_ATTENTION else None
        if provider_status in UNDER_WAY and current == Status.PENDING:
            return Status.PROCESSING
        return None
    if current == Status.PAID and provider_status == "reversed":
        return Status.REVERSED
    return None


def payout_conflicts(*, current: str, provider_status: str) -> bool:
    """Paystack reports money sent for a payout we recorded as failed (and credited back): a
    person must look (the shop may hold the money twice)."""
    return current in CREDITED_BACK and provider_status.lower() == "success"
