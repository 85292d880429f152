"""POST /payments/paystack/webhook/: signature first, stored once, processed after commit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Order, OrderGroup
from payments.models import Payment, Refund, WebhookEvent
from payments.services import payment_initialize, payments_reverify_pending
from tests import factories
from tests.payments.helpers import WEBHOOK_URL, make_group, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(customer, paystack_group, fake_paystack):
    """A group with one initialised attempt (known to the fake)."""
    return payment_initialize(group=paystack_group, email=customer.email)


def charge_data(fake, reference):
    return fake.verify(reference)[1]["data"]


def deliver(api_client, fake, capture, event, data, **kwargs):
    with capture(execute=True):
        return post_event(api_client, fake, event, data, **kwargs)


def verify_calls(fake, reference):
    return [r for r in fake.requests if r["path"] == f"/transaction/verify/{reference}"]


# --- signature ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 128, "not-hex", "é" * 10],
    ids=["empty", "zeros", "garbage", "non-ascii"],
)
def test_bad_signature_is_refused_and_nothing_stored(
    signature, api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    response = deliver(
        api_client,
        fake_paystack,
        django_capture_on_commit_callbacks,
        "charge.success",
        data,
        signature=signature,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING


def test_missing_signature_header(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(WEBHOOK_URL, {"event": "charge.success"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


def test_signature_over_a_different_body_is_refused(api_client, fake_paystack, settings):
    body, signature = fake_paystack.event_body("charge.success", {"reference": "X", "id": 1})
    tampered = body.replace(b'"X"', b'"Y"')
    response = api_client.generic(
        "POST",
        WEBHOOK_URL,
        tampered,
        content_type="application/json",
        HTTP_X_PAYSTACK_SIGNATURE=signature,
    )
    assert response.json()["code"] == "invalid_signature"
    # Without a configured secret nothing is ever accepted.
    settings.PAYSTACK_SECRET_KEY = ""
    response = api_client.generic(
        "POST",
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_X_PAYSTACK_SIGNATURE=signature,
    )
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


def test_valid_signature_but_malformed_json_is_parse_error(api_client, fake_paystack):
    from devtools.fake_paystack import sign

    for body in (b'{"event": ', b"[1, 2]", b'{"data": {}}'):
        response = api_client.generic(
            "POST",
            WEBHOOK_URL,
            body,
            content_type="application/json",
            HTTP_X_PAYSTACK_SIGNATURE=sign(fake_paystack.secret, body),
        )
        assert response.status_code == 400, body
        assert response.json()["code"] == "parse_error"
    assert not WebhookEvent.objects.exists()


def test_no_authentication_and_no_csrf_needed(
    fake_paystack, started, django_capture_on_commit_callbacks
):
    from django.test import Client

    # A plain Django client with CSRF checks on, and a junk Authorization header.
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer junk")
    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    response = deliver(
        client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "success", "message": "Event received."}


# --- charge.success ----------------------------------------------------------------------------


def test_charge_success_verifies_then_pays_the_group(
    api_client, fake_paystack, started, customer, django_capture_on_commit_callbacks
):
    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    response = deliver(
        api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
    )
    assert response.status_code == 200

    event = WebhookEvent.objects.get()
    assert event.event == "charge.success"
    assert event.processed_at is not None
    assert event.payment_id == started.pk
    assert len(verify_calls(fake_paystack, started.reference)) == 1

    started.refresh_from_db()
    assert started.status == Payment.Status.SUCCESS
    assert started.paid_at is not None and started.verified_at is not None
    group = OrderGroup.objects.get(pk=started.group_id)
    assert group.payment_status == "paid"
    assert group.expires_at is None
    assert all(Order.objects.filter(group=group).values_list("is_paid", flat=True))
    assert [m.subject for m in mail.outbox if m.to == [customer.email]] == [
        f"Payment received for order {group.number}"
    ]
    assert not Refund.objects.exists()


def test_redelivery_is_stored_and_processed_once(
    api_client, fake_paystack, started, customer, django_capture_on_commit_callbacks
):
    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    for _ in range(3):
        response = deliver(
            api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
        )
        assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert len(verify_calls(fake_paystack, started.reference)) == 1
    assert len([m for m in mail.outbox if "Payment received" in m.subject]) == 1
    assert not Refund.objects.exists()


def test_the_webhook_body_is_not_trusted(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    # A correctly signed charge.success that Paystack's verify does not confirm pays nothing.
    data = {**charge_data(fake_paystack, started.reference), "status": "success"}
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING  # Paystack says "abandoned": still payable
    assert OrderGroup.objects.get(pk=started.group_id).payment_status == "unpaid"
    assert WebhookEvent.objects.get().processed_at is not None


def test_amount_mismatch_leaves_group_unpaid(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    fake_paystack.pay(started.reference, webhook=False, amount=started.amount - 1)
    data = charge_data(fake_paystack, started.reference)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    started.refresh_from_db()
    assert started.status == Payment.Status.AMOUNT_MISMATCH
    group = OrderGroup.objects.get(pk=started.group_id)
    assert group.payment_status == "unpaid"
    assert not any(Order.objects.filter(group=group).values_list("is_paid", flat=True))
    # The money that did arrive is sent back, and the customer is told.
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount) == (started.pk, started.amount - 1)
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (started.reference, started.amount - 1)
    ]
    assert any("did not match" in m.body for m in mail.outbox)


def test_currency_mismatch_is_amount_mismatch(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    fake_paystack.pay(started.reference, webhook=False)
    fake_paystack.transactions[started.reference]["currency"] = "USD"
    data = charge_data(fake_paystack, started.reference)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    started.refresh_from_db()
    assert started.status == Payment.Status.AMOUNT_MISMATCH
    assert OrderGroup.objects.get(pk=started.group_id).payment_status == "unpaid"


def test_failed_verification_marks_attempt_failed(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    fake_paystack.transactions[started.reference]["status"] = "failed"
    data = charge_data(fake_paystack, started.reference)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    started.refresh_from_db()
    assert started.status == Payment.Status.FAILED
    assert OrderGroup.objects.get(pk=started.group_id).payment_status == "unpaid"


def test_reference_unknown_to_paystack_is_not_a_failure_until_the_give_up_period(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks, settings
):
    # Paystack answers "400 Transaction reference not found" for references it will know later.
    data = charge_data(fake_paystack, started.reference)
    fake_paystack.transactions.pop(started.reference)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING
    assert started.check_failures == 1 and started.checked_at is not None

    # Still unknown PAYMENT_VERIFY_GIVE_UP_HOURS after it started: failed, the admins told.
    factories.UserFactory(is_staff=True, email="ops@example.com")
    old = timezone.now() - timedelta(hours=settings.PAYMENT_VERIFY_GIVE_UP_HOURS, minutes=1)
    Payment.objects.filter(pk=started.pk).update(created_at=old, checked_at=old)
    with django_capture_on_commit_callbacks(execute=True):
        payments_reverify_pending()
    started.refresh_from_db()
    assert started.status == Payment.Status.FAILED
    notice = [m for m in mail.outbox if "unknown to Paystack" in m.subject]
    assert [m.to for m in notice] == [["ops@example.com"]]


def test_transient_verify_failure_leaves_event_for_a_retry(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    from celery.exceptions import Retry

    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    fake_paystack.fail_next(count=1, status=503)
    # Eager Celery surfaces the task's scheduled retry; a worker would run it after a backoff.
    with pytest.raises(Retry):
        deliver(
            api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
        )
    event = WebhookEvent.objects.get()
    assert event.processed_at is None
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING

    # Paystack delivers again: the stored, unprocessed event is queued again and processed.
    response = deliver(
        api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
    started.refresh_from_db()
    assert started.status == Payment.Status.SUCCESS
    assert len(verify_calls(fake_paystack, started.reference)) == 2


@pytest.mark.parametrize("status", [429, 408, 500])
def test_rate_limited_verify_never_fails_a_real_charge(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks, status
):
    from celery.exceptions import Retry

    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    fake_paystack.fail_next(count=1, status=status)
    with pytest.raises(Retry):  # the task schedules a retry (eager Celery raises it)
        deliver(
            api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
        )
    event = WebhookEvent.objects.get()
    assert event.processed_at is None
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING
    assert OrderGroup.objects.get(pk=started.group_id).payment_status == "unpaid"

    # The retry (here: running the task again) verifies and pays.
    from payments import tasks

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.process_webhook_event.delay(str(event.pk)).get() is True
    started.refresh_from_db()
    assert started.status == Payment.Status.SUCCESS
    assert OrderGroup.objects.get(pk=started.group_id).payment_status == "paid"


@pytest.mark.parametrize("status", [400, 404])
def test_verify_refusing_the_reference_leaves_the_attempt_pending(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks, status
):
    # One ambiguous answer never fails an attempt: the paid charge is found on the next ask.
    fake_paystack.pay(started.reference, webhook=False)
    data = charge_data(fake_paystack, started.reference)
    fake_paystack.fail_next(count=1, status=status)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING
    assert WebhookEvent.objects.get().processed_at is not None
    Payment.objects.filter(pk=started.pk).update(
        created_at=timezone.now() - timedelta(minutes=10),
        checked_at=timezone.now() - timedelta(minutes=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert payments_reverify_pending() == 1
    started.refresh_from_db()
    assert started.status == Payment.Status.SUCCESS


def test_charge_for_a_reference_we_never_issued_is_recorded_and_ignored(
    api_client, fake_paystack, django_capture_on_commit_callbacks
):
    data = {"id": 1, "reference": "SOMEONE-ELSE", "status": "success", "amount": 100}
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None and event.payment is None
    assert fake_paystack.requests == []


def test_unknown_events_are_recorded_and_ignored(
    api_client, fake_paystack, django_capture_on_commit_callbacks
):
    deliver(
        api_client,
        fake_paystack,
        django_capture_on_commit_callbacks,
        "transfer.success",
        {"id": 77, "reference": "TRF-1", "status": "success"},
    )
    deliver(
        api_client, fake_paystack, django_capture_on_commit_callbacks, "subscription.create", {}
    )
    assert sorted(WebhookEvent.objects.values_list("event", flat=True)) == [
        "subscription.create",
        "transfer.success",
    ]
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()


def test_late_payment_for_expired_group_is_refunded(
    api_client, fake_paystack, customer, django_capture_on_commit_callbacks
):
    from orders.services import order_group_expire

    group, _orders, products = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_group_expire(group_id=group.id)
    products[0].refresh_from_db()
    assert products[0].stock == 10  # restored

    fake_paystack.pay(payment.reference, webhook=False)
    data = charge_data(fake_paystack, payment.reference)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS
    group.refresh_from_db()
    assert group.payment_status == "unpaid" and group.status == "cancelled"
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount) == (payment.pk, payment.amount)
    assert refund.status == Refund.Status.PROCESSING
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (payment.reference, payment.amount)
    ]
    assert any("is being refunded" in m.subject for m in mail.outbox)
    products[0].refresh_from_db()
    assert products[0].stock == 10  # a late payment takes no stock


def test_second_success_on_a_paid_group_is_refunded(
    api_client, fake_paystack, customer, paystack_group, django_capture_on_commit_callbacks
):
    first = payment_initialize(group=paystack_group, email=customer.email)
    second = payment_initialize(group=paystack_group, email=customer.email)
    for payment in (first, second):
        fake_paystack.pay(payment.reference, webhook=False)
        data = charge_data(fake_paystack, payment.reference)
        deliver(
            api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Payment.Status.SUCCESS
    paystack_group.refresh_from_db()
    assert paystack_group.payment_status == "paid"
    assert paystack_group.paid_at == first.paid_at
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount) == (second.pk, second.amount)
    assert [r["transaction_reference"] for r in fake_paystack.refunds] == [second.reference]
    assert len([m for m in mail.outbox if "Payment received" in m.subject]) == 1


def test_payment_after_a_shop_cancelled_its_unpaid_order_refunds_the_difference(
    api_client, fake_paystack, customer, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    group, orders, _ = make_group(customer=customer, prices=[Decimal("1000.00"), Decimal("5.00")])
    payment = payment_initialize(group=group, email=customer.email)
    assert payment.amount == 201000
    Order.objects.filter(pk=orders[1].pk).update(status="cancelled")

    fake_paystack.pay(payment.reference, webhook=False)
    data = charge_data(fake_paystack, payment.reference)
    deliver(api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data)
    group.refresh_from_db()
    assert group.payment_status == "paid"
    assert Refund.objects.get().amount == 1000  # the cancelled order's 2 x 5.00


def test_event_keys_differ_by_status_and_object(
    api_client, fake_paystack, started, django_capture_on_commit_callbacks
):
    base = charge_data(fake_paystack, started.reference)
    for data in (base, {**base, "status": "failed"}, {**base, "id": base["id"] + 1}):
        deliver(
            api_client, fake_paystack, django_capture_on_commit_callbacks, "charge.success", data
        )
    assert WebhookEvent.objects.count() == 3
    keys = list(WebhookEvent.objects.values_list("event_key", flat=True))
    assert all(len(k) <= 200 for k in keys)
    assert json.loads(json.dumps(WebhookEvent.objects.first().payload))["event"] == "charge.success"
