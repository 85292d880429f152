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


class RefusalVerdict(StrEnum):
    ASK_AGAIN = "ask_again"  # says nothing about the charge (yet): the attempt stays pending
    FAILED = "failed"  # Paystack still does not know the reference after the give-up period


def verify_refusal_decide(
    *, http_status: int, attempt_created_at: datetime, now: datetime, give_up_after: timedelta
) -> RefusalVerdict:
    """What Paystack refusing ``GET /transaction/verify`` means for the attempt.

    ``400 Transaction reference not found`` (or 404) is no proof of failure: Paystack answers it
    for references it will know later (delays, a key of the other domain). The attempt fails
    only when it is still unknown `give_up_after` after it was created. Any other refusal (our
    key refused, ...) says nothing about the charge.
    """
    if http_status in UNKNOWN_REFERENCE_STATUSES and attempt_created_at <= now - give_up_after:
        return RefusalVerdict.FAILED
    return RefusalVerdict.ASK_AGAIN


def check_backoff(*, failures: int) -> timedelta:
    """How long to wait before asking Paystack again about an attempt after `failures` asks in
    a row without a usable answer: one minute, doubling, at most an hour."""
    return timedelta(minutes=min(2 ** max(failures - 1, 0), 60)) if failures > 0 else timedelta(0)


def check_due(*, failures: int, checked_at: datetime | None, now: datetime) -> bool:
    """Whether an attempt may be asked about again now (see `check_backoff`)."""
    return checked_at is None or checked_at <= now - check_backoff(failures=failures)


class ExpiryAction(StrEnum):
    EXPIRE = "expire"  # Paystack confirmed no attempt succeeded
    WAIT = "wait"  # some attempt could not be verified: ask again later, keep the group
    EXPIRE_GIVEN_UP = "expire_given_up"  # unverifiable past the give-up period: admins told


def expiry_decide(
    *, unverified: int, expires_at: datetime, now: datetime, give_up_after: timedelta
) -> ExpiryAction:
    """Whether an unpaid group past its deadline may be expired.

    `unverified` counts its attempts Paystack could not be asked about (down, slow, rate
    limiting, reference not known yet) or still has in progress. Never expire what may be
    paid: only a group whose every attempt Paystack answered as not successful is expired; one
    that stays unverifiable `give_up_after` past its deadline is expired and a person told.
    """
    if unverified == 0:
        return ExpiryAction.EXPIRE
    if expires_at <= now - give_up_after:
        return ExpiryAction.EXPIRE_GIVEN_UP
    return ExpiryAction.WAIT


# Paystack's smallest charge per currency, in the subunit (its "Supported currencies" table:
# NGN 50.00, GHS 0.10, USD 2.00); a currency not listed is left to Paystack.
MINIMUM_CHARGE = {"NGN": 5000, "GHS": 10, "USD": 200}


def amount_below_minimum(*, amount: int, currency: str) -> bool:
    """Whether Paystack would refuse to charge `amount` (subunit) of `currency`."""
    return amount < MINIMUM_CHARGE.get(currency.upper(), 0)


def breaker_opens(*, failures: int, threshold: int) -> bool:
    """Whether `failures` of Paystack in a row within the window open the breaker."""
    return failures >= threshold


def transaction_id_read(answer: Mapping[str, Any]) -> int | None:
    """Paystack's numeric id of the transaction in a verify answer."""
    value = _int_or_none(answer.get("id"))
    return value if value is not None and value > 0 else None


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
    """A ``refund.*`` event as Paystack sends it (no refund id: Paystack's events have none)."""

    reference: str  # the transaction's
    status: str  # pending, processing, processed, failed, needs_attention
    amount: int | None
    provider_id: str = ""  # Paystack's refund id, "" unless the event carried one


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
    NEEDS_ATTENTION = "needs_attention"  # Paystack needs the customer's details: admins told
    RECORD = "record"  # no change of status; Paystack's id is recorded if we had none
    NOTE_AMBIGUOUS = "note_ambiguous"  # a failure that may be an earlier attempt's: a person checks
    IGNORE = "ignore"


# Our refunds Paystack may report on: sent, and not settled as failed since.
SENT_STATUSES = frozenset({RefundStatus.PROCESSING, RefundStatus.NEEDS_ATTENTION})


def refund_status_read(value: Any) -> str:
    """Paystack's refund status in our words (``needs-attention`` -> ``needs_attention``)."""
    return str(value or "").strip().lower().replace("-", "_")


def refund_event_read(*, event: str, data: Mapping[str, Any]) -> RefundEvent:
    """The fields of a ``refund.*`` event that matter, whatever their shape."""
    transaction = data.get("transaction")
    reference = data.get("transaction_reference") or (
        transaction.get("reference") if isinstance(transaction, Mapping) else None
    )
    return RefundEvent(
        reference=str(reference or ""),
        status=refund_status_read(data.get("status") or event.rsplit(".", 1)[-1]),
        amount=_int_or_none(data.get("amount")),
        provider_id=str(data.get("id") or ""),
    )


def refund_event_match(
    *, event: RefundEvent, refunds: Sequence[RefundState]
) -> tuple[RefundState, bool] | None:
    """Which of our refunds of the transaction the event is about without doubt, and whether
    it was matched by Paystack's refund id; None when it must be looked up at Paystack.

    By Paystack's id when the event carries one of ours. Otherwise only the one refund we sent
    (`SENT_STATUSES`) of exactly the event's amount: never one not yet sent, one that failed,
    one of another amount, nor one among several of the same amount.
    """
    if event.provider_id:
        for refund in refunds:
            if refund.provider_refund_id == event.provider_id:
                return refund, True
    if event.amount is None:
        return None
    candidates = [r for r in refunds if r.status in SENT_STATUSES and r.amount == event.amount]
    return (candidates[0], False) if len(candidates) == 1 else None


def refund_lookup_pick(
    *,
    event: RefundEvent,
    refunds: Sequence[RefundState],
    provider_refunds: Sequence[Mapping[str, Any]],
) -> RefundState | None:
    """After an event matched none of ours without doubt: which of our refunds Paystack's own
    list of the transaction's refunds (``GET /refund?transaction=<id>``) shows it to be.

    An item of the event's amount and status whose id is one we were given when we sent a
    refund is that refund: one not settled yet whose stored status is not yet the event's
    first (of two same-amount refunds Paystack reports alike, the one the event can still
    move), then one not settled yet. One of ours sent without an id (its call
    timed out) is the item only when it is the one such refund of that amount and the one
    unclaimed item. An event about one of ours already settled (a late redelivery) is that one,
    unless another refund we did not send could be what it is about. Anything else is a refund
    we did not send, or cannot tell: None (recorded for a person).
    """
    if event.amount is None:
        return None
    items = [
        item
        for item in provider_refunds
        if _int_or_none(item.get("amount")) == event.amount
        and refund_status_read(item.get("status")) == event.status
    ]
    known = {r.provider_refund_id: r for r in refunds if r.provider_refund_id}
    listed_ours = [known[i] for i in (str(item.get("id") or "") for item in items) if i in known]
    unsettled = [ours for ours in listed_ours if ours.status != RefundStatus.PROCESSED]
    for ours in unsettled:
        if ours.status != event.status:
            return ours
    if unsettled:
        return unsettled[0]
    unclaimed = [item for item in items if str(item.get("id") or "") not in known]
    without_id = [
        r
        for r in refunds
        if not r.provider_refund_id and r.status in SENT_STATUSES and r.amount == event.amount
    ]
    if len(unclaimed) == 1 and len(without_id) == 1:
        return without_id[0]
    if listed_ours and not unclaimed:
        return listed_ours[0]
    return None


def refund_event_decide(
    *, event: RefundEvent, refund: RefundState, by_provider_id: bool = False
) -> RefundAction:
    """What a ``refund.*`` event does to the refund it was matched to.

    A failure matched by amount only, on a refund sent more than once and still processing,
    may be an earlier attempt's while the latest is on its way: failing it would send it
    again, so it is only noted. A processed refund stays processed whatever comes after.
    """
    if refund.status == RefundStatus.PROCESSED:
        return RefundAction.IGNORE
    if event.status == "processed":
        return RefundAction.SETTLE
    if event.status == "failed":
        if not by_provider_id and refund.status == RefundStatus.PROCESSING and refund.attempts > 1:
            return RefundAction.NOTE_AMBIGUOUS
        return RefundAction.FAIL
    if event.status == RefundStatus.NEEDS_ATTENTION:
        if refund.status == RefundStatus.NEEDS_ATTENTION:
            return RefundAction.RECORD
        return RefundAction.NEEDS_ATTENTION
    if refund.status in (RefundStatus.PENDING, RefundStatus.FAILED):
        return RefundAction.PROCESS  # pending, processing: Paystack is working on it
    return RefundAction.RECORD


class ReconcileAction(StrEnum):
    SETTLE = "settle"  # Paystack says processed: the money went back
    NOTE_AMBIGUOUS = "note_ambiguous"  # Paystack says failed, maybe an earlier attempt's
    NEEDS_ATTENTION = "needs_attention"  # Paystack needs the customer's details: admins told
    WAIT = "wait"  # unknown to Paystack (yet), or still on its way: ask again later


def reconcile_decide(*, provider_status: str | None) -> ReconcileAction:
    """What Paystack's record of a refund stuck in `processing` (None: it has none) calls for.

    `processed` is applied: it proves the money went back and settling it never sends
    money. A `failed` may be that of an earlier attempt while a later one went through, so it
    is noted for a person (the `refund.failed` webhook still applies as usual). A
    `needs-attention` is applied too (admins are told once): it never sends money.
    """
    status = refund_status_read(provider_status)
    if status == "processed":
        return ReconcileAction.SETTLE
    if status == "failed":
        return ReconcileAction.NOTE_AMBIGUOUS
    if status == RefundStatus.NEEDS_ATTENTION:
        return ReconcileAction.NEEDS_ATTENTION
    return ReconcileAction.WAIT


def reconcile_pick(
    *,
    provider_refunds: Sequence[Mapping[str, Any]],
    amount: int,
    matched_ids: frozenset[str],
) -> Mapping[str, Any] | None:
    """Among Paystack's refunds of a transaction (listed by its numeric id), the one that is
    ours: of the same amount, not matched to another of ours already; a processed one first."""
    candidates = [
        item
        for item in provider_refunds
        if str(item.get("id")) not in matched_ids and _int_or_none(item.get("amount")) == amount
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


# --- Disputes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeFacts:
    """A ``charge.dispute.*`` event's dispute, in the words of our payment representation."""

    provider_id: str
    reference: str  # the disputed transaction's
    status: str
    reason: str
    amount: int | None  # kobo
    due_at: datetime | None
    resolved_at: datetime | None


def dispute_read(*, event: str, data: Mapping[str, Any]) -> DisputeFacts:
    """The dispute of a ``charge.dispute.*`` event (Paystack's dispute object)."""
    transaction = data.get("transaction")
    transaction = transaction if isinstance(transaction, Mapping) else {}
    status = str(data.get("status") or "").lower()
    if not status:
        status = "resolved" if event.endswith(".resolve") else "awaiting-merchant-feedback"
    reason = data.get("category") or data.get("reason") or data.get("resolution") or ""
    amount = _int_or_none(data.get("refund_amount"))
    if amount is None:
        amount = _int_or_none(transaction.get("amount"))
    return DisputeFacts(
        provider_id=str(data.get("id") or ""),
        reference=str(transaction.get("reference") or data.get("transaction_reference") or ""),
        status=status,
        reason=str(reason)[:255],
        amount=amount,
        due_at=_aware_or_none(data.get("due_at") or data.get("dueAt")),
        resolved_at=_aware_or_none(data.get("resolved_at") or data.get("resolvedAt")),
    )


def _aware_or_none(value: Any) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _status_of(item: Mapping[str, Any]) -> str:
    return str(item.get("status") or "").lower()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
