"""Races: duplicate webhook deliveries, several paths paying at once, expiry against payment.

Real threads on the real database (run on PostgreSQL and MariaDB), started together with a
barrier; each closes its connection. Celery is eager, so each thread also runs the tasks it
queues, which is the worst case for duplicates.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import SentEmail
from orders.models import Order, OrderGroup
from orders.services import order_group_expire
from payments import services
from payments.models import Payment, Refund, WebhookEvent
from products.inventory import ledger_drift
from products.models import InventoryMovement
from tests.payments.helpers import make_group, post_event
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_deliveries_of_one_event_are_processed_once(customer, fake_paystack):
    group, *_ = make_group(customer=customer)
    payment = services.payment_initialize(group=group, email=customer.email)
    fake_paystack.pay(payment.reference, webhook=False)
    data = fake_paystack.verify(payment.reference)[1]["data"]

    def deliver():
        return post_event(Client(), fake_paystack, "charge.success", data).status_code

    results = run_together(*[deliver for _ in range(8)])

    assert results == [200] * 8, results
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS
    group.refresh_from_db()
    assert group.payment_status == "paid"
    assert group.paid_at == payment.paid_at
    assert all(Order.objects.filter(group=group).values_list("is_paid", flat=True))
    assert not Refund.objects.exists()
    assert (
        SentEmail.objects.filter(key=f"order-paid:{group.id}", sent_at__isnull=False).count() == 1
    )
    assert len([m for m in mail.outbox if "Payment received" in m.subject]) == 1


def test_webhook_refresh_and_sweep_racing_pay_once(customer, fake_paystack, client_for):
    group, *_ = make_group(customer=customer)
    payment = services.payment_initialize(group=group, email=customer.email)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    fake_paystack.pay(payment.reference, webhook=False)
    data = fake_paystack.verify(payment.reference)[1]["data"]
    api = client_for(customer)

    results = run_together(
        lambda: post_event(Client(), fake_paystack, "charge.success", data).status_code,
        lambda: post_event(Client(), fake_paystack, "charge.success", data).status_code,
        lambda: api.get(f"/api/v1/payments/{payment.reference}/?refresh=true").status_code,
        lambda: services.payments_reverify_pending(),
    )
    assert results[:3] == [200, 200, 200], results
    assert not isinstance(results[3], Exception), results
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS
    group.refresh_from_db()
    assert group.payment_status == "paid"
    assert not Refund.objects.exists()
    assert (
        SentEmail.objects.filter(key=f"order-paid:{group.id}", sent_at__isnull=False).count() == 1
    )


def test_two_attempts_succeeding_at_once_pay_once_and_refund_the_other(customer, fake_paystack):
    group, *_ = make_group(customer=customer)
    first = services.payment_initialize(group=group, email=customer.email)
    second = services.payment_initialize(group=group, email=customer.email)
    payloads = []
    for payment in (first, second):
        fake_paystack.pay(payment.reference, webhook=False)
        payloads.append(fake_paystack.verify(payment.reference)[1]["data"])

    results = run_together(
        *[
            lambda d=d: post_event(Client(), fake_paystack, "charge.success", d).status_code
            for d in payloads
        ]
    )
    assert results == [200, 200]
    group.refresh_from_db()
    assert group.payment_status == "paid"
    assert set(Payment.objects.values_list("status", flat=True)) == {"success"}
    refund = Refund.objects.get()
    assert refund.amount == first.amount
    assert refund.payment_id in (first.pk, second.pk)
    assert group.paid_at == Payment.objects.exclude(pk=refund.payment_id).get().paid_at
    assert [r["transaction_reference"] for r in fake_paystack.refunds] == [
        Payment.objects.get(pk=refund.payment_id).reference
    ]


@pytest.mark.parametrize("round_", range(6))
def test_expiry_racing_a_payment_restores_stock_exactly_once(round_, customer, fake_paystack):
    group, _orders, products = make_group(customer=customer, quantity=3)
    payment = services.payment_initialize(group=group, email=customer.email)
    # The charge was made before the deadline; the deadline has just passed.
    fake_paystack.pay(payment.reference, webhook=False)
    paid_at = timezone.now() - timedelta(seconds=30)
    fake_paystack.transactions[payment.reference]["paid_at"] = paid_at.isoformat()
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    data = fake_paystack.verify(payment.reference)[1]["data"]

    results = run_together(
        lambda: order_group_expire(group_id=group.id),
        lambda: services.payment_apply_verification(payment_id=payment.pk, data=data),
        lambda: order_group_expire(group_id=group.id),
    )
    assert not any(isinstance(r, Exception) for r in results), results

    group.refresh_from_db()
    payment.refresh_from_db()
    product = products[0]
    product.refresh_from_db()
    expired_movements = InventoryMovement.objects.filter(product=product, reason="payment_expired")
    assert payment.status == Payment.Status.SUCCESS
    if group.status == "cancelled":
        # Expiry won: stock back once, the money goes back in full.
        assert results.count(True) == 1
        assert group.payment_status == "unpaid"
        assert product.stock == 10
        assert [m.delta for m in expired_movements] == [3]
        refund = Refund.objects.get()
        assert refund.amount == payment.amount
    else:
        # The payment won: nothing expired, nothing refunded.
        assert results.count(True) == 0
        assert group.payment_status == "paid"
        assert product.stock == 7
        assert not expired_movements.exists()
        assert not Refund.objects.exists()
    assert ledger_drift() == []


def test_sweep_and_late_webhook_racing(customer, fake_paystack):
    """The beat's expiry (which verifies first) against the webhook of a charge made too late."""
    group, _orders, products = make_group(customer=customer)
    payment = services.payment_initialize(group=group, email=customer.email)
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    fake_paystack.pay(payment.reference, webhook=False)
    data = fake_paystack.verify(payment.reference)[1]["data"]

    results = run_together(
        lambda: services.order_groups_expire_due(),
        lambda: post_event(Client(), fake_paystack, "charge.success", data).status_code,
    )
    assert results[0] == 1 and results[1] == 200, results
    group.refresh_from_db()
    assert group.status == "cancelled" and group.payment_status == "unpaid"
    products[0].refresh_from_db()
    assert products[0].stock == 10
    assert Refund.objects.count() == 1
    assert len(fake_paystack.refunds) == 1
    assert ledger_drift() == []
