"""Paystack webhooks: signature check, storage once per event, processing in a task.

The request is answered as soon as the event is stored; the work (verifying a charge with
Paystack, recording a refund's fate) runs in `payments.tasks.process_webhook_event` after the
transaction commits. Processing is idempotent: `processed_at` is read and set under the
event's row lock, and everything it changes is itself applied under the group's lock.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import kombu.exceptions
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import InvalidSignature, MalformedRequest, raises
from core.json_limits import json_loads_checked
from payments import services
from payments.models import Payment, WebhookEvent
from payments.payout_decisions import TRANSFER_EVENTS
from payments.services.payouts import payout_apply_event

logger = logging.getLogger(__name__)

CHARGE_SUCCESS = "charge.success"
REFUND_EVENTS = frozenset(
    {
        "refund.pending",
        "refund.processing",
        "refund.processed",
        "refund.failed",
        "refund.needs-attention",
    }
)
DISPUTE_EVENTS = frozenset(
    {"charge.dispute.create", "charge.dispute.remind", "charge.dispute.resolve"}
)
_KEY_MAX = 200
# Events stored this long ago and still unprocessed are queued again (their task was lost with
# the broker, or ran out of retries), up to this age.
UNPROCESSED_GRACE = timedelta(minutes=1)
UNPROCESSED_HORIZON = timedelta(days=2)


def signature_valid(*, body: bytes, signature: str | None) -> bool:
    """HMAC-SHA512 of the raw body keyed with the secret, compared in constant time."""
    secret = settings.PAYSTACK_SECRET_KEY
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def event_key(payload: dict[str, Any], body: bytes) -> str:
    """What makes an event unique: its name, the object's id or reference, and its status.

    Refund events carry no id of their own in Paystack's payloads: the transaction reference,
    the refund reference and the amount stand in. A refund event still on its way (pending,
    processing, needs-attention) has no refund reference either, so two refunds of the same
    amount on one transaction send identical events: each delivery of such an event is kept
    (processing it again changes nothing, see `services.refund_apply_event`). Any other event
    with nothing to identify it is keyed by the hash of its body (an identical redelivery is
    still a no-op).
    """
    event = str(payload.get("event") or "")
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    if (
        event in REFUND_EVENTS
        and event not in ("refund.processed", "refund.failed")
        and not data.get("id")
        and not data.get("refund_reference")
    ):
        return f"{event}:delivery:{uuid.uuid4().hex}"
    parts = [
        str(data.get(name))
        for name in ("id", "reference", "transaction_reference", "refund_reference", "amount")
        if data.get(name) not in (None, "")
    ]
    if not parts:
        parts = ["body", hashlib.sha256(body).hexdigest()]
    parts.append(str(data.get("status") or ""))
    key = ":".join([event, *parts])
    if len(key) > _KEY_MAX:
        key = f"{event[:64]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


@raises(InvalidSignature, MalformedRequest)
def webhook_receive(*, body: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Check the signature (before anything else), parse, and store the event once.

    Returns the event and whether this delivery stored it. Processing is queued after commit
    for a new event, and again for a redelivered one that was never processed (its first task
    may have been lost); processing twice is harmless.
    """
    if not signature_valid(body=body, signature=signature):
        raise InvalidSignature()
    try:
        payload = json_loads_checked(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest("The event is not valid JSON.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise MalformedRequest("The event has no name.")

    key = event_key(payload, body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    event_key=key, event=payload["event"][:64], payload=payload
                )
            created = True
        except IntegrityError:
            event = WebhookEvent.objects.get(event_key=key)
            created = False
        if event.processed_at is None:
            event_id = str(event.pk)
            transaction.on_commit(lambda: _queue_processing(event_id))
    return event, created


def _queue_processing(event_id: str) -> None:
    from payments.tasks import process_webhook_event

    try:
        process_webhook_event.delay(event_id)
    except kombu.exceptions.OperationalError:
        # The event is stored: a broker out of reach is logged, not answered 500 (Paystack would
        # deliver it again and again), and the sweep of unprocessed events processes it.
        logger.exception(
            "Webhook event %s stored but not queued; the sweep will process it.", event_id
        )


def webhook_events_unprocessed(*, now: datetime | None = None, limit: int = 100) -> list[uuid.UUID]:
    """Stored events that were never processed: their ids, for the caller to queue again
    (processing an event twice is a no-op)."""
    now = now or timezone.now()
    return list(
        WebhookEvent.objects.filter(
            processed_at__isnull=True,
            created_at__lte=now - UNPROCESSED_GRACE,
            created_at__gt=now - UNPROCESSED_HORIZON,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def _charge_verification(payload: dict[str, Any]) -> tuple[Payment | None, dict[str, Any] | None]:
    """For `charge.success`: our attempt and Paystack's verify answer (asked with no lock held).

    A reference Paystack does not know yet gives no answer (the re-verification sweep asks
    again); every other provider failure propagates and leaves the event unprocessed (see
    `services.verification_fetch`).
    """
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    reference = str(data.get("reference") or "")
    payment = Payment.objects.filter(reference=reference).first() if reference else None
    if payment is None or payment.status == Payment.Status.SUCCESS:
        return payment, None
    return payment, services.verification_fetch(payment=payment)


def webhook_event_process(*, event_id: uuid.UUID) -> bool:
    """Process a stored event once; returns False when it was already processed."""
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return False
    payload = event.payload if isinstance(event.payload, dict) else {}
    payment, verified = (None, None)
    if event.event == CHARGE_SUCCESS:
        payment, verified = _charge_verification(payload)
    looked_up = None
    if event.event in REFUND_EVENTS:
        raw = payload.get("data")
        looked_up = services.refund_event_lookup(data=raw if isinstance(raw, dict) else {})

    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at is not None:
            return False
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        if event.event == CHARGE_SUCCESS:
            if payment is not None and verified is not None:
                services.payment_apply_verification(payment_id=payment.pk, data=verified)
        elif event.event in REFUND_EVENTS:
            refund = services.refund_apply_event(
                event=event.event, data=data, provider_refunds=looked_up
            )
            payment = refund.payment if refund is not None else None
        elif event.event in TRANSFER_EVENTS:
            payout_apply_event(event=event.event, data=data)
        elif event.event in DISPUTE_EVENTS:
            dispute = services.dispute_apply_event(event=event.event, data=data)
            payment = dispute.payment if dispute is not None else None
        else:
            logger.info("Ignoring Paystack event %s", event.event)
        event.processed_at = timezone.now()
        if payment is not None:
            event.payment = payment
        event.save(update_fields=["processed_at", "payment"])
    return True
