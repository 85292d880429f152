"""Refunds: recorded on cancellation or for money we cannot keep, sent, confirmed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
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
from orders.services import order_group_lock
from orders.state import PAYMENT_STATUS_RANK
from payments.models import Payment, Refund
from payments.paystack import PaystackClient, ProviderTimeout, get_client
from payments.services.common import (
    RECONCILE_REFUNDS_AFTER,
    REFUND_MAX_ATTEMPTS,
    GroupPaymentStatus,
    PaymentStatus,
    to_kobo,
)

logger = logging.getLogger(__name__)

OUTCOME_UNKNOWN = (
    "Paystack did not answer in time: the refund's outcome is unknown until Paystack confirms "
    "it (a refund.processed / refund.failed webhook, or the periodic reconciliation); it is "
    "not sent again automatically."
)


AMBIGUOUS_FAILURE = (
    "Paystack reports refund {provider_id} as failed; it may be an earlier attempt's: check it "
    "before sending this refund again."
)


def refund_create(
    *, payment: Payment, amount: int, reason: str, order: Order | None = None
) -> Refund:
    """Record a refund and submit it to Paystack once the transaction commits. A broker that
    cannot be reached then is logged; the refund stays pending and `retry_failed_refunds`
    submits it later."""
    refund = Refund.objects.create(payment=payment, order=order, amount=amount, reason=reason[:255])
    from payments.tasks import submit_refund

    transaction.on_commit(lambda: submit_refund.delay(str(refund.pk)), robust=True)
    return refund


def _refunded_so_far(payment: Payment) -> int:
    # Failed refunds are retried, so they still count against what is left to refund.
    total = payment.refunds.aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def refund_request(*, group: OrderGroup, orders: Sequence[Order], reason: str) -> Refund | None:
    """Record a refund of `orders`' totals against the group's successful payment.

    Called inside the cancelling transaction, with the group's row locked. Returns None when the
    group has no successful payment to refund. Never refunds more than what is left of the
    payment; the Paystack call happens in a task after commit.
    """
    amount = to_kobo(sum((order.total for order in orders), Decimal("0")))
    if amount <= 0:
        return None
    payments = group.payments.filter(status=PaymentStatus.SUCCESS).order_by("paid_at", "id")
    for payment in payments.select_for_update():
        remaining = payment.amount - _refunded_so_far(payment)
        if remaining <= 0:
            continue
        return refund_create(
            payment=payment,
            amount=min(amount, remaining),
            reason=reason,
            order=orders[0] if len(orders) == 1 else None,
        )
    return None


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
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        claimable = refund.status in (Refund.Status.PENDING, Refund.Status.FAILED)
        if not claimable or refund.attempts >= REFUND_MAX_ATTEMPTS:
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
        data = get_client().refund(transaction=refund.payment.reference, amount=refund.amount)
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


def _group_payment_status_after_refunds(group: OrderGroup) -> str:
    """`paid`, `partially_refunded` or `refunded` from what Paystack confirmed.

    Net money kept = successful payments - processed refunds; the group's status never moves
    back (a refund confirmed later cannot make a group "more paid" than its orders say).
    """
    paid = Payment.objects.filter(group=group, status=PaymentStatus.SUCCESS).aggregate(
        total=Sum("amount")
    )["total"]
    refunded = Refund.objects.filter(
        payment__group=group, status=Refund.Status.PROCESSED
    ).aggregate(total=Sum("amount"))["total"]
    net = int(paid or 0) - int(refunded or 0)
    if net <= 0:
        computed = GroupPaymentStatus.REFUNDED
    elif net < to_kobo(group.total) and refunded:
        computed = GroupPaymentStatus.PARTIALLY_REFUNDED
    else:
        computed = GroupPaymentStatus.PAID
    current = group.payment_status
    return max(computed, current, key=lambda s: PAYMENT_STATUS_RANK.get(s, 0))


def refund_apply_event(*, event: str, data: dict[str, Any]) -> Refund | None:
    """Apply a ``refund.*`` webhook: find the refund (by Paystack's refund id, else by the
    transaction reference and amount) and record Paystack's verdict."""
    transaction_data = data.get("transaction")
    reference = data.get("transaction_reference") or (
        transaction_data.get("reference") if isinstance(transaction_data, dict) else None
    )
    payment = Payment.objects.filter(reference=str(reference or "")).first()
    if payment is None:
        return None
    status = str(data.get("status") or event.rsplit(".", 1)[-1]).lower()
    try:
        amount: int | None = int(data.get("amount"))
    except (TypeError, ValueError):
        amount = None
    provider_id = str(data.get("id") or "")

    with transaction.atomic():
        group = order_group_lock(group_id=payment.group_id)
        refunds = list(
            Refund.objects.select_for_update().filter(payment=payment).order_by("created_at", "id")
        )
        refund = next(
            (r for r in refunds if provider_id and r.provider_refund_id == provider_id), None
        )
        matched_by_id = refund is not None
        if refund is None:
            open_refunds = [r for r in refunds if r.status != Refund.Status.PROCESSED]
            refund = next((r for r in open_refunds if r.amount == amount), None)
            refund = refund or (open_refunds[0] if open_refunds else None)
        if refund is None:
            return None
        if (
            status == "failed"
            and not matched_by_id
            and refund.status == Refund.Status.PROCESSING
            and refund.attempts > 1
        ):
            # Found by amount only, and sent more than once: the failure may be an earlier
            # attempt's while the latest is on its way. Failing it would send it again.
            refund.last_error = _ambiguous_failure(refund, provider_id)
            refund.save(update_fields=["last_error", "updated_at"])
            return refund
        if status == "processed":
            _refund_mark_processed(refund, group=group, provider_id=provider_id)
            return refund
        if provider_id and not refund.provider_refund_id:
            refund.provider_refund_id = provider_id[:64]
        if status == "failed":
            if refund.status == Refund.Status.PROCESSED:
                return refund
            refund.status = Refund.Status.FAILED
            refund.last_error = "Paystack reported the refund as failed."
        else:  # pending, processing: Paystack is working on it
            if refund.status in (Refund.Status.PENDING, Refund.Status.FAILED):
                refund.status = Refund.Status.PROCESSING
        refund.save(update_fields=["status", "last_error", "provider_refund_id", "updated_at"])
    return refund


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
    if group.payment_status == GroupPaymentStatus.UNPAID:
        return
    new_status = _group_payment_status_after_refunds(group)
    if new_status != group.payment_status:
        group.payment_status = new_status
        group.save(update_fields=["payment_status", "updated_at"])


def refunds_retry_due(*, now: datetime | None = None, limit: int = 100) -> list[uuid.UUID]:
    """Refunds to submit again: failed ones whose backoff has passed (bounded attempts), and
    pending ones whose task never ran. Returns their ids (the caller enqueues them)."""
    now = now or timezone.now()
    due: list[uuid.UUID] = []
    failed = Refund.objects.filter(
        status=Refund.Status.FAILED, attempts__lt=REFUND_MAX_ATTEMPTS
    ).order_by("updated_at")[:limit]
    for refund in failed:
        backoff = timedelta(minutes=min(2**refund.attempts, 360))
        if refund.updated_at <= now - backoff:
            due.append(refund.pk)
    stale_pending = Refund.objects.filter(
        status=Refund.Status.PENDING, created_at__lte=now - timedelta(minutes=5)
    ).values_list("pk", flat=True)[:limit]
    due.extend(stale_pending)
    return due


def refunds_reconcile_stale(*, now: datetime | None = None, limit: int = 50) -> int:
    """Ask Paystack about refunds still `processing` `RECONCILE_REFUNDS_AFTER` after they were
    sent: the webhook that settles them may be lost. Returns how many were settled.

    A refund with Paystack's id (from the answer to its latest attempt) is fetched
    (``GET /refund/{id}``). One whose call timed out has no id: Paystack's refunds of the
    transaction (``GET /refund?transaction=``) are searched for one of the same amount not yet
    matched to another of ours, a processed one first.

    Only a `processed` verdict is applied, and to that refund only, if nothing else touched it
    meanwhile: it proves the money went back, and settling it can never make us send money.
    A `failed` verdict is not applied from here (the failure Paystack reports may be that of an
    earlier attempt while a later one went through: marking it failed would send it again); it
    is noted on the refund and logged for a person, and the `refund.failed` webhook still
    applies as usual. A refund Paystack does not know (yet) stays `processing`; nothing here
    ever sends a refund. Each refund asked about waits its turn again.
    """
    now = now or timezone.now()
    stale = list(
        Refund.objects.filter(
            status=Refund.Status.PROCESSING, updated_at__lte=now - RECONCILE_REFUNDS_AFTER
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
        verdict = _refund_status(found)
        if found is not None and verdict == "processed":
            settled += _refund_settle_processed(refund, provider_id=str(found.get("id") or ""))
            continue
        note = {}
        if found is not None and verdict == "failed":
            note["last_error"] = _ambiguous_failure(refund, str(found.get("id") or ""))
        Refund.objects.filter(
            pk=refund.pk, status=Refund.Status.PROCESSING, attempts=refund.attempts
        ).update(updated_at=timezone.now(), **note)
    return settled


def _refund_status(found: dict[str, Any] | None) -> str:
    return str(found.get("status") or "").lower() if found else ""


def _provider_refund(client: PaystackClient, refund: Refund) -> dict[str, Any] | None:
    """Paystack's record of `refund`, or None when it has none (that we can tell apart)."""
    if refund.provider_refund_id:
        return client.fetch_refund(refund.provider_refund_id)
    payment = refund.payment
    matched = set(
        Refund.objects.filter(payment=payment)
        .exclude(provider_refund_id="")
        .values_list("provider_refund_id", flat=True)
    )
    transaction_id = str(payment.provider_response.get("id") or "")
    candidates = [
        item
        for item in client.list_refunds(transaction=payment.reference)
        if (
            payment.reference == item.get("transaction_reference")
            or (transaction_id and transaction_id == str(item.get("transaction") or ""))
        )
        and str(item.get("id")) not in matched
        and str(item.get("amount")) == str(refund.amount)
    ]
    processed = [item for item in candidates if _refund_status(item) == "processed"]
    return (processed or candidates or [None])[0]


def _refund_settle_processed(refund: Refund, *, provider_id: str) -> bool:
    """Mark `refund` processed (Paystack confirmed it) unless it changed since it was read
    (settled by a webhook, or failed and claimed again). True when it was settled here."""
    with transaction.atomic():
        group = order_group_lock(group_id=refund.payment.group_id)
        current = Refund.objects.select_for_update().filter(pk=refund.pk).first()
        unchanged = (
            current is not None
            and current.status == Refund.Status.PROCESSING
            and current.attempts == refund.attempts
        )
        if not unchanged:
            return False
        _refund_mark_processed(current, group=group, provider_id=provider_id)
    return True
