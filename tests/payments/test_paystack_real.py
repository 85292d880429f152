"""Paystack as it really is (API.md §11), against the fake Paystack over HTTP: refund events
without an id, refunds we did not send, needs-attention, disputes, the NGN 50 minimum, a slow or
failing Paystack at initialisation, and never expiring what may be paid."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import PaymentProviderError
from orders.models import OrderGroup
from payments import tasks
from payments.models import Dispute, Payment, Refund, UnmatchedRefund
from payments.services import (
    order_groups_expire_due,
    payment_initialize,
    refund_request,
    refund_submit,
    refunds_reconcile_stale,
)
from tests import factories
from tests.payments.helpers import make_group, post_event

pytestmark = pytest.mark.django_db


def url(group_id) -> str:
    return f"/api/v1/order-groups/{group_id}/payments/"


@pytest.fixture
def ops(db):
    return factories.UserFactory(is_staff=True, email="ops@example.com")


@pytest.fixture
def paid(customer, fake_paystack, api_client, django_capture_on_commit_callbacks):
    """A group of two orders (100000 + 25050 kobo) paid through the fake, over the webhook."""
    group, orders, _ = make_group(
        customer=customer, prices=[Decimal("1000.00"), Decimal("250.50")], quantity=1
    )
    payment = payment_initialize(group=group, email=customer.email)
    fake_paystack.pay(payment.reference, webhook=False)
    data = fake_paystack.verify(payment.reference)[1]["data"]
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(api_client, fake_paystack, "charge.success", data).status_code == 200
    payment.refresh_from_db()
    assert payment.status == "success"
    return group, orders, payment


def send_refund_event(fake, api_client, capture, fake_refund):
    """Deliver the fake's event about `fake_refund` (Paystack's shape) to our webhook."""
    data = fake.refund_event_data(fake_refund)
    assert "id" not in data and isinstance(data["amount"], str)
    with capture(execute=True):
        response = post_event(api_client, fake, f"refund.{fake_refund['status']}", data)
    assert response.status_code == 200
    return data


def fake_refund_of(fake, refund: Refund) -> dict:
    return next(r for r in fake.refunds if str(r["id"]) == refund.provider_refund_id)


# --- Refund events -------------------------------------------------------------------------------


def test_verification_stores_the_transactions_numeric_id(paid, fake_paystack):
    _group, _orders, payment = paid
    assert payment.provider_transaction_id == fake_paystack.transactions[payment.reference]["id"]


def test_a_dashboard_refund_of_another_amount_settles_none_of_ours(
    paid, fake_paystack, api_client, django_capture_on_commit_callbacks, admin_user, client
):
    group, orders, payment = paid
    with django_capture_on_commit_callbacks(execute=True):
        ours = refund_request(group=group, orders=orders[1:2], reason="shop cancelled")
    ours.refresh_from_db()
    assert (ours.status, ours.amount) == ("processing", 25050)

    # Someone refunds 5000 kobo of the same transaction from Paystack's dashboard.
    dashboard = fake_paystack.refund_from_dashboard(payment.reference, 5000)
    send_refund_event(fake_paystack, api_client, django_capture_on_commit_callbacks, dashboard)

    ours.refresh_from_db()
    assert ours.status == "processing"  # not settled: that money never went to the customer
    group.refresh_from_db()
    assert group.payment_status == "paid"
    unmatched = UnmatchedRefund.objects.get()
    assert (unmatched.payment_id, unmatched.amount, unmatched.status) == (
        payment.pk,
        5000,
        "processed",
    )
    assert unmatched.transaction_reference == payment.reference
    # Paystack was asked, by the transaction's numeric id.
    asked = [r.get("query", "") for r in fake_paystack.requests if r["path"] == "/refund"]
    assert any(f"transaction={payment.provider_transaction_id}" in q for q in asked)

    # A person sees it in the admin.
    client.force_login(admin_user)
    page = client.get("/admin/payments/unmatchedrefund/")
    assert page.status_code == 200 and payment.reference in page.content.decode()

    # Our own refund's event still settles ours.
    fake_paystack.settle_refund(int(ours.provider_refund_id), "processed")
    send_refund_event(
        fake_paystack,
        api_client,
        django_capture_on_commit_callbacks,
        fake_refund_of(fake_paystack, ours),
    )
    ours.refresh_from_db()
    assert ours.status == "processed"
    assert UnmatchedRefund.objects.count() == 1


def test_an_event_never_settles_a_refund_not_yet_sent(
    paid, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    _group, orders, payment = paid
    # Recorded, not yet sent (its task has not run).
    waiting = Refund.objects.create(payment=payment, order=orders[1], amount=25050, reason="x")
    dashboard = fake_paystack.refund_from_dashboard(payment.reference, 25050)
    send_refund_event(fake_paystack, api_client, django_capture_on_commit_callbacks, dashboard)
    waiting.refresh_from_db()
    assert waiting.status == "pending"
    assert UnmatchedRefund.objects.get().amount == 25050


def test_two_of_ours_of_the_same_amount_are_told_apart_by_asking_paystack(
    customer, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _ = make_group(
        customer=customer, prices=[Decimal("100.00"), Decimal("100.00")], quantity=1
    )
    payment = payment_initialize(group=group, email=customer.email)
    fake_paystack.pay(payment.reference, webhook=False)
    data = fake_paystack.verify(payment.reference)[1]["data"]
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api_client, fake_paystack, "charge.success", data)
    with django_capture_on_commit_callbacks(execute=True):
        first = refund_request(group=group, orders=orders[:1], reason="a")
        second = refund_request(group=group, orders=orders[1:], reason="b")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.amount == second.amount == 10000

    fake_paystack.settle_refund(int(second.provider_refund_id), "processed")
    send_refund_event(
        fake_paystack,
        api_client,
        django_capture_on_commit_callbacks,
        fake_refund_of(fake_paystack, second),
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("processing", "processed")
    assert not UnmatchedRefund.objects.exists()


def test_needs_attention_is_shown_and_emailed_to_the_admins(
    paid,
    fake_paystack,
    api_client,
    client_for,
    customer,
    django_capture_on_commit_callbacks,
    ops,
    admin_user,
    client,
):
    group, orders, payment = paid
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(group=group, orders=orders, reason="cancelled")
    refund.refresh_from_db()
    mail.outbox.clear()

    fake_paystack.settle_refund(int(refund.provider_refund_id), "needs-attention")
    data = send_refund_event(
        fake_paystack,
        api_client,
        django_capture_on_commit_callbacks,
        fake_refund_of(fake_paystack, refund),
    )
    assert data["status"] == "needs-attention" and data["refund_reference"] is None

    refund.refresh_from_db()
    assert refund.status == "needs_attention"
    notices = [m for m in mail.outbox if "needs attention" in m.subject]
    assert sorted(to for m in notices for to in m.to) == sorted(
        ["ops@example.com", admin_user.email]
    )

    shown = client_for(customer).get(f"/api/v1/payments/{payment.reference}/").json()["data"]
    assert [r["status"] for r in shown["refunds"]] == ["needs_attention"]
    client.force_login(admin_user)
    page = client.get("/admin/payments/refund/?status__exact=needs_attention")
    assert page.status_code == 200 and str(refund.pk) in page.content.decode()

    # Once the customer's details are given, Paystack processes it.
    fake_paystack.settle_refund(int(refund.provider_refund_id), "processed")
    send_refund_event(
        fake_paystack,
        api_client,
        django_capture_on_commit_callbacks,
        fake_refund_of(fake_paystack, refund),
    )
    refund.refresh_from_db()
    assert refund.status == "processed"


def test_processing_event_keeps_the_refund_processing(
    paid, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _payment = paid
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(group=group, orders=orders[1:], reason="x")
    refund.refresh_from_db()
    fake_paystack.settle_refund(int(refund.provider_refund_id), "processing")
    send_refund_event(
        fake_paystack,
        api_client,
        django_capture_on_commit_callbacks,
        fake_refund_of(fake_paystack, refund),
    )
    refund.refresh_from_db()
    assert refund.status == "processing" and not UnmatchedRefund.objects.exists()


def test_reconciliation_lists_refunds_by_the_transactions_numeric_id(
    paid, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, payment = paid
    refund = refund_request(group=group, orders=orders[1:], reason="x")
    fake_paystack.timeout_next(count=1, seconds=1.0)  # the answer to POST /refund is lost
    refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == "processing" and refund.provider_refund_id == ""
    made = fake_paystack.refunds
    assert len(made) == 0  # the fake did nothing on the timed-out call: make it now
    fake_paystack.refund_from_dashboard(payment.reference, 25050)
    # A reference matches nothing at Paystack: only the numeric id does.
    assert fake_paystack.list_refunds(payment.reference)[1]["data"] == []

    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert refunds_reconcile_stale() == 1
    refund.refresh_from_db()
    assert refund.status == "processed"
    assert refund.provider_refund_id == str(fake_paystack.refunds[0]["id"])

    # Its webhook, arriving after all, is about that refund: nothing for a person to check.
    send_refund_event(
        fake_paystack, api_client, django_capture_on_commit_callbacks, fake_paystack.refunds[0]
    )
    refund.refresh_from_db()
    assert refund.status == "processed" and not UnmatchedRefund.objects.exists()


# --- Disputes ------------------------------------------------------------------------------------


def test_disputes_are_recorded_shown_and_emailed(
    paid, fake_paystack, api_client, client_for, customer, django_capture_on_commit_callbacks, ops
):
    _group, orders, payment = paid

    def deliver(event, **kwargs):
        # No webhook URL: the fake's event is delivered here, as Paystack would POST it.
        data = fake_paystack.dispute(payment.reference, event, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(api_client, fake_paystack, event, data).status_code == 200
        return data["id"]

    dispute_id = deliver("charge.dispute.create", refund_amount=125050)
    dispute = Dispute.objects.get()
    assert (dispute.payment_id, dispute.status, dispute.amount, dispute.reason) == (
        payment.pk,
        "awaiting-merchant-feedback",
        125050,
        "chargeback",
    )
    shown = client_for(customer).get(f"/api/v1/payments/{payment.reference}/").json()["data"]
    assert shown["disputes"] == [
        {
            "status": "awaiting-merchant-feedback",
            "reason": "chargeback",
            "amount": 125050,
            "due_at": "2030-01-10T12:00:00Z",
            "resolved_at": None,
        }
    ]
    told = sorted(to for m in mail.outbox if "dispute" in m.subject for to in m.to)
    owners = sorted(o.shop.owner.email for o in orders)
    assert told == sorted(["ops@example.com", *owners])

    deliver("charge.dispute.resolve", dispute_id=dispute_id, refund_amount=125050)
    dispute.refresh_from_db()
    assert Dispute.objects.count() == 1
    assert dispute.status == "resolved" and dispute.resolved_at is not None
    assert any("resolved" in m.subject for m in mail.outbox)


# --- Minimum amount ------------------------------------------------------------------------------


def test_below_paystacks_minimum_is_refused_before_paystack_is_called(
    client_for, customer, fake_paystack
):
    group, *_ = make_group(customer=customer, prices=[Decimal("24.99")], quantity=2)  # 49.98
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "amount_below_minimum"
    assert fake_paystack.requests == []
    assert not Payment.objects.exists()


def test_an_unknown_subaccount_is_refused_like_paystack_does(
    client_for, customer, fake_paystack, settings
):
    settings.SETTLEMENT_MODE = "split"
    shop = factories.ShopFactory(paystack_subaccount_code="ACCT_unknown")
    group, *_ = make_group(customer=customer, shops=[shop])
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert response.status_code == 502
    assert "Invalid Subaccount" in response.json()["message"]


# --- A slow or failing Paystack at initialisation ------------------------------------------------


def test_initialisation_is_bounded_by_its_deadline(
    client_for, customer, paystack_group, fake_paystack, settings
):
    settings.PAYSTACK_TIMEOUT = (3.0, 10.0)
    settings.PAYSTACK_INITIALIZE_DEADLINE = 1.0
    fake_paystack.timeout_next(count=1, seconds=4)
    started = time.monotonic()
    response = client_for(customer).post(url(paystack_group.id), {}, format="json")
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.content
    assert elapsed < 2.5


def test_breaker_answers_at_once_after_repeated_failures(
    client_for, customer, paystack_group, fake_paystack, settings
):
    settings.PAYSTACK_BREAKER_THRESHOLD = 2
    settings.PAYSTACK_BREAKER_COOLDOWN = 30
    fake_paystack.fail_next(count=2, status=503)
    client = client_for(customer)
    assert client.post(url(paystack_group.id), {}, format="json").status_code == 502
    assert client.post(url(paystack_group.id), {}, format="json").status_code == 502
    calls = len(fake_paystack.requests)

    # Open: answered at once, Paystack not called, no attempt stored.
    attempts = Payment.objects.count()
    response = client.post(url(paystack_group.id), {}, format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"
    assert len(fake_paystack.requests) == calls
    assert Payment.objects.count() == attempts


def test_breaker_opened_by_timeouts_answers_504(
    client_for, customer, paystack_group, fake_paystack, settings
):
    settings.PAYSTACK_BREAKER_THRESHOLD = 1
    settings.PAYSTACK_INITIALIZE_DEADLINE = 0.5
    fake_paystack.timeout_next(count=1, seconds=1.0)
    client = client_for(customer)
    assert client.post(url(paystack_group.id), {}, format="json").status_code == 504
    calls = len(fake_paystack.requests)
    assert client.post(url(paystack_group.id), {}, format="json").status_code == 504
    assert len(fake_paystack.requests) == calls


def test_breaker_fails_open_when_the_cache_is_down(
    customer, paystack_group, fake_paystack, settings
):
    settings.PAYSTACK_BREAKER_THRESHOLD = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    fake_paystack.fail_next(count=1, status=503)
    with pytest.raises(PaymentProviderError):
        payment_initialize(group=paystack_group, email=customer.email)
    # Nothing could be recorded, nothing blocks: Paystack is called as usual.
    payment = payment_initialize(group=paystack_group, email=customer.email)
    assert payment.authorization_url


def test_attempts_that_failed_at_paystack_do_not_count_toward_the_cap(
    client_for, customer, paystack_group, fake_paystack, settings
):
    from payments.services.common import MAX_ATTEMPTS_PER_GROUP

    settings.PAYSTACK_BREAKER_THRESHOLD = MAX_ATTEMPTS_PER_GROUP + 1
    fake_paystack.fail_next(count=MAX_ATTEMPTS_PER_GROUP, status=503)
    client = client_for(customer)
    for _ in range(MAX_ATTEMPTS_PER_GROUP):
        assert client.post(url(paystack_group.id), {}, format="json").status_code == 502
    assert Payment.objects.filter(status="failed").count() == MAX_ATTEMPTS_PER_GROUP
    response = client.post(url(paystack_group.id), {}, format="json")
    assert response.status_code == 201, response.content


# --- Never expire what may be paid ---------------------------------------------------------------


@pytest.mark.parametrize("outage", ["hung", "unreachable"])
def test_paid_on_time_with_paystack_out_at_the_deadline_is_not_lost(
    customer, fake_paystack, settings, django_capture_on_commit_callbacks, outage
):
    group, _orders, products = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    fake_paystack.pay(payment.reference, webhook=False)  # paid on time; the webhook is lost
    on_time = timezone.now() - timedelta(minutes=5)
    fake_paystack.transactions[payment.reference]["paid_at"] = on_time.isoformat()
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    base_url = settings.PAYSTACK_BASE_URL
    if outage == "hung":
        fake_paystack.timeout_next(count=1, seconds=1.0)
    else:
        settings.PAYSTACK_BASE_URL = "http://127.0.0.1:1"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 0
    group.refresh_from_db()
    assert (group.status, group.payment_status) == ("pending", "unpaid")
    products[0].refresh_from_db()
    assert products[0].stock == 8  # not released

    # Asked again with backoff: not before it is due.
    settings.PAYSTACK_BASE_URL = base_url
    calls = len(fake_paystack.requests)
    assert order_groups_expire_due() == 0
    assert len(fake_paystack.requests) == calls

    # Paystack reachable again: the charge made before the deadline pays the group.
    later = timezone.now() + timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert order_groups_expire_due(now=later) == 0
    group.refresh_from_db()
    assert group.payment_status == "paid" and group.status != "cancelled"
    assert not Refund.objects.exists()


def test_unverifiable_past_the_give_up_period_expires_and_tells_the_admins(
    customer, fake_paystack, settings, django_capture_on_commit_callbacks, ops
):
    group, *_ = make_group(customer=customer)
    payment_initialize(group=group, email=customer.email)
    hours = settings.PAYMENT_VERIFY_GIVE_UP_HOURS
    OrderGroup.objects.filter(pk=group.pk).update(
        expires_at=timezone.now() - timedelta(hours=hours, minutes=1)
    )
    settings.PAYSTACK_BASE_URL = "http://127.0.0.1:1"
    with django_capture_on_commit_callbacks(execute=True):
        assert order_groups_expire_due() == 1
    group.refresh_from_db()
    assert group.status == "cancelled"
    assert any(
        "without Paystack confirming" in m.subject and m.to == ["ops@example.com"]
        for m in mail.outbox
    )


def test_a_charge_succeeding_after_expiry_is_still_refunded(
    customer, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, *_ = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_groups_expire_due() == 1  # Paystack confirmed: not paid
    fake_paystack.pay(payment.reference, webhook=False)
    data = fake_paystack.verify(payment.reference)[1]["data"]
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api_client, fake_paystack, "charge.success", data)
    assert Refund.objects.get().amount == payment.amount
