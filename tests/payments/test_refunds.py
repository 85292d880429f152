"""Refunds: requested on cancellation, submitted to Paystack, confirmed by webhook, retried."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from orders.models import OrderGroup
from payments import tasks
from payments.models import Payment, Refund, UnmatchedRefund, WebhookEvent
from payments.services import (
    REFUND_MAX_ATTEMPTS,
    payment_initialize,
    refund_request,
    refund_submit,
    refunds_reconcile_stale,
    refunds_retry_due,
)
from tests.payments.helpers import make_group, post_event

pytestmark = pytest.mark.django_db


def pay(fake, api_client, capture, payment):
    fake.pay(payment.reference, webhook=False)
    data = fake.verify(payment.reference)[1]["data"]
    with capture(execute=True):
        assert post_event(api_client, fake, "charge.success", data).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS


@pytest.fixture
def paid_group(customer, fake_paystack, api_client, django_capture_on_commit_callbacks):
    group, orders, products = make_group(
        customer=customer, prices=[Decimal("1000.00"), Decimal("250.50")], quantity=1
    )
    payment = payment_initialize(group=group, email=customer.email)
    pay(fake_paystack, api_client, django_capture_on_commit_callbacks, payment)
    group.refresh_from_db()
    assert group.payment_status == "paid"
    return group, orders, products, payment


def refund_event(api_client, fake, capture, refund_id, status):
    """Let the fake settle its refund and deliver the resulting webhook (Paystack's shape: no
    refund id, the amount as a string) to us."""
    fake.settle_refund(refund_id, status)  # no webhook URL: delivered below
    fake_refund = next(r for r in fake.refunds if r["id"] == refund_id)
    data = fake.refund_event_data(fake_refund)
    with capture(execute=True):
        return post_event(api_client, fake, f"refund.{status}", data)


def test_customer_cancelling_a_paid_group_refunds_the_total(
    paid_group, customer, client_for, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, _orders, _products, payment = paid_group
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(customer).post(f"/api/v1/order-groups/{group.id}/cancel/", {})
    assert response.status_code == 200, response.content

    refund = Refund.objects.get()
    assert refund.payment_id == payment.pk
    assert refund.amount == 125050
    assert refund.status == Refund.Status.PROCESSING
    assert refund.attempts == 1
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (payment.reference, 125050)
    ]
    assert refund.provider_refund_id == str(fake_paystack.refunds[0]["id"])

    response = refund_event(
        api_client,
        fake_paystack,
        django_capture_on_commit_callbacks,
        fake_paystack.refunds[0]["id"],
        "processed",
    )
    assert response.status_code == 200
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED
    group.refresh_from_db()
    assert group.payment_status == "refunded"


def test_shop_cancelling_one_paid_order_refunds_that_order(
    paid_group, client_for, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products, _payment = paid_group
    shop = orders[1].shop
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(shop.owner).post(
            f"/api/v1/shops/{shop.id}/orders/{orders[1].id}/status/",
            {"status": "cancelled"},
            format="json",
        )
    assert response.status_code == 200, response.content
    refund = Refund.objects.get()
    assert (refund.amount, refund.order_id) == (25050, orders[1].id)
    assert fake_paystack.refunds[0]["amount"] == 25050

    refund_event(
        api_client,
        fake_paystack,
        django_capture_on_commit_callbacks,
        fake_paystack.refunds[0]["id"],
        "processed",
    )
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED
    group.refresh_from_db()
    assert group.payment_status == "partially_refunded"


def test_refund_failed_webhook_marks_refund_failed_then_retry_succeeds(
    paid_group, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products, _payment = paid_group
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(group=group, orders=orders, reason="test")
    fake_id = fake_paystack.refunds[0]["id"]
    refund_event(api_client, fake_paystack, django_capture_on_commit_callbacks, fake_id, "failed")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert "failed" in refund.last_error
    group.refresh_from_db()
    assert group.payment_status == "paid"  # nothing confirmed

    # The sweep retries it once its backoff has passed.
    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert tasks.retry_failed_refunds.delay().get() == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING
    assert refund.attempts == 2
    assert len(fake_paystack.refunds) == 2


def test_provider_failure_on_submit_marks_failed_and_is_retried(
    paid_group, fake_paystack, django_capture_on_commit_callbacks
):
    group, orders, _products, _payment = paid_group
    fake_paystack.fail_next(count=1, status=500)
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    with pytest.raises(Retry):  # the task schedules a retry (eager Celery raises it)
        tasks.submit_refund.delay(str(refund.pk))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.attempts == 1
    assert refund.last_error
    assert fake_paystack.refunds == []

    # Not due yet (backoff), then due.
    assert refund.pk not in refunds_retry_due()
    later = timezone.now() + timedelta(minutes=3)
    assert refund.pk in refunds_retry_due(now=later)
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING
    assert fake_paystack.refunds[0]["amount"] == 100000


def _refund_webhook(api_client, fake, capture, refund, status):
    data = {
        "status": status,
        "transaction_reference": refund.payment.reference,
        "refund_reference": f"RF-{refund.pk}",
        "amount": str(refund.amount),
        "currency": "NGN",
    }
    with capture(execute=True):
        assert post_event(api_client, fake, f"refund.{status}", data).status_code == 200
    refund.refresh_from_db()


def _submit_timing_out(fake, refund):
    fake.timeout_next(count=1, seconds=1.0)  # longer than the client's 0.5 s read timeout
    # No retry is scheduled (eager Celery would raise it): the task ends quietly.
    assert tasks.submit_refund.delay(str(refund.pk)).get() == Refund.Status.PROCESSING
    refund.refresh_from_db()


def test_refund_timing_out_is_never_sent_again_automatically(
    paid_group, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    _submit_timing_out(fake_paystack, refund)
    assert refund.status == Refund.Status.PROCESSING
    assert refund.attempts == 1
    assert "outcome is unknown" in refund.last_error

    # Neither the sweep (even much later) nor a redelivered task sends it again.
    much_later = timezone.now() + timedelta(days=2)
    assert refund.pk not in refunds_retry_due(now=much_later)
    assert tasks.retry_failed_refunds.delay().get() == 0
    tasks.submit_refund.delay(str(refund.pk)).get()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING and refund.attempts == 1
    refund_calls = [r for r in fake_paystack.requests if r["path"] == "/refund"]
    assert len(refund_calls) == 1

    # Paystack did make it: its webhook settles the refund, paid once.
    _refund_webhook(
        api_client, fake_paystack, django_capture_on_commit_callbacks, refund, "processed"
    )
    assert refund.status == Refund.Status.PROCESSED
    assert refund.last_error == ""
    group.refresh_from_db()
    assert group.payment_status == "partially_refunded"
    assert refunds_retry_due(now=much_later) == []


def test_refund_timing_out_then_reported_failed_is_retried(
    paid_group, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    _submit_timing_out(fake_paystack, refund)
    _refund_webhook(api_client, fake_paystack, django_capture_on_commit_callbacks, refund, "failed")
    assert refund.status == Refund.Status.FAILED

    later = timezone.now() + timedelta(minutes=3)
    assert refund.pk in refunds_retry_due(now=later)
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING and refund.attempts == 2
    assert [r["amount"] for r in fake_paystack.refunds] == [refund.amount]


def test_refund_connect_timeout_is_retryable(paid_group, fake_paystack, monkeypatch):
    """A connection that could not even be opened sent nothing: retrying is safe."""
    import requests

    from payments import paystack

    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")

    class ConnectTimingOut:
        def request(self, *args, **kwargs):
            raise requests.ConnectTimeout("connect timed out")

    monkeypatch.setattr(paystack, "_session", ConnectTimingOut)
    with pytest.raises(Retry):
        tasks.submit_refund.delay(str(refund.pk))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.pk in refunds_retry_due(now=timezone.now() + timedelta(minutes=3))


def test_retries_are_bounded(paid_group, fake_paystack):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.FAILED,
        attempts=REFUND_MAX_ATTEMPTS,
        updated_at=timezone.now() - timedelta(days=2),
    )
    assert refund.pk not in refunds_retry_due()
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert fake_paystack.refunds == []


def test_a_refund_is_submitted_once(paid_group, fake_paystack):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    refund_submit(refund_id=refund.pk)
    refund_submit(refund_id=refund.pk)  # already processing: nothing sent again
    assert len(fake_paystack.refunds) == 1


def test_refund_rejected_by_paystack_is_recorded(paid_group, fake_paystack):
    group, orders, _products, payment = paid_group
    fake_paystack.transactions[payment.reference]["refunded"] = payment.amount  # reversed already
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    assert tasks.submit_refund.delay(str(refund.pk)).get() == "failed"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert "fully reversed" in refund.last_error


def test_never_refunds_more_than_was_paid(paid_group, fake_paystack):
    group, orders, _products, payment = paid_group
    first = refund_request(group=group, orders=orders, reason="all")
    assert first.amount == payment.amount
    assert refund_request(group=group, orders=orders[:1], reason="again") is None


def test_no_successful_payment_no_refund(customer):
    group, orders, _ = make_group(customer=customer)
    assert refund_request(group=group, orders=orders, reason="x") is None
    assert not Refund.objects.exists()


def test_stale_pending_refund_is_picked_up(paid_group, fake_paystack):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")  # task never ran
    assert refund.pk not in refunds_retry_due()
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert tasks.retry_failed_refunds.delay().get() == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING


def test_refund_event_for_unknown_transaction_is_ignored(
    api_client, fake_paystack, django_capture_on_commit_callbacks
):
    from payments.models import WebhookEvent

    data = {"status": "processed", "transaction_reference": "NOPE", "amount": "100"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api_client, fake_paystack, "refund.processed", data)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None


def test_duplicate_payment_refund_keeps_the_group_paid(
    customer, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, *_ = make_group(customer=customer)
    first = payment_initialize(group=group, email=customer.email)
    second = payment_initialize(group=group, email=customer.email)
    pay(fake_paystack, api_client, django_capture_on_commit_callbacks, first)
    pay(fake_paystack, api_client, django_capture_on_commit_callbacks, second)
    refund = Refund.objects.get(payment=second)
    refund_event(
        api_client,
        fake_paystack,
        django_capture_on_commit_callbacks,
        fake_paystack.refunds[0]["id"],
        "processed",
    )
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED
    group.refresh_from_db()
    assert group.payment_status == "paid"


def test_cash_group_cancellation_refunds_nothing(client_for, customer, fake_paystack):
    group, *_ = make_group(customer=customer, payment_method="cash", expires_in=None)
    response = client_for(customer).post(f"/api/v1/order-groups/{group.id}/cancel/", {})
    assert response.status_code == 200
    assert not Refund.objects.exists()
    assert OrderGroup.objects.get(pk=group.pk).payment_status == "unpaid"


# --- Reconciliation: refunds whose webhook never came ---------------------------------------


def _asked(fake, prefix="/refund"):
    return [r for r in fake.requests if r["method"] == "GET" and r["path"].startswith(prefix)]


def test_timed_out_refund_that_paystack_made_is_settled_by_reconciliation(
    paid_group, fake_paystack
):
    group, orders, _products, payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    _submit_timing_out(fake_paystack, refund)
    # Paystack did make it (the answer was lost), then processed it; its webhook is lost too.
    made = fake_paystack.refund({"transaction": payment.reference, "amount": refund.amount})[1]
    fake_paystack.settle_refund(made["data"]["id"], "processed")

    assert refunds_reconcile_stale() == 0  # too early: the webhook may still come
    assert _asked(fake_paystack) == []

    later = timezone.now() + timedelta(minutes=31)
    assert refunds_reconcile_stale(now=later) == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED
    assert refund.provider_refund_id == str(made["data"]["id"])
    group.refresh_from_db()
    assert group.payment_status == "partially_refunded"
    assert len([r for r in fake_paystack.requests if r["path"] == "/refund" and "body" in r]) == 1
    assert refunds_reconcile_stale(now=later) == 0  # settled: never asked about again


def test_a_failure_found_by_reconciliation_is_noted_for_a_person_not_sent_again(
    paid_group, fake_paystack
):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING and refund.provider_refund_id
    fake_paystack.settle_refund(int(refund.provider_refund_id), "failed")  # no webhook URL set

    later = timezone.now() + timedelta(minutes=31)
    assert tasks.reconcile_stale_refunds.delay().get() == 0  # not stale yet
    assert refunds_reconcile_stale(now=later) == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING
    assert "reports refund" in refund.last_error and "failed" in refund.last_error
    assert _asked(fake_paystack, f"/refund/{refund.provider_refund_id}")
    assert refunds_retry_due(now=later + timedelta(days=1)) == []
    assert len([r for r in fake_paystack.requests if r["path"] == "/refund" and "body" in r]) == 1


def test_an_earlier_attempts_failure_never_causes_a_second_refund(
    paid_group, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products, payment = paid_group
    refund = refund_request(group=group, orders=orders[1:2], reason="test")
    # Attempt 1 is accepted (P_a), then fails; its webhook arrives.
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    first_id = refund.provider_refund_id
    fake_paystack.settle_refund(int(first_id), "failed")  # no webhook URL: delivered below
    _refund_webhook(api_client, fake_paystack, django_capture_on_commit_callbacks, refund, "failed")
    assert refund.status == Refund.Status.FAILED
    # Attempt 2 times out, but Paystack made it (P_b) and processed it; that webhook is lost.
    _submit_timing_out(fake_paystack, refund)
    assert refund.provider_refund_id == ""  # P_a says nothing about this attempt
    made = fake_paystack.refund({"transaction": payment.reference, "amount": refund.amount})[1]
    fake_paystack.settle_refund(made["data"]["id"], "processed")
    assert {str(r["id"]) for r in fake_paystack.refunds} == {first_id, str(made["data"]["id"])}

    later = timezone.now() + timedelta(minutes=31)
    assert refunds_reconcile_stale(now=later) == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED
    assert refund.provider_refund_id == str(made["data"]["id"])
    assert refunds_retry_due(now=later + timedelta(days=1)) == []
    assert [r["status"] for r in fake_paystack.refunds] == ["failed", "processed"]


def test_reconciliation_settles_the_refund_it_asked_about_not_another_of_the_same_amount(
    customer, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products = make_group(
        customer=customer, prices=[Decimal("500.00"), Decimal("500.00")], quantity=1
    )
    payment = payment_initialize(group=group, email=customer.email)
    pay(fake_paystack, api_client, django_capture_on_commit_callbacks, payment)
    first = refund_request(group=group, orders=orders[:1], reason="first")
    second = refund_request(group=group, orders=orders[1:], reason="second")
    assert first.amount == second.amount
    Refund.objects.filter(pk=first.pk).update(status=Refund.Status.FAILED)  # e.g. a 503
    _submit_timing_out(fake_paystack, second)  # Paystack made it and processed it
    made = fake_paystack.refund({"transaction": payment.reference, "amount": second.amount})[1]
    fake_paystack.settle_refund(made["data"]["id"], "processed")

    assert refunds_reconcile_stale(now=timezone.now() + timedelta(minutes=31)) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == Refund.Status.PROCESSED
    assert second.provider_refund_id == str(made["data"]["id"])
    assert first.status == Refund.Status.FAILED and first.provider_refund_id == ""
    assert first.pk in refunds_retry_due(now=timezone.now() + timedelta(days=1))


def test_refund_paystack_never_made_is_not_sent_again_by_reconciliation(paid_group, fake_paystack):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    _submit_timing_out(fake_paystack, refund)  # the fake made nothing
    before = refund.updated_at

    later = timezone.now() + timedelta(minutes=31)
    assert refunds_reconcile_stale(now=later) == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING and refund.attempts == 1
    assert refund.updated_at > before  # asked about: waits its turn again
    assert len(_asked(fake_paystack)) == 1
    assert fake_paystack.refunds == []
    assert len([r for r in fake_paystack.requests if r["path"] == "/refund" and "body" in r]) == 1


def test_reconciliation_goes_on_when_paystack_is_down(paid_group, fake_paystack):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[:1], reason="test")
    refund_submit(refund_id=refund.pk)
    fake_paystack.fail_next(count=1, status=503)

    assert refunds_reconcile_stale(now=timezone.now() + timedelta(minutes=31)) == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING


def test_a_late_failure_of_an_earlier_attempt_does_not_fail_the_attempt_in_flight(
    paid_group, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products, _payment = paid_group
    refund = refund_request(group=group, orders=orders[1:2], reason="test")
    refund_submit(refund_id=refund.pk)  # attempt 1: Paystack makes it
    refund.refresh_from_db()
    first_id = refund.provider_refund_id
    # We lost track of attempt 1 (as after an error answer) and sent attempt 2.
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.attempts == 2 and refund.provider_refund_id not in ("", first_id)
    second_id = refund.provider_refund_id
    Refund.objects.filter(pk=refund.pk).update(provider_refund_id="")  # its answer was lost

    # Attempt 1's failure arrives late: it must not make attempt 2 look failed.
    fake_paystack.settle_refund(int(first_id), "failed")  # no webhook URL: delivered below
    first = next(r for r in fake_paystack.refunds if str(r["id"]) == first_id)
    data = fake_paystack.refund_event_data(first)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(api_client, fake_paystack, "refund.failed", data).status_code == 200
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSING
    assert "earlier attempt" in refund.last_error
    assert refunds_retry_due(now=timezone.now() + timedelta(days=1)) == []

    # Attempt 2's own confirmation still settles it.
    fake_paystack.settle_refund(int(second_id), "processed")
    second = next(r for r in fake_paystack.refunds if str(r["id"]) == second_id)
    data = fake_paystack.refund_event_data(second)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(api_client, fake_paystack, "refund.processed", data).status_code == 200
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED


def _two_refunds_of_one_amount(customer, fake_paystack, api_client, capture):
    group, orders, _products = make_group(
        customer=customer, prices=[Decimal("500.00"), Decimal("500.00")], quantity=1
    )
    payment = payment_initialize(group=group, email=customer.email)
    pay(fake_paystack, api_client, capture, payment)
    first = refund_request(group=group, orders=orders[:1], reason="first")
    second = refund_request(group=group, orders=orders[1:], reason="second")
    for refund in (first, second):
        refund_submit(refund_id=refund.pk)
        refund.refresh_from_db()
        assert refund.status == Refund.Status.PROCESSING and refund.provider_refund_id
    assert first.amount == second.amount
    return first, second


def test_two_same_amount_refunds_both_needing_attention_are_both_moved_and_reported(
    customer, admin_user, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first, second = _two_refunds_of_one_amount(customer, fake_paystack, api_client, capture)
    mail.outbox.clear()
    # Paystack moves both, then sends two identical events (no refund id nor reference).
    events = []
    for refund in (first, second):
        fake_id = int(refund.provider_refund_id)
        fake_paystack.settle_refund(fake_id, "needs-attention")
        events.append(
            fake_paystack.refund_event_data(
                next(r for r in fake_paystack.refunds if r["id"] == fake_id)
            )
        )
    assert events[0] == events[1]
    for data in (*events, events[0]):  # and a redelivery
        with capture(execute=True):
            assert (
                post_event(api_client, fake_paystack, "refund.needs-attention", data).status_code
                == 200
            )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Refund.Status.NEEDS_ATTENTION
    notices = [
        m for m in mail.outbox if admin_user.email in m.to and "needs attention" in m.subject
    ]
    assert len(notices) == 2  # one for each refund, none for the redelivery
    assert (
        WebhookEvent.objects.filter(
            event="refund.needs-attention", processed_at__isnull=False
        ).count()
        == 3
    )
    assert not UnmatchedRefund.objects.exists()
    # Paystack then settles both: each processed event (with its reference) settles one.
    for refund in (first, second):
        assert (
            refund_event(
                api_client, fake_paystack, capture, int(refund.provider_refund_id), "processed"
            ).status_code
            == 200
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Refund.Status.PROCESSED


def test_reconciliation_applies_a_needs_attention_verdict_once(
    customer, admin_user, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first, second = _two_refunds_of_one_amount(customer, fake_paystack, api_client, capture)
    mail.outbox.clear()
    for refund in (first, second):
        fake_paystack.settle_refund(int(refund.provider_refund_id), "needs-attention")  # lost
    with capture(execute=True):
        assert refunds_reconcile_stale(now=timezone.now() + timedelta(minutes=31)) == 0
    with capture(execute=True):
        refunds_reconcile_stale(now=timezone.now() + timedelta(days=1))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Refund.Status.NEEDS_ATTENTION
    notices = [
        m for m in mail.outbox if admin_user.email in m.to and "needs attention" in m.subject
    ]
    assert len(notices) == 2
    assert len(fake_paystack.refunds) == 2  # nothing sent again
    assert not refunds_retry_due(now=timezone.now() + timedelta(days=1))
