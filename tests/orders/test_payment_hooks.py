"""The services payments relies on: lock, payability, mark paid, expiry."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from orders import services
from orders.models import Order, OrderGroup
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product
from tests.factories import ProductFactory, ShopFactory
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(stock=5)


def test_lock_of_unknown_group_is_404():
    import uuid

    from core.errors import NotFound

    with pytest.raises(NotFound), transaction.atomic():
        services.order_group_lock(group_id=uuid.uuid4())


def test_is_payable(customer, product):
    group = place_order(customer, [(product, 1)])
    assert services.order_group_is_payable(group)
    group.expires_at = timezone.now() - timedelta(seconds=1)
    assert not services.order_group_is_payable(group)
    cash = place_order(customer, [(ProductFactory(), 1)], payment="cash")
    assert not services.order_group_is_payable(cash)
    paid = place_order(customer, [(ProductFactory(), 1)])
    paid.payment_status = OrderGroup.PaymentStatus.PAID
    assert not services.order_group_is_payable(paid)
    cancelled = place_order(customer, [(ProductFactory(), 1)])
    cancelled.status = OrderGroup.Status.CANCELLED
    assert not services.order_group_is_payable(cancelled)


def test_mark_paid(customer, django_capture_on_commit_callbacks):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    group = place_order(
        customer, [(ProductFactory(shop=shop_a), 1), (ProductFactory(shop=shop_b), 1)]
    )
    cancelled = group.orders.get(shop=shop_b)
    Order.objects.filter(id=cancelled.id).update(status="cancelled")
    paid_at = timezone.now()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        locked = services.order_group_lock(group_id=group.id)
        services.order_group_mark_paid(group=locked, paid_at=paid_at)
    group.refresh_from_db()
    assert group.payment_status == "paid"
    assert group.paid_at == paid_at
    assert group.expires_at is None
    assert group.orders.get(shop=shop_a).is_paid is True
    assert group.orders.get(shop=shop_b).is_paid is False
    [message] = mail.outbox
    assert message.to == [customer.email] and "Payment received" in message.subject


def test_expire_cancels_an_overdue_unpaid_group_once(
    customer, product, django_capture_on_commit_callbacks
):
    group = place_order(customer, [(product, 2)])
    assert Product.objects.get(id=product.id).stock == 3
    assert services.order_group_expire(group_id=group.id) is False  # not due yet
    later = group.expires_at + timedelta(seconds=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.order_group_expire(group_id=group.id, now=later) is True
    group.refresh_from_db()
    assert group.status == "cancelled"
    assert group.cancel_reason == "payment expired"
    order = group.orders.get()
    assert order.status == "cancelled" and order.stock_restored
    assert order.events.last().note == "payment expired"
    assert Product.objects.get(id=product.id).stock == 5
    [movement] = InventoryMovement.objects.filter(reason="payment_expired")
    assert movement.delta == 2 and movement.order_id == order.id
    [message] = mail.outbox
    assert message.to == [customer.email] and "expired" in message.subject
    # Again: nothing more happens.
    assert services.order_group_expire(group_id=group.id, now=later) is False
    assert Product.objects.get(id=product.id).stock == 5
    assert ledger_drift() == []


def test_expire_skips_paid_cash_and_unknown_groups(customer, product):
    import uuid

    far = timezone.now() + timedelta(days=1)
    cash = place_order(customer, [(product, 1)], payment="cash")
    assert services.order_group_expire(group_id=cash.id, now=far) is False
    paid = place_order(customer, [(ProductFactory(), 1)])
    with transaction.atomic():
        services.order_group_mark_paid(
            group=services.order_group_lock(group_id=paid.id), paid_at=timezone.now()
        )
    assert services.order_group_expire(group_id=paid.id, now=far) is False
    assert services.order_group_expire(group_id=uuid.uuid4(), now=far) is False
    assert not Order.objects.filter(status="cancelled").exists()


def test_expire_keeps_an_order_the_shop_cancelled_restored_once(customer, client_for):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    a, b = ProductFactory(shop=shop_a, stock=4), ProductFactory(shop=shop_b, stock=4)
    group = place_order(customer, [(a, 1), (b, 1)])
    order_b = group.orders.get(shop=shop_b)
    client_for(shop_b.owner).post(
        f"/api/v1/shops/{shop_b.id}/orders/{order_b.id}/status/",
        {"status": "cancelled"},
        format="json",
    )
    assert services.order_group_expire(group_id=group.id, now=group.expires_at) is True
    assert Product.objects.get(id=a.id).stock == 4
    assert Product.objects.get(id=b.id).stock == 4
    assert ledger_drift() == []
