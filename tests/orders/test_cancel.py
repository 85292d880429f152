"""Cancelling: the customer's whole group, a shop's own order; stock back once, refunds."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from orders import services
from orders.models import Order, OrderGroup
from payments.models import Payment, Refund
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import assert_error, place_order

pytestmark = pytest.mark.django_db


def cancel_url(group):
    return f"/api/v1/order-groups/{group.id}/cancel/"


def shop_cancel(client, order, note=""):
    return client.post(
        f"/api/v1/shops/{order.shop_id}/orders/{order.id}/status/",
        {"status": "cancelled", "note": note},
        format="json",
    )


def pay(group):
    """Pay the group as the payments app does: a successful attempt, then the hook."""
    Payment.objects.create(
        reference=f"ref-{group.number}",
        group=group,
        amount=int(group.total * 100),
        currency=group.currency,
        status=Payment.Status.SUCCESS,
        paid_at=timezone.now(),
    )
    with transaction.atomic():
        locked = services.order_group_lock(group_id=group.id)
        services.order_group_mark_paid(group=locked, paid_at=timezone.now())


@pytest.fixture
def two_shop_group(customer):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    a = ProductFactory(shop=shop_a, stock=5, price=Decimal("100.00"))
    b = ProductFactory(shop=shop_b, stock=5, price=Decimal("40.00"))
    group = place_order(customer, [(a, 2), (b, 3)])
    return group, a, b


def stock(product):
    return Product.objects.get(id=product.id).stock


def test_customer_cancels_a_pending_group(
    client, customer, two_shop_group, django_capture_on_commit_callbacks
):
    group, a, b = two_shop_group
    assert (stock(a), stock(b)) == (3, 2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(cancel_url(group), {"reason": "Changed my mind"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "cancelled"
    assert data["payment_status"] == "unpaid"
    assert data["expires_at"] is None
    assert all(o["status"] == "cancelled" for o in data["orders"])
    assert all(o["events"][-1]["note"] == "Changed my mind" for o in data["orders"])
    assert (stock(a), stock(b)) == (5, 5)
    restored = InventoryMovement.objects.filter(reason="order_cancelled")
    assert sorted(m.delta for m in restored) == [2, 3]
    assert ledger_drift() == []
    assert all(o.stock_restored for o in Order.objects.filter(group=group))
    assert OrderGroup.objects.get(id=group.id).cancel_reason == "Changed my mind"
    [message] = mail.outbox
    assert message.to == [customer.email]
    assert "cancelled" in message.subject
    # Twice is refused and changes nothing.
    body = assert_error(
        client.post(cancel_url(group), {}, format="json"), 409, "invalid_transition"
    )
    assert body["errors"]["from"] == "cancelled"
    assert (stock(a), stock(b)) == (5, 5)


def test_customer_cannot_cancel_once_a_shop_processes(client, client_for, customer):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    group = place_order(
        customer,
        [(ProductFactory(shop=shop_a), 1), (ProductFactory(shop=shop_b), 1)],
        payment="cash",
    )
    order_a = group.orders.get(shop=shop_a)
    client_for(shop_a.owner).post(
        f"/api/v1/shops/{shop_a.id}/orders/{order_a.id}/status/",
        {"status": "processing"},
        format="json",
    )
    body = assert_error(
        client.post(cancel_url(group), {}, format="json"), 409, "invalid_transition"
    )
    assert body["errors"] == {"from": "processing", "to": "cancelled", "allowed": []}
    assert not Order.objects.filter(group=group, status="cancelled").exists()


def test_another_customers_group_is_404_but_admins_may_cancel(client_for, two_shop_group):
    group, a, _ = two_shop_group
    stranger = client_for(UserFactory())
    assert_error(stranger.post(cancel_url(group), {}, format="json"), 404, "not_found")
    assert_error(stranger.get(f"/api/v1/order-groups/{group.id}/"), 404, "not_found")
    assert OrderGroup.objects.get(id=group.id).status == "pending"
    admin = client_for(UserFactory(is_staff=True))
    assert admin.post(cancel_url(group), {}, format="json").status_code == 200
    assert stock(a) == 5


def test_cancel_reason_is_bounded(client, two_shop_group):
    group, _, _ = two_shop_group
    response = client.post(cancel_url(group), {"reason": "x" * 256}, format="json")
    assert_error(response, 400, "validation_error")


def test_cancelling_a_paid_group_refunds_the_whole_total(client, two_shop_group):
    group, _, _ = two_shop_group
    pay(group)
    response = client.post(cancel_url(group), {}, format="json")
    assert response.status_code == 200, response.content
    # Refunded only once Paystack confirms (tests/payments/test_refunds.py).
    assert response.json()["data"]["payment_status"] == "paid"
    [refund] = Refund.objects.all()
    assert refund.amount == int(group.total * 100)
    assert refund.order is None


def test_shop_cancels_its_own_order(client_for, customer, two_shop_group):
    group, a, b = two_shop_group
    order_a = group.orders.get(shop=a.shop)
    response = shop_cancel(client_for(a.shop.owner), order_a, note="Damaged")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "cancelled"
    assert (stock(a), stock(b)) == (5, 2)
    refreshed = OrderGroup.objects.get(id=group.id)
    assert refreshed.status == "pending"
    assert Order.objects.get(shop=b.shop).status == "pending"
    # Its stock came back once; cancelling again is refused.
    assert_error(shop_cancel(client_for(a.shop.owner), order_a), 409, "invalid_transition")
    assert stock(a) == 5
    assert ledger_drift() == []


def test_shop_cancels_a_paid_processing_order_and_it_is_refunded(client_for, two_shop_group):
    group, a, _ = two_shop_group
    pay(group)
    order_a = group.orders.get(shop=a.shop)
    owner = client_for(a.shop.owner)
    owner.post(
        f"/api/v1/shops/{a.shop_id}/orders/{order_a.id}/status/",
        {"status": "processing"},
        format="json",
    )
    assert shop_cancel(owner, order_a).status_code == 200
    [refund] = Refund.objects.all()
    assert refund.order_id == order_a.id
    assert refund.amount == int(order_a.total * 100)
    refreshed = OrderGroup.objects.get(id=group.id)
    assert refreshed.payment_status == "paid"  # until Paystack confirms the refund
    assert stock(a) == 5


def test_shipped_orders_cannot_be_cancelled(client_for, customer):
    shop = ShopFactory()
    group = place_order(customer, [(ProductFactory(shop=shop), 1)], payment="cash")
    order = group.orders.get()
    owner = client_for(shop.owner)
    url = f"/api/v1/shops/{shop.id}/orders/{order.id}/status/"
    owner.post(url, {"status": "processing"}, format="json")
    owner.post(url, {"status": "shipped"}, format="json")
    body = assert_error(shop_cancel(owner, order), 409, "invalid_transition")
    # Next, a shipped cash order can only be completed (with `cash_collected`).
    assert body["errors"] == {"from": "shipped", "to": "cancelled", "allowed": ["completed"]}


def test_customer_cancels_what_a_shop_left_pending(client, client_for, two_shop_group):
    group, a, b = two_shop_group
    order_a = group.orders.get(shop=a.shop)
    assert shop_cancel(client_for(a.shop.owner), order_a).status_code == 200
    response = client.post(cancel_url(group), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "cancelled"
    assert (stock(a), stock(b)) == (5, 5)
    assert InventoryMovement.objects.filter(reason="order_cancelled").count() == 2
    assert Order.objects.get(id=order_a.id).events.filter(status="cancelled").count() == 1
    assert ledger_drift() == []
