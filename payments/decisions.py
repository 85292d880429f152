"""The payment decisions, from plain values to a verdict: no database, no I/O, no clock.

Each function answers one money question (what Paystack's verify answer means for an attempt
and its group, what a late or double payment calls for, which of our refunds an event settles,
what is left to refund, when to try a refund again). The services in `payments.services` load
and lock the rows, ask these functions, apply the verdict and queue the side effects.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.utils.dateparse import parse_datetime

from orders.models import OrderGroup
from payments.models import Payment, Refund

PaymentStatus = Payment.Status
RefundStatus = Refund.Status
GroupPaymentStatus = OrderGroup.PaymentStatus

# After this, Paystack has given up on an unpaid transaction: so do we.
ABANDON_AFTER = timedelta(hours=48)
# How often a refund call is tried in all (task retries and the periodic sweep together).
REFUND_MAX_ATTEMPTS = 8
# Refusals of ``GET /transaction/verify`` that mean Paystack does not know the reference.
UNKNOWN_REFERENCE_STATUSES = frozenset({400, 404})

REFUND_FAILED_MESSAGE = "Paystack reported the refund as failed."


# --- Verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A payment attempt as stored: what we asked Paystack to charge, and where it stands."""

    reference: str
    amount: int  # kobo
    currency: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class GroupTerms:
    """What the order group can take now, as `orders` sees it under the group's lock."""

    payable: bool  # unpaid, not cancelled, deadline not passed
    awaiting_payment: bool  # unpaid and not cancelled, whatever its deadline
    expires_at: datetime | None
    paid: bool  # its payment status is no longer `unpaid`
    amount_due: int  # kobo: the totals of its orders not cancelled


@dataclass(frozen=True)
class RefundDue:
    """Money to send back: how much, the reason stored on the refund, and, when the customer
    is to be told, why (in the e-mail's words)."""

    amount: int  # kobo
    currency: str
    reason: str
    tell_customer: str | None = None


@dataclass(frozen=True)
class ChargeDecision:
    """What a successful charge does: pay the group, refund money it cannot take, or both."""

    pay_group: bool
    refund: RefundDue | None = None


@dataclass(frozen=True)
class VerificationDecision:
    """What the attempt becomes after Paystack's verify answer, and what follows from it."""

    status: str  # the attempt's status from now on (unchanged when the answer changes nothing)
    record_answer: bool = False  # keep Paystack's answer on the attempt
    paid_at: datetime | None = None  # set when the attempt has just succeeded
    pay_group: bool = False
    refund: RefundDue | None = None


def verification_outcome(*, attempt: Attempt, answer: Mapping[str, Any]) -> str:
    """What Paystack's verify answer means for the attempt: a `Payment.Status` value.

    Only ``status == "success"`` for our reference with exactly the expected amount (kobo) and
    currency is a success; a success with another amount or currency is `amount_mismatch`.
    """
    status = str(answer.get("status") or "").lower()
    if answer.get("reference") not in (None, attempt.reference):
        return PaymentStatus.FAILED
    if status == "success":
        charged = _int_or_none(answer.get("amount"))
        if charged is None:
            return PaymentStatus.AMOUNT_MISMATCH
        currency = str(answer.get("currency") or "").upper()
        if charged != attempt.amount or currency != attempt.currency.upper():
            return PaymentStatus.AMOUNT_MISMATCH
        return PaymentStatus.SUCCESS
    if status in ("failed", "reversed"):
        return PaymentStatus.FAILED
    if status == "abandoned":
        return PaymentStatus.ABANDONED
    return PaymentStatus.PENDING  # ongoing, pending, processing, queued, ...


def verify_refusal_is_answer(*, http_status: int) -> bool:
    """Whether Paystack refusing ``GET /transaction/verify`` with `http_status` answers the
    question: only "unknown reference" (400, 404) does, and the attempt failed. Any other
    refusal (our key refused, ...) says nothing about the charge: ask again later."""
    return http_status in UNKNOWN_REFERENCE_STATUSES


def answer_paid_at(answer: Mapping[str, Any], *, default: datetime) -> datetime:
    """When Paystack says the charge was made (an aware timestamp), else `default`."""
    raw = answer.get("paid_at") or answer.get("paidAt")
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else default


def abandon_cutoff(*, now: datetime) -> datetime:
    """Attempts created before this are abandoned: Paystack no longer takes their payment."""
    return now - ABANDON_AFTER


def charge_decide(
    *, amount: int, currency: str, group: GroupTerms, paid_at: datetime
) -> ChargeDecision:
    """What a successful charge of `amount` calls for.

    It pays the group when the group is payable, or still open and the charge was made before
    its deadline (only the webhook was late); anything above what is due (a shop cancelled its
    unpaid order after the attempt started) goes back. A group that cannot take it (paid by
    another attempt, cancelled, expired) gets none of it: the whole charge goes back, and the
    customer is told why.
    """
    takes = group.payable or (
        group.awaiting_payment and group.expires_at is not None and paid_at <= group.expires_at
    )
    if takes:
        over = amount - group.amount_due
        if over <= 0:
            return ChargeDecision(pay_group=True)
        refund = RefundDue(
            amount=over, currency=currency, reason="Order cancelled before the payment arrived."
        )
        return ChargeDecision(pay_group=True, refund=refund)
    if group.paid:
        refund = RefundDue(
            amount=amount,
            currency=currency,
            reason="Order already paid.",
            tell_customer="the order was already paid",
        )
    else:
        refund = RefundDue(
            amount=amount,
            currency=currency,
            reason="Order cancelled or expired before the payment arrived.",
            tell_customer="the order was cancelled or its payment time ran out",
        )
    return ChargeDecision(pay_group=False, refund=refund)


def verification_decide(
    *, attempt: Attempt, group: GroupTerms, answer: Mapping[str, Any], now: datetime
) -> VerificationDecision:
    """What Paystack's verify `answer` means for the attempt and its group.

    Idempotent: an attempt already `success` stays as it is, and a `failed` or
    `amount_mismatch` one changes only when a success comes. A success is placed by
    `charge_decide`. Paystack calls a transaction "abandoned" until it is paid, so an attempt
    stays pending while its group can be paid and it is younger than `ABANDON_AFTER`. A success
    of another amount or currency leaves the group unpaid and sends back what was charged.
    """
    if attempt.status == PaymentStatus.SUCCESS:
        return VerificationDecision(status=attempt.status)
    outcome = verification_outcome(attempt=attempt, answer=answer)
    if outcome == PaymentStatus.SUCCESS:
        paid_at = answer_paid_at(answer, default=now)
        charge = charge_decide(
            amount=attempt.amount, currency=attempt.currency, group=group, paid_at=paid_at
        )
        return VerificationDecision(
            status=outcome,
            record_answer=True,
            paid_at=paid_at,
            pay_group=charge.pay_group,
            refund=charge.refund,
        )
    if attempt.status not in (PaymentStatus.PENDING, PaymentStatus.ABANDONED):
        return VerificationDecision(status=attempt.status)
    if outcome == PaymentStatus.ABANDONED:
        young = attempt.created_at > abandon_cutoff(now=now)
        if young and group.payable:
            outcome = PaymentStatus.PENDING
    refund = None
    if outcome == PaymentStatus.AMOUNT_MISMATCH:
        charged = max(_int_or_none(answer.get("amount")) or 0, 0)
        if charged > 0:
            refund = RefundDue(
                amount=charged,
                currency=str(answer.get("currency") or attempt.currency),
                reason="Paid amount did not match the order.",
                tell_customer="the amount paid did not match the order's total",
            )
    return VerificationDecision(
        status=outcome, record_answer=outcome != PaymentStatus.PENDING, refund=refund
    )


# --- Refunds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentBalance:
    """A successful payment and what was already refunded of it (kobo)."""

    id: uuid.UUID
    amount: int
    refunded: int  # every refund recorded, failed ones included (they are retried)


@dataclass(frozen=True)
class RefundAllocation:
    payment_id: uuid.UUID
    amount: int


def refund_allocate(*, amount: int, payments: Sequence[PaymentBalance]) -> RefundAllocation | None:
    """Which payment a refund of `amount` is taken from, and how much of it: the first payment
    (in the order given, oldest first) with something left, never more than what is left."""
    if amount <= 0:
        return None
    for payment in payments:
        remaining = payment.amount - payment.refunded
        if remaining > 0:
            return RefundAllocation(payment_id=payment.id, amount=min(amount, remaining))
    return None


def refund_claimable(*, status: str, attempts: int) -> bool:
    """Whether a refund may be sent (again) now: pending or failed, attempts left."""
    claimable = status in (RefundStatus.PENDING, RefundStatus.FAILED)
    return claimable and attempts < REFUND_MAX_ATTEMPTS


def refund_retry_due(*, attempts: int, failed_at: datetime, now: datetime) -> bool:
    """Whether a failed refund's backoff has passed: 2^attempts minutes, at most six hours."""
    backoff = timedelta(minutes=min(2**attempts, 360))
    return attempts < REFUND_MAX_ATTEMPTS and failed_at <= now - backoff


@dataclass(frozen=True)
class RefundEvent:
    """A ``refund.*`` event as Paystack sends it."""

    reference: str  # the transaction's
    status: str
    amount: int | None
    provider_id: str  # Paystack's refund id, "" when the event has none


@dataclass(frozen=True)
class RefundState:
    """One of our refunds of the event's transaction, as stored."""

    id: uuid.UUID
    amount: int
    status: str
    attempts: int
    provider_refund_id: str


class RefundAction(StrEnum):
    SETTLE = "settle"  # processed: the money went back
    FAIL = "fail"  # failed: the usual retries send it again
    PROCESS = "process"  # Paystack is working on it
    RECORD = "record"  # no change of status; Paystack's id is recorded if we had none
    NOTE_AMBIGUOUS = "note_ambiguous"  # a failure that may be an earlier attempt's: a person checks
    IGNORE = "ignore"


@dataclass(frozen=True)
class RefundEventDecision:
    refund_id: uuid.UUID
    action: RefundAction


def refund_event_read(*, event: str, data: Mapping[str, Any]) -> RefundEvent:
    """The fields of a ``refund.*`` event that matter, whatever their shape."""
    transaction = data.get("transaction")
    reference = data.get("transaction_reference") or (
        transaction.get("reference") if isinstance(transaction, Mapping) else None
    )
    return RefundEvent(
        reference=str(reference or ""),
        status=str(data.get("status") or event.rsplit(".", 1)[-1]).lower(),
        amount=_int_or_none(data.get("amount")),
        provider_id=str(data.get("id") or ""),
    )


def refund_event_match(
    *, event: RefundEvent, refunds: Sequence[RefundState]
) -> tuple[RefundState, bool] | None:
    """Which of our refunds of the transaction (oldest first) the event is about, and whether
    it was matched by Paystack's refund id.

    By Paystack's id when one of ours carries it; otherwise the first refund not yet processed
    of the event's amount, or failing that the first refund not yet processed.
    """
    if event.provider_id:
        for refund in refunds:
            if refund.provider_refund_id == event.provider_id:
                return refund, True
    still_open = [r for r in refunds if r.status != RefundStatus.PROCESSED]
    same_amount = [r for r in still_open if r.amount == event.amount]
    candidates = same_amount or still_open
    return (candidates[0], False) if candidates else None


def refund_event_decide(
    *, event: RefundEvent, refunds: Sequence[RefundState]
) -> RefundEventDecision | None:
    """What a ``refund.*`` event does to which of our refunds (None: it is about none of them).

    A failure matched by amount only, on a refund sent more than once and still processing,
    may be an earlier attempt's while the latest is on its way: failing it would send it
    again, so it is only noted. A processed refund stays processed whatever comes after.
    """
    match = refund_event_match(event=event, refunds=refunds)
    if match is None:
        return None
    refund, by_provider_id = match
    if event.status == "processed":
        action = RefundAction.SETTLE
    elif event.status == "failed":
        if refund.status == RefundStatus.PROCESSED:
            action = RefundAction.IGNORE
        elif (
            not by_provider_id and refund.status == RefundStatus.PROCESSING and refund.attempts > 1
        ):
            action = RefundAction.NOTE_AMBIGUOUS
        else:
            action = RefundAction.FAIL
    elif refund.status in (RefundStatus.PENDING, RefundStatus.FAILED):
        action = RefundAction.PROCESS  # pending, processing: Paystack is working on it
    else:
        action = RefundAction.RECORD
    return RefundEventDecision(refund_id=refund.id, action=action)


class ReconcileAction(StrEnum):
    SETTLE = "settle"  # Paystack says processed: the money went back
    NOTE_AMBIGUOUS = "note_ambiguous"  # Paystack says failed, maybe an earlier attempt's
    WAIT = "wait"  # unknown to Paystack (yet), or still on its way: ask again later


def reconcile_decide(*, provider_status: str | None) -> ReconcileAction:
    """What Paystack's record of a refund stuck in `processing` (None: it has none) calls for.

    Only `processed` is applied: it proves the money went back and settling it never sends
    money. A `failed` may be that of an earlier attempt while a later one went through, so it
    is noted for a person (the `refund.failed` webhook still applies as usual).
    """
    status = (provider_status or "").lower()
    if status == "processed":
        return ReconcileAction.SETTLE
    if status == "failed":
        return ReconcileAction.NOTE_AMBIGUOUS
    return ReconcileAction.WAIT


def reconcile_pick(
    *,
    provider_refunds: Sequence[Mapping[str, Any]],
    reference: str,
    transaction_id: str,
    amount: int,
    matched_ids: frozenset[str],
) -> Mapping[str, Any] | None:
    """Among Paystack's refunds of a transaction, the one that is ours: of the transaction
    (by reference or id), of the same amount, not matched to another of ours already; a
    processed one first."""
    candidates = [
        item
        for item in provider_refunds
        if (
            reference == item.get("transaction_reference")
            or (transaction_id and transaction_id == str(item.get("transaction") or ""))
        )
        and str(item.get("id")) not in matched_ids
        and str(item.get("amount")) == str(amount)
    ]
    processed = [item for item in candidates if _status_of(item) == "processed"]
    preferred = processed or candidates
    return preferred[0] if preferred else None


def group_payment_status_after_refunds(
    *, current: str, paid: int, refunded: int, total: int
) -> str | None:
    """The group's payment status from what Paystack confirmed (kobo): net money kept =
    successful payments - processed refunds. None for a group never paid (money refunded from
    it, such as a mismatched charge, never paid it). The orders app's writer keeps the status
    from moving back."""
    if current == GroupPaymentStatus.UNPAID:
        return None
    net = paid - refunded
    if net <= 0:
        return GroupPaymentStatus.REFUNDED
    if net < total and refunded:
        return GroupPaymentStatus.PARTIALLY_REFUNDED
    return GroupPaymentStatus.PAID


def _status_of(item: Mapping[str, Any]) -> str:
    return str(item.get("status") or "").lower()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
