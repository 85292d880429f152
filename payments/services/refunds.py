"""Refunds: recorded on cancellation or for money we cannot keep, sent, confirmed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.errors import (
    PaymentProviderError,
    PaymentProviderTimeout,
)
from orders.models import Order, OrderGroup
from orders.services import order_group_lock, order_group_payment_status_set
from payments import decisions
from payments.models import Payment, Refund, UnmatchedRefund
from payments.paystack import PaystackClient, ProviderTimeout, ProviderUnavailable, get_client
from payments.services.common import RECONCILE_REFUNDS_AFTER, PaymentStatus, to_kobo
from payments.services.notices import admin_emails, notice_queue
from payments.services.settlement import record_refund_entries

logger = logging.getLogger(__name__)

OUTCOME_UNKNOWN = (
    "Paystack did not answer in time: the refund's outcome is unknown until Paystack confirms "
    "it (a refund.processed / refund.failed webhook, or the periodic reconciliation); it is "
    "not sent again automatically."
)


NEEDS_ATTENTION_MESSAGE = "Paystack needs the customer's details to complete this refund."

AMBIGUOUS_FAILURE = (
    "Paystack reports refund {provider_id} as failed; it may be an earlier attempt's: check it "
    "before sending this refund again."
)


def refund_create(
    *,
    payment: Payment,
    amount: int,
    reason: str,
    order: Order | None = None,
    commission_reversed: int = 0,
) -> Refund:
    """Record a refund and submit it to Paystack once the transaction commits. A broker that
    cannot be reached then is logged; the refund stays pending and `retry_failed_refunds`
    submits it later.

    `commission_reversed` is the commission (kobo) of the refunded items. A refund of a
    completed order's goods debits its shop's ledger in the same transaction
    (`settlement.record_refund_entries`).

    The order's row is locked before the refund is inserted: the insert's foreign-key check
    takes a shared lock on it (MariaDB), which a completion waiting for the row would turn
    into a deadlock when the ledger then asks for the row itself."""
    with transaction.atomic():
        if order is not None:
            Order.objects.select_for_update().only("pk").get(pk=order.pk)
        refund = Refund.objects.create(
            payment=payment,
            order=order,
            amount=amount,
            reason=reason[:255],
            commission_reversed=commission_reversed,
        )
        record_refund_entries(refund)
        refund_submit_on_commit(refund)
    return refund


def paystack_payment(refund: Refund) -> Payment:
    """The Paystack attempt `refund` gives back money of. Only Paystack refunds are sent,
    matched to events and reconciled; a cash refund has no attempt and is never any of those."""
    if refund.payment is None:
        raise ValueError(f"Refund {refund.pk} was made in cash: Paystack has no part in it.")
    return refund.payment


def refund_submit_on_commit(refund: Refund) -> None:
    """Submit `refund` to Paystack in a task once the transaction commits."""
    from payments.tasks import submit_refund

    refund_id = str(refund.pk)
    transaction.on_commit(lambda: submit_refund.delay(refund_id), robust=True)


def refunded_so_far(payment: Payment) -> int:
    # Failed refunds are retried, so they still count against what is left to refund.
    total = payment.refunds.aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def refund_request(*, group: OrderGroup, orders: Sequence[Order], reason: str) -> Refund | None:
    """Record a refund of `orders`' totals against the group's successful payment.

    Called inside the cancelling transaction, with the group's row locked. Returns None when the
    group has no successful payment to refund. Never refunds more than what is left of the
    payment (`decisions.refund_allocate`); the Paystack call happens in a task after commit.
    """
    amount = to_kobo(sum((order.total for order in orders), Decimal("0")))
    if amount <= 0:
        return None
    successful = group.payments.filter(status=PaymentStatus.SUCCESS).order_by("paid_at", "id")
    payments = {payment.pk: payment for payment in successful.select_for_update()}
    allocation = decisions.refund_allocate(
        amount=amount,
        payments=[
            decisions.PaymentBalance(
                id=payment.pk, amount=payment.amount, refunded=refunded_so_far(payment)
            )
            for payment in payments.values()
        ],
    )
    if allocation is None:
        return None
    return refund_create(
        payment=payments[allocation.payment_id],
        amount=allocation.amount,
        reason=reason,
        order=orders[0] if len(orders) == 1 else None,
        commission_reversed=to_kobo(sum((order.commission_total for order in orders), Decimal(0))),
    )


def refund_submit(*, refund_id: uuid.UUID) -> Refund:
    """Call ``POST /refund`` for a pending (or failed) refund.

    The refund is claimed (`processing`, attempts + 1) under its row lock, then Paystack is
    called with no lock held. Failures that prove nothing was refunded (connection errors
    before sending, 5xx, 408/429, refusals) mark it `failed` with the error and propagate (the
    task retries transient ones with backoff; the periodic sweep retries the rest).

    A timeout after the request was sent is different: Paystack may have made the refund, and
    sending it again could pay it twice. The refund stays `processing` with the outcome noted in
    `last_error` and is not sent again automatically; Paystack's ``refund.processed`` or
    ``refund.failed`` webhook settles it (`failed` then goes through the normal retries).
    """
    with transaction.atomic():
        # The payment is read on its own: a lock on an outer join (the payment is nullable,
        # cash refunds have none) is refused by PostgreSQL.
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if not decisions.refund_claimable(status=refund.status, attempts=refund.attempts):
            return refund
        refund.status = Refund.Status.PROCESSING
        refund.attempts += 1
        refund.last_error = ""
        # Paystack's id of an earlier, failed attempt says nothing about this one.
        refund.provider_refund_id = ""
        refund.save(
            update_fields=["status", "attempts", "last_error", "provider_refund_id", "updated_at"]
        )

    try:
        data = get_client().refund(
            transaction=paystack_payment(refund).reference, amount=refund.amount
        )
    except ProviderTimeout as exc:
        if not exc.request_sent:
            _refund_mark_failed(refund, exc)
            raise
        logger.warning("Refund %s: Paystack did not answer in time; outcome unknown", refund.pk)
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PROCESSING).update(
            last_error=OUTCOME_UNKNOWN, updated_at=timezone.now()
        )
        refund.refresh_from_db()
        return refund
    except (PaymentProviderError, PaymentProviderTimeout) as exc:
        _refund_mark_failed(refund, exc)
        raise
    # Paystack confirms the refund later
    # Paystack confirms the refund later with a `refund.processed` webhook (which may even
    # arrive before this line runs: only the provider id is written unconditionally).
    provider_id = str(data.get("id") or "")[:64]
    if provider_id:
        Refund.objects.filter(pk=refund.pk).update(provider_refund_id=provider_id)
    refund.refresh_from_db()
    return refund


def _refund_mark_failed(refund: Refund, exc: PaymentProviderError | PaymentProviderTimeout) -> None:
    Refund.objects.filter(pk=refund.pk, status=Refund.Status.PROCESSING).update(
        status=Refund.Status.FAILED, last_error=exc.message[:500], updated_at=timezone.now()
    )
    refund.refresh_from_db()


def refund_event_lookup(*, data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """For a ``refund.*`` event none of our refunds matches without doubt: Paystack's refunds
    of the event's transaction (``GET /refund?transaction=<numeric id>``), asked with no lock
    held. None when the event can be matched without asking, or is not about our transaction.
    Provider failures propagate (the event stays unprocessed and is tried again)."""
    read = decisions.refund_event_read(event="", data=data)
    payment = Payment.objects.filter(reference=read.reference).first() if read.reference else None
    if payment is None:
        return None
    states = [_refund_state(r) for r in payment.refunds.order_by("created_at", "id")]
    if decisions.refund_event_match(event=read, refunds=states) is not None:
        return None
    client = get_client()
    return client.list_refunds(transaction=str(payment_transaction_id(client, payment)))


def payment_transaction_id(client: PaystackClient, payment: Payment) -> int:
    """Paystack's numeric id of the attempt's transaction: stored from verification, or asked
    for now (and stored) for an attempt verified before it was kept."""
    if payment.provider_transaction_id is None:
        data = client.verify(payment.reference)
        found = decisions.transaction_id_read(data)
        if found is None:
            raise ProviderUnavailable("Paystack gave no id for the transaction.")
        Payment.objects.filter(pk=payment.pk).update(provider_transaction_id=found)
        payment.provider_transaction_id = found
    return payment.provider_transaction_id


def refund_apply_event(
    *, event: str, data: dict[str, Any], provider_refunds: list[dict[str, Any]] | None = None
) -> Refund | None:
    """Apply a ``refund.*`` webhook under the group's lock.

    It settles one of our refunds only when `decisions.refund_event_match` matches it without
    doubt, or Paystack's own list of the transaction's refunds (`provider_refunds`, from
    `refund_event_lookup`) shows which of ours it is. Anything else is a refund we did not
    send (or cannot tell): it is recorded as an `UnmatchedRefund` for a person and changes
    none of ours.
    """
    read = decisions.refund_event_read(event=event, data=data)
    payment = Payment.objects.filter(reference=read.reference).first() if read.reference else None
    if payment is None:
        _unmatched_record(event=event, data=data, read=read, payment=None)
        return None

    with transaction.atomic():
        group = order_group_lock(group_id=payment.group_id)
        refunds = list(
            Refund.objects.select_for_update().filter(payment=payment).order_by("created_at", "id")
        )
        states = [_refund_state(r) for r in refunds]
        match = decisions.refund_event_match(event=read, refunds=states)
        if match is None and provider_refunds is not None:
            picked = decisions.refund_lookup_pick(
                event=read, refunds=states, provider_refunds=provider_refunds
            )
            match = (picked, True) if picked is not None else None
        if match is None:
            _unmatched_record(event=event, data=data, read=read, payment=payment)
            return None
        state, by_provider_id = match
        refund = next(r for r in refunds if r.pk == state.id)
        action = decisions.refund_event_decide(
            event=read, refund=state, by_provider_id=by_provider_id
        )
        if action == decisions.RefundAction.IGNORE:
            return refund
        if action == decisions.RefundAction.NOTE_AMBIGUOUS:
            refund.last_error = _ambiguous_failure(refund, read.provider_id)
            refund.save(update_fields=["last_error", "updated_at"])
            return refund
        if action == decisions.RefundAction.SETTLE:
            _refund_mark_processed(refund, group=group, provider_id=read.provider_id)
            return refund
        if read.provider_id and not refund.provider_refund_id:
            refund.provider_refund_id = read.provider_id[:64]
        if action == decisions.RefundAction.FAIL:
            refund.status = Refund.Status.FAILED
            refund.last_error = decisions.REFUND_FAILED_MESSAGE
        elif action == decisions.RefundAction.PROCESS:
            refund.status = Refund.Status.PROCESSING
        elif action == decisions.RefundAction.NEEDS_ATTENTION:
            refund.status = Refund.Status.NEEDS_ATTENTION
            refund.last_error = NEEDS_ATTENTION_MESSAGE
            _needs_attention_notice(refund=refund, group=group)
        refund.save(update_fields=["status", "last_error", "provider_refund_id", "updated_at"])
    return refund


def _unmatched_record(
    *, event: str, data: dict[str, Any], read: decisions.RefundEvent, payment: Payment | None
) -> None:
    refund_reference = str(data.get("refund_reference") or "")[:100]
    if (
        not refund_reference
        and UnmatchedRefund.objects.filter(
            payment=payment,
            transaction_reference=read.reference[:100],
            event=event[:64],
            status=read.status[:32],
            amount=read.amount,
            refund_reference="",
        ).exists()
    ):
        return  # a redelivery of an event with nothing of its own: recorded already
    logger.warning(
        "Refund event %s of %s on %s matches none of our refunds: recorded for a person",
        event,
        read.amount,
        read.reference or "?",
    )
    UnmatchedRefund.objects.create(
        payment=payment,
        transaction_reference=read.reference[:100],
        event=event[:64],
        status=read.status[:32],
        amount=read.amount,
        currency=str(data.get("currency") or "")[:3],
        refund_reference=refund_reference,
        payload=data,
    )


def _needs_attention_notice(*, refund: Refund, group: OrderGroup) -> None:
    payment = paystack_payment(refund)
    amount = f"{payment.currency} {Decimal(refund.amount) / 100:,.2f}"
    notice_queue(
        to=admin_emails(),
        subject=f"Refund for order {group.number} needs attention",
        lines=[
            f"Paystack needs the customer's details to complete the refund of {amount} on "
            f"payment {payment.reference} (order {group.number}).",
            "Provide them from Paystack's dashboard; the refund is settled when Paystack "
            "reports it processed.",
        ],
        key=f"refund-needs-attention:{refund.pk}",
    )


def _refund_state(refund: Refund) -> decisions.RefundState:
    return decisions.RefundState(
        id=refund.pk,
        amount=refund.amount,
        status=refund.status,
        attempts=refund.attempts,
        provider_refund_id=refund.provider_refund_id,
    )


def _refund_mark_processed(refund: Refund, *, group: OrderGroup, provider_id: str) -> None:
    """Paystack confirmed `refund`: record it, and the group's payment status that follows.
    The caller holds the group's and the refund's locks."""
    refund.status = Refund.Status.PROCESSED
    refund.last_error = ""
    if provider_id and not refund.provider_refund_id:
        refund.provider_refund_id = provider_id[:64]
    refund.save(update_fields=["status", "last_error", "provider_refund_id", "updated_at"])
    _group_refunds_changed(group)


def _ambiguous_failure(refund: Refund, provider_id: str) -> str:
    """Log, and word for the refund's `last_error`, a failure Paystack reports that may be an
    earlier attempt's: a person checks before the refund is sent again."""
    logger.warning(
        "Refund %s: Paystack reports refund %s failed, maybe an earlier attempt's; check it "
        "before sending again",
        refund.pk,
        provider_id or "?",
    )
    return AMBIGUOUS_FAILURE.format(provider_id=provider_id or "?")[:500]


def _group_refunds_changed(group: OrderGroup) -> None:
    """After a refund was confirmed: the group's payment status from what Paystack confirmed.
    The caller holds the group's lock."""
    paid = Payment.objects.filter(group=group, status=PaymentStatus.SUCCESS).aggregate(
        total=Sum("amount")
    )["total"]
    refunded = Refund.objects.filter(
        payment__group=group, status=Refund.Status.PROCESSED
    ).aggregate(total=Sum("amount"))["total"]
    status = decisions.group_payment_status_after_refunds(
        current=group.payment_status,
        paid=int(paid or 0),
        refunded=int(refunded or 0),
        total=to_kobo(group.total),
    )
    if status is not None:
        order_group_payment_status_set(group=group, status=status)


def refunds_retry_due(*, now: datetime | None = None, limit: int = 100) -> list[uuid.UUID]:
    """Paystack refunds to submit again: failed ones whose backoff has passed (bounded
    attempts), and pending ones whose task never ran. Returns their ids (the caller enqueues
    them). Cash refunds are never taken up, whatever their status."""
    now = now or timezone.now()
    due: list[uuid.UUID] = []
    paystack = Refund.objects.filter(method=Refund.Method.PAYSTACK)
    failed = paystack.filter(
        status=Refund.Status.FAILED, attempts__lt=decisions.REFUND_MAX_ATTEMPTS
    ).order_by("updated_at")[:limit]
    for refund in failed:
        if decisions.refund_retry_due(
            attempts=refund.attempts, failed_at=refund.updated_at, now=now
        ):
            due.append(refund.pk)
    stale_pending = paystack.filter(
        status=Refund.Status.PENDING, created_at__lte=now - timedelta(minutes=5)
    ).values_list("pk", flat=True)[:limit]
    due.extend(stale_pending)
    return due


def refunds_reconcile_stale(*, now: datetime | None = None, limit: int = 50) -> int:
    """Ask Paystack about its refunds still `processing` `RECONCILE_REFUNDS_AFTER` after they were
    sent: the webhook that settles them may be lost. Returns how many were settled.

    A refund with Paystack's id (from the answer to its latest attempt) is fetched
    (``GET /refund/{id}``). One whose call timed out has no id: Paystack's refunds of the
    transaction (``GET /refund?transaction=``) are searched for one of the same amount not yet
    matched to another of ours, a processed one first.

    A `processed` verdict is applied, to that refund only, if nothing else touched it
    meanwhile: it proves the money went back, and settling it can never make us send money.
    So is a `needs-attention` verdict: a `processing` refund moves to `needs_attention` and
    the admins are told once (that never sends money either). A `failed` verdict is not
    applied from here (the failure Paystack reports may be that of an earlier attempt while a
    later one went through: marking it failed would send it again); it is noted on the refund
    and logged for a person, and the `refund.failed` webhook still applies as usual. A refund
    Paystack does not know (yet) stays `processing`; nothing here ever sends a refund. Each
    refund asked about waits its turn again.
    """
    now = now or timezone.now()
    stale = list(
        Refund.objects.filter(
            method=Refund.Method.PAYSTACK,
            status__in=decisions.SENT_STATUSES,
            updated_at__lte=now - RECONCILE_REFUNDS_AFTER,
        )
        .select_related("payment")
        .order_by("updated_at")[:limit]
    )
    client = get_client()
    settled = 0
    for refund in stale:
        try:
            found = _provider_refund(client, refund)
        except (PaymentProviderError, PaymentProviderTimeout) as exc:
            logger.warning("Refund %s: could not ask Paystack: %s", refund.pk, exc.message)
            found = None
        action = decisions.reconcile_decide(
            provider_status=str(found.get("status") or "") if found is not None else None
        )
        provider_id = str(found.get("id") or "") if found is not None else ""
        if action == decisions.ReconcileAction.SETTLE:
            settled += _refund_settle_processed(refund, provider_id=provider_id)
            continue
        if action == decisions.ReconcileAction.NEEDS_ATTENTION and _refund_needs_attention(
            refund, provider_id=provider_id
        ):
            continue
        note = {}
        if action == decisions.ReconcileAction.NOTE_AMBIGUOUS:
            note["last_error"] = _ambiguous_failure(refund, provider_id)
        Refund.objects.filter(pk=refund.pk, status=refund.status, attempts=refund.attempts).update(
            updated_at=timezone.now(), **note
        )
    return settled


def _provider_refund(client: PaystackClient, refund: Refund) -> Mapping[str, Any] | None:
    """Paystack's record of `refund`, or None when it has none (that we can tell apart)."""
    if refund.provider_refund_id:
        return client.fetch_refund(refund.provider_refund_id)
    payment = paystack_payment(refund)
    matched = frozenset(
        Refund.objects.filter(payment=payment)
        .exclude(provider_refund_id="")
        .values_list("provider_refund_id", flat=True)
    )
    transaction_id = payment_transaction_id(client, payment)
    return decisions.reconcile_pick(
        provider_refunds=client.list_refunds(transaction=str(transaction_id)),
        amount=refund.amount,
        matched_ids=matched,
    )


def _refund_needs_attention(refund: Refund, *, provider_id: str) -> bool:
    """Mark a `processing` refund `needs_attention` (Paystack says so) and tell the admins,
    unless it changed since it was read. True when it was moved here."""
    if refund.status != Refund.Status.PROCESSING:
        return False
    with transaction.atomic():
        group = order_group_lock(group_id=paystack_payment(refund).group_id)
        current = Refund.objects.select_for_update().filter(pk=refund.pk).first()
        if current is None or not (
            current.status == refund.status and current.attempts == refund.attempts
        ):
            return False
        current.status = Refund.Status.NEEDS_ATTENTION
        current.last_error = NEEDS_ATTENTION_MESSAGE
        if provider_id and not current.provider_refund_id:
            current.provider_refund_id = provider_id[:64]
        current.save(update_fields=["status", "last_error", "provider_refund_id", "updated_at"])
        _needs_attention_notice(refund=current, group=group)
    return True


def _refund_settle_processed(refund: Refund, *, provider_id: str) -> bool:
    """Mark `refund` processed (Paystack confirmed it) unless it changed since it was read
    (settled by a webhook, or failed and claimed again). True when it was settled here."""
    with transaction.atomic():
        group = order_group_lock(group_id=paystack_payment(refund).group_id)
        current = Refund.objects.select_for_update().filter(pk=refund.pk).first()
        if current is None or not (
            current.status == refund.status and current.attempts == refund.attempts
        ):
            return False
        _refund_mark_processed(current, group=group, provider_id=provider_id)
    return True
