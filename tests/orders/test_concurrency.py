"""Races through the real API: threads, one connection each, started together by a barrier.

Run on PostgreSQL and on MariaDB (`DB_ENGINE=mysql`). Invariants: no oversell, stock never
negative, the ledger matches the stock, no 5xx, one order group per idempotency key, stock
restored once however many cancel at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from carts.models import Cart, CartItem
from orders.models import Order, OrderGroup
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product
from products.services import product_delete
from tests import threads
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import fill_cart, place_order

pytestmark = pytest.mark.django_db(transaction=True)

PICKUP_CASH = {"fulfillment_method": "pickup", "payment_method": "cash"}


def run_together(calls: list[Callable[[], tuple[int, dict]]]) -> list[tuple[int, dict]]:
    """Run every call in its own thread, all released at once; returns (status, body) each."""
    results = threads.run_together(*calls)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert all(status < 500 for status, _ in results), results
    return results


def post(client, url: str, body: dict, **headers) -> Callable[[], tuple[int, dict]]:
    def call() -> tuple[int, dict]:
        response = client.post(url, body, format="json", **headers)
        return response.status_code, response.json()

    return call


def patch(client, url: str, body: dict) -> Callable[[], tuple[int, dict]]:
    def call() -> tuple[int, dict]:
        response = client.patch(url, body, format="json")
        return response.status_code, response.json()

    return call


def codes(results) -> Counter:
    return Counter((status, body.get("code")) for status, body in results)


def test_thirty_buyers_race_for_ten_units(client_for):
    product = ProductFactory(stock=10)
    calls = []
    for _ in range(30):
        buyer = UserFactory()
        fill_cart(buyer, [(product, 1)])
        calls.append(post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH))

    results = run_together(calls)

    assert codes(results) == {(201, None): 10, (409, "insufficient_stock"): 20}
    for status, body in results:
        if status == 409:
            [item] = body["errors"]["items"]
            assert item["product_id"] == str(product.id)
            assert item["requested"] == 1
            assert item["available"] == 0
    assert Product.objects.get(id=product.id).stock == 0
    assert OrderGroup.objects.count() == 10 and Order.objects.count() == 10
    assert InventoryMovement.objects.filter(reason="checkout").count() == 10
    assert ledger_drift() == []
    # The losers keep their carts; the winners' carts are empty.
    assert CartItem.objects.count() == 20


def test_carts_holding_products_in_opposite_orders_never_deadlock(client_for):
    first = ProductFactory(shop=ShopFactory(), stock=100)
    second = ProductFactory(shop=ShopFactory(), stock=100)
    calls = []
    for n in range(20):
        buyer = UserFactory()
        lines = [(first, 1), (second, 2)] if n % 2 else [(second, 2), (first, 1)]
        fill_cart(buyer, lines)
        calls.append(post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH))

    results = run_together(calls)

    assert codes(results) == {(201, None): 20}
    assert Product.objects.get(id=first.id).stock == 80
    assert Product.objects.get(id=second.id).stock == 60
    assert Order.objects.count() == 40
    assert ledger_drift() == []


def test_price_changes_and_checkouts_of_the_same_product_at_once_never_deadlock(client_for):
    """A price change locks the product's variant before the product, as a checkout does."""
    product = ProductFactory(stock=100)
    owner = client_for(product.shop.owner)
    calls = []
    for n in range(8):
        buyer = UserFactory()
        fill_cart(buyer, [(product, 1)])
        calls.append(post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH))
        price = {"price": f"{100 + n}.00", "description": f"Edition {n}"}
        calls.append(patch(owner, f"/api/v1/products/{product.id}/", price))

    results = run_together(calls)

    assert Counter(status for status, _ in results) == {201: 8, 200: 8}
    assert Product.objects.get(id=product.id).stock == 92
    assert ledger_drift() == []


def test_one_idempotency_key_sent_twenty_times_makes_one_group(client_for):
    buyer = UserFactory()
    product = ProductFactory(stock=50)
    fill_cart(buyer, [(product, 3)])
    client = client_for(buyer)
    calls = [
        post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH, HTTP_IDEMPOTENCY_KEY="same")
        for _ in range(20)
    ]

    results = run_together(calls)

    assert OrderGroup.objects.count() == 1
    group = OrderGroup.objects.get()
    assert set(codes(results)) <= {(201, None), (409, "request_in_progress")}
    created = [body for status, body in results if status == 201]
    assert created and all(body["data"]["id"] == str(group.id) for body in created)
    assert Product.objects.get(id=product.id).stock == 47
    # Once finished, the key replays the same answer.
    response = client.post(
        "/api/v1/checkout/", PICKUP_CASH, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 201
    assert response.json()["data"]["id"] == str(group.id)
    assert ledger_drift() == []


def test_double_submit_without_a_key_still_orders_once(client_for):
    buyer = UserFactory()
    product = ProductFactory(stock=50)
    fill_cart(buyer, [(product, 3)])
    results = run_together(
        [post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH) for _ in range(10)]
    )
    assert codes(results) == {(201, None): 1, (400, "cart_empty"): 9}
    assert Product.objects.get(id=product.id).stock == 47


def test_customer_and_shop_cancel_at_the_same_moment_restore_stock_once(client_for):
    shop = ShopFactory()
    product = ProductFactory(shop=shop, stock=100)
    owner = client_for(shop.owner)
    for round_ in range(6):
        buyer = UserFactory()
        group = place_order(buyer, [(product, 3)], payment="cash")
        order = group.orders.get()
        customer_cancel = post(client_for(buyer), f"/api/v1/order-groups/{group.id}/cancel/", {})
        shop_cancel = post(
            owner,
            f"/api/v1/shops/{shop.id}/orders/{order.id}/status/",
            {"status": "cancelled"},
        )
        calls = [customer_cancel, shop_cancel] if round_ % 2 else [shop_cancel, customer_cancel]

        results = run_together(calls)

        assert sorted(status for status, _ in results) == [200, 409], results
        assert {body.get("code") for status, body in results if status == 409} == {
            "invalid_transition"
        }
        assert Product.objects.get(id=product.id).stock == 100
        assert InventoryMovement.objects.filter(reason="order_cancelled", order=order).count() == 1
        assert OrderGroup.objects.get(id=group.id).status == "cancelled"
    assert ledger_drift() == []


def test_cart_is_created_once_and_adds_never_pass_the_stock(client_for):
    buyer = UserFactory()
    product = ProductFactory(stock=5)
    results = run_together(
        [
            post(client_for(buyer), "/api/v1/cart/items/", {"product_id": str(product.id)})
            for _ in range(10)
        ]
    )
    assert codes(results) == {(201, None): 5, (409, "insufficient_stock"): 5}
    assert Cart.objects.filter(user=buyer).count() == 1
    assert CartItem.objects.get(cart__user=buyer).quantity == 5


def _lock_waits() -> int:
    """Statements of other sessions waiting for a row lock (MariaDB: running a locking read,
    the only way they can be still running here)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        else:
            cursor.execute(
                "SELECT count(*) FROM information_schema.processlist "
                "WHERE id != CONNECTION_ID() AND info LIKE '%%FOR UPDATE%%'"
            )
        return cursor.fetchone()[0]


def test_a_product_deleted_while_checkout_waits_for_it_is_reported_not_left_out(client_for):
    """The shop deletes a product (holding its row lock) while a checkout of a cart with it
    waits for that lock: the checkout is refused and names the product; nothing is ordered
    from the rest of the cart. (On PostgreSQL the waiting statement drops a row deleted under
    it from its join: this is what the cart's product ids read with the lines are for.)"""
    buyer = UserFactory()
    shop = ShopFactory()
    going, staying = ProductFactory(shop=shop, stock=5), ProductFactory(shop=shop, stock=5)
    fill_cart(buyer, [(going, 1), (staying, 2)])
    going_variant = going.variants.get().id
    deleted, checkout_waits, answer = threading.Event(), threading.Event(), {}

    def delete() -> None:
        try:
            with transaction.atomic():
                assert product_delete(product=Product.objects.get(id=going.id))
                deleted.set()  # not committed yet: the row stays locked until checkout waits
                checkout_waits.wait(timeout=30)
        finally:
            connection.close()

    def check_out() -> None:
        try:
            response = client_for(buyer).post("/api/v1/checkout/", PICKUP_CASH, format="json")
            answer.update(status=response.status_code, body=response.json())
        finally:
            connection.close()

    deleter = threading.Thread(target=delete)
    deleter.start()
    assert deleted.wait(timeout=30)
    buyer_thread = threading.Thread(target=check_out)
    buyer_thread.start()
    for _ in range(600):
        if _lock_waits():
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the checkout never waited for the product's lock: {answer}")
    checkout_waits.set()
    deleter.join(timeout=30)
    buyer_thread.join(timeout=30)

    assert answer["status"] == 409 and answer["body"]["code"] == "product_unavailable", answer
    assert answer["body"]["errors"]["items"] == [
        {"product_id": str(going.id), "variant_id": str(going_variant)}
    ]
    assert not Product.objects.filter(id=going.id).exists()
    assert OrderGroup.objects.count() == 0
    assert Product.objects.get(id=staying.id).stock == 5
    assert list(
        CartItem.objects.filter(cart__user=buyer).values_list("product_id", "quantity")
    ) == [(staying.id, 2)]
