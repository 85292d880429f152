"""Races of partial refunds and returns: real threads released together on the real database
(run on PostgreSQL and MariaDB). Whatever the interleaving, no unit is given back twice and no
order gets back more than was paid for it."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum

from orders.models import Order, OrderItem, Return
from orders.services import order_status_change
from payments.models import Refund
from tests import threads
from tests.factories import ProductFactory, ShopFactory, StaffFactory, UserFactory
from tests.orders.helpers import place_order
from tests.payments.test_partial_refunds import paid_completed_order

pytestmark = pytest.mark.django_db(transaction=True)


def run(calls):
    results = threads.run_together(*calls)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert all(status < 500 for status, _ in results), results
    return results


def post(client, url, body):
    def call():
        response = client.post(url, body, format="json")
        return response.status_code, response.json()

    return call


def codes(results):
    return Counter((status, body.get("code")) for status, body in results)


class _Capture:
    """On-commit callbacks run for real in these tests: the helper's capture is a no-op."""

    def __call__(self, execute=False):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_racing_refunds_of_a_paid_order_never_give_back_more_than_was_paid(
    customer, fake_paystack, client_for, admin_user
):
    order, chairs, lamp, payment = paid_completed_order(
        customer, fake_paystack, client_for(customer), _Capture()
    )
    url = f"/api/v1/shops/{order.shop_id}/orders/{order.id}/refunds/"
    everything = {
        "items": [
            {"order_item_id": str(chairs.id), "quantity": 3},
            {"order_item_id": str(lamp.id), "quantity": 1},
        ],
        "delivery_fee": True,
    }
    one_chair = {"items": [{"order_item_id": str(chairs.id), "quantity": 1}]}
    staff = StaffFactory(shop=order.shop)
    clients = [client_for(order.shop.owner), client_for(admin_user), client_for(staff)]
    calls = [post(clients[i % 3], url, everything) for i in range(3)]
    calls += [post(clients[i % 3], url, one_chair) for i in range(3)]

    results = run(calls)

    won = [body["data"] for status, body in results if status == 201]
    assert {status for status, _ in results} <= {201, 409}, results
    assert all(body["code"] == "conflict" for status, body in results if status == 409)
    refunds = list(Refund.objects.all())
    assert len(refunds) == len(won) >= 1
    total = sum(r.amount for r in refunds)
    assert total <= payment.amount
    order.refresh_from_db()
    assert Decimal(total) / 100 == order.refunded_amount <= order.total
    chairs.refresh_from_db()
    assert chairs.refunded_quantity == chairs.returned_quantity <= 3
    refunded_chairs = sum(
        i["quantity"] for r in won for i in r["items"] if i["order_item_id"] == str(chairs.id)
    )
    assert refunded_chairs == chairs.refunded_quantity
    # Paystack was asked for exactly what we recorded, once each.
    assert sorted(r["amount"] for r in fake_paystack.refunds) == sorted(r.amount for r in refunds)


def test_racing_requests_for_the_last_units_of_a_cash_order(client_for):
    shop = ShopFactory(delivery_fee=Decimal("0.00"))
    product = ProductFactory(shop=shop, price=Decimal("700.00"), stock=10)
    buyer = UserFactory()
    place_order(buyer, [(product, 4)], fulfillment="pickup", payment="cash")
    customer = client_for(buyer)
    order = Order.objects.get()
    for status, extra in (("processing", {}), ("completed", {"cash_collected": True})):
        order_status_change(shop=shop, order_id=order.id, actor=shop.owner, status=status, **extra)
    [line] = order.items.all()
    two = {"items": [{"order_item_id": str(line.id), "quantity": 2}]}
    refund_url = f"/api/v1/shops/{shop.id}/orders/{order.id}/refunds/"
    return_url = f"/api/v1/orders/{order.id}/returns/"
    owner = client_for(shop.owner)
    calls = [post(owner, refund_url, two) for _ in range(3)]
    calls += [post(customer, return_url, {**two, "reason": "changed_mind"}) for _ in range(3)]

    results = run(calls)

    assert codes(results) == {(201, None): 2, (409, "conflict"): 4}, results
    line.refresh_from_db()
    assert line.returned_quantity == 4
    returned = Return.objects.aggregate(q=Sum("items__quantity"))["q"] or 0
    refunded = Refund.objects.aggregate(q=Sum("items__quantity"))["q"] or 0
    assert returned + refunded == 4
    assert line.refunded_quantity == refunded
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("700.00") * refunded
    assert OrderItem.objects.get(id=line.id).quantity == 4
