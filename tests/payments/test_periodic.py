"""The beat tasks: expiry of unpaid groups, re-verification of pending attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from orders.models import Order, OrderGroup
from payments import tasks
from payments.models import Payment, Refund
from payments.services import payment_initialize
from products.inventory import ledger_drift
from products.models import InventoryMovement
from tests.payments.helpers import make_group

pytestmark = pytest.mark.django_db


def test_beat_schedule_names_the_tasks():
    names = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    for task in (
        "expire_unpaid_order_groups",
        "reverify_pending_payments",
        "retry_failed_refunds",
        "reconcile_stale_refunds",
    ):
        assert f"payments.tasks.{task}" in names
        assert getattr(tasks, task).name == f"payments.tasks.{task}"


def test_expiry_cancels_due_groups_and_restores_stock_once(
    customer, fake_paystack, django_capture_on_commit_callbacks
):
    due, _, due_products = make_group(customer=customer, expires_in=timedelta(minutes=-1))
    fresh, _, fresh_products = make_group(customer=customer, expires_in=timedelta(minutes=5))
    cash, _, _ = make_group(customer=customer, payment_method="cash", expires_in=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 0  # nothing twice

    due.refresh_from_db()
    assert due.status == "cancelled"
    assert set(Order.objects.filter(group=due).values_list("status", flat=True)) == {"cancelled"}
    due_products[0].refresh_from_db()
    assert due_products[0].stock == 10
    movements = InventoryMovement.objects.filter(product=due_products[0], reason="payment_expired")
    assert [m.delta for m in movements] == [2]
    assert ledger_drift() == []
    assert any(due.number in m.subject for m in mail.outbox if m.to == [customer.email])

    for group in (fresh, cash):
        group.refresh_from_db()
        assert group.status == "pending"
    fresh_products[0].refresh_from_db()
    assert fresh_products[0].stock == 8


def test_expiry_first_asks_paystack_about_pending_attempts(
    customer, fake_paystack, django_capture_on_commit_callbacks
):
    group, _, products = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    # Paid two minutes ago, a minute before the deadline, but the webhook never came.
    fake_paystack.pay(payment.reference, webhook=False)
    paid_at = timezone.now() - timedelta(minutes=2)
    fake_paystack.transactions[payment.reference]["paid_at"] = paid_at.isoformat()
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 0
    group.refresh_from_db()
    assert group.payment_status == "paid" and group.status == "pending"
    assert group.paid_at == paid_at
    products[0].refresh_from_db()
    assert products[0].stock == 8
    assert not Refund.objects.exists()


def test_a_charge_made_after_the_deadline_is_refunded_and_the_group_expires(
    customer, fake_paystack, django_capture_on_commit_callbacks
):
    group, _, products = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    fake_paystack.pay(payment.reference, webhook=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 1
    group.refresh_from_db()
    assert group.payment_status == "unpaid" and group.status == "cancelled"
    payment.refresh_from_db()
    assert payment.status == "success"
    assert Refund.objects.get().amount == payment.amount
    assert fake_paystack.refunds[0]["transaction_reference"] == payment.reference
    products[0].refresh_from_db()
    assert products[0].stock == 10


def test_expiry_waits_when_paystack_is_down(
    customer, fake_paystack, django_capture_on_commit_callbacks
):
    # Never expire what may be paid: an attempt Paystack cannot be asked about keeps the group.
    group, _, _ = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    fake_paystack.fail_next(count=1, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 0
    group.refresh_from_db()
    assert group.status == "pending"
    payment.refresh_from_db()
    assert payment.check_failures == 1

    # Paystack answers again, after the backoff: it confirms no success, and the group expires.
    Payment.objects.filter(pk=payment.pk).update(checked_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 1
    group.refresh_from_db()
    assert group.status == "cancelled"


def test_reverify_pays_attempts_whose_webhook_was_lost(
    customer, fake_paystack, django_capture_on_commit_callbacks
):
    old_group, *_ = make_group(customer=customer)
    young_group, *_ = make_group(customer=customer)
    old = payment_initialize(group=old_group, email=customer.email)
    young = payment_initialize(group=young_group, email=customer.email)
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    for payment in (old, young):
        fake_paystack.pay(payment.reference, webhook=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reverify_pending_payments.delay().get() == 1
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.status == "success" and young.status == "pending"
    old_group.refresh_from_db()
    assert old_group.payment_status == "paid"
    assert any("Payment received" in m.subject for m in mail.outbox)


def test_reverify_keeps_unpaid_attempts_pending_until_abandoned(customer, fake_paystack):
    group, *_ = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=6))

    assert tasks.reverify_pending_payments.delay().get() == 1
    payment.refresh_from_db()
    assert payment.status == "pending"  # Paystack says "abandoned", but the group is payable
    assert payment.verified_at is not None

    OrderGroup.objects.filter(pk=group.pk).update(status="cancelled")
    assert tasks.reverify_pending_payments.delay().get() == 1
    payment.refresh_from_db()
    assert payment.status == "abandoned"

    ancient = payment_initialize(group=make_group(customer=customer)[0], email=customer.email)
    Payment.objects.filter(pk=ancient.pk).update(created_at=timezone.now() - timedelta(days=3))
    tasks.reverify_pending_payments.delay().get()
    ancient.refresh_from_db()
    assert ancient.status == "abandoned"


def test_reverify_stops_when_paystack_is_down(customer, fake_paystack):
    payments = []
    for _ in range(3):
        group, *_ = make_group(customer=customer)
        payments.append(payment_initialize(group=group, email=customer.email))
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    fake_paystack.fail_next(count=10, status=502)
    before = len(fake_paystack.requests)
    assert tasks.reverify_pending_payments.delay().get() == 0
    assert len(fake_paystack.requests) - before == 1  # gave up after the first failure
    assert set(Payment.objects.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize("status", [429, 408])
def test_reverify_rate_limited_keeps_attempts_pending(customer, fake_paystack, status):
    group, *_ = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    fake_paystack.pay(payment.reference, webhook=False)
    fake_paystack.fail_next(count=1, status=status)
    assert tasks.reverify_pending_payments.delay().get() == 0
    payment.refresh_from_db()
    assert payment.status == "pending"

    # The next run after the backoff gets through and the real charge pays the group.
    assert tasks.reverify_pending_payments.delay().get() == 0  # backing off
    Payment.objects.filter(pk=payment.pk).update(checked_at=timezone.now() - timedelta(minutes=2))
    assert tasks.reverify_pending_payments.delay().get() == 1
    payment.refresh_from_db()
    group.refresh_from_db()
    assert payment.status == "success" and group.payment_status == "paid"


def test_expiry_waits_when_our_key_is_refused(
    customer, fake_paystack, settings, django_capture_on_commit_callbacks
):
    group, _, _ = make_group(customer=customer)
    payment = payment_initialize(group=group, email=customer.email)
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    settings.PAYSTACK_SECRET_KEY = "sk_test_rotated"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unpaid_order_groups.delay().get() == 0
    group.refresh_from_db()
    assert group.status == "pending"
    payment.refresh_from_db()
    assert payment.status == "pending"  # a refused key says nothing about the payment
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=9))
    assert tasks.reverify_pending_payments.delay().get() == 0
    payment.refresh_from_db()
    assert payment.status == "pending" and payment.verified_at is None
