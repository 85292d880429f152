"""Variants in the cart, at checkout and in orders: lines per variant, order items snapshotting
the SKU and options, stock taken from and given back to the variant, and the races of checkout
on variants of one product (run on PostgreSQL and on MariaDB, `DB_ENGINE=mysql`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from carts.models import Cart
from orders.models import OrderGroup, OrderItem
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product, ProductVariant
from tests.factories import CartFactory, CartItemFactory, ProductFactory, UserFactory
from tests.factories import VariantFactory as Variant
from tests.orders.helpers import assert_error, checkout
from tests.orders.test_concurrency import PICKUP_CASH, codes, post, run_together

CART_ITEMS = "/api/v1/cart/items/"


def shirt(stock=(5, 5), prices=("3000.00", "3500.00")) -> tuple[Product, list[ProductVariant]]:
    """A product with a `Size` option and one variant per size (M, L)."""
    product = ProductFactory(name="Shirt")
    product.variants.all().delete()
    InventoryMovement.objects.filter(product=product).delete()
    Product.objects.filter(id=product.id).update(options=[{"name": "Size", "values": ["M", "L"]}])
    variants = [
        Variant(
            product=product,
            sku=f"SHIRT-{size}",
            options={"Size": size},
            stock=units,
            price=Decimal(price),
        )
        for size, units, price in zip(("M", "L"), stock, prices, strict=True)
    ]
    return product, variants


def fill(user, lines):
    cart = Cart.objects.filter(user=user).first() or CartFactory(user=user)
    for variant, quantity in lines:
        CartItemFactory(cart=cart, product=variant.product, variant=variant, quantity=quantity)


# --- Cart ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cart_holds_variants(client):
    product, (medium, large) = shirt()
    response = client.post(CART_ITEMS, {"variant_id": str(large.id), "quantity": 2}, format="json")
    assert response.status_code == 201, response.content
    client.post(CART_ITEMS, {"variant_id": str(medium.id)}, format="json")
    client.post(CART_ITEMS, {"variant_id": str(large.id)}, format="json")  # merges
    lines = client.get("/api/v1/cart/").json()["data"]["items"]
    assert [(line["variant"]["sku"], line["quantity"]) for line in lines] == [
        ("SHIRT-L", 3),
        ("SHIRT-M", 1),
    ]
    assert lines[0]["variant"] == {"id": str(large.id), "sku": "SHIRT-L", "options": {"Size": "L"}}
    assert (lines[0]["unit_price"], lines[0]["product"]["price"]) == ("3500.00", "3500.00")
    assert lines[0]["available_stock"] == 5 and lines[0]["product"]["id"] == str(product.id)


@pytest.mark.django_db
def test_product_id_alone_is_for_a_product_with_one_variant(client):
    product, (medium, _) = shirt()
    body = assert_error(
        client.post(CART_ITEMS, {"product_id": str(product.id)}, format="json"),
        400,
        "validation_error",
    )
    assert "variant_id" in body["errors"]
    assert_error(client.post(CART_ITEMS, {"quantity": 1}, format="json"), 400, "validation_error")
    other = ProductFactory()
    assert_error(
        client.post(
            CART_ITEMS,
            {"product_id": str(other.id), "variant_id": str(medium.id)},
            format="json",
        ),
        404,
        "not_found",
    )
    ProductVariant.objects.filter(id=medium.id).update(is_active=False)
    body = assert_error(
        client.post(CART_ITEMS, {"variant_id": str(medium.id)}, format="json"),
        409,
        "product_unavailable",
    )
    assert body["errors"]["items"] == [
        {"product_id": str(product.id), "variant_id": str(medium.id)}
    ]


@pytest.mark.django_db
def test_a_variant_short_of_stock_is_named(client):
    product, (medium, _) = shirt(stock=(1, 5))
    body = assert_error(
        client.post(CART_ITEMS, {"variant_id": str(medium.id), "quantity": 2}, format="json"),
        409,
        "insufficient_stock",
    )
    assert body["errors"]["items"] == [
        {
            "product_id": str(product.id),
            "variant_id": str(medium.id),
            "requested": 2,
            "available": 1,
        }
    ]


# --- Checkout and orders ---------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_snapshots_the_variants_and_takes_their_stock(client, customer):
    product, (medium, large) = shirt()
    plain = ProductFactory(shop=product.shop, stock=3)
    fill(customer, [(medium, 2), (large, 1), (plain.variants.get(), 1)])
    response = checkout(client, fulfillment="pickup", payment="cash")
    assert response.status_code == 201, response.content
    [order] = response.json()["data"]["orders"]
    items = {item["sku"]: item for item in order["items"]}
    assert items["SHIRT-M"]["options"] == {"Size": "M"}
    assert (items["SHIRT-M"]["unit_price"], items["SHIRT-M"]["line_total"]) == (
        "3000.00",
        "6000.00",
    )
    assert items["SHIRT-L"]["variant_id"] == str(large.id)
    assert items["SHIRT-L"]["product_id"] == str(product.id)
    assert items[plain.variants.get().sku]["options"] == {}
    assert order["subtotal"] == "11000.00"
    stock = dict(ProductVariant.objects.values_list("sku", "stock"))
    assert (stock["SHIRT-M"], stock["SHIRT-L"]) == (3, 4)
    moves = InventoryMovement.objects.filter(reason="checkout", product=product)
    assert sorted((m.variant_id, m.delta) for m in moves) == sorted(
        [(medium.id, -2), (large.id, -1)]
    )
    # Later changes do not touch the snapshot.
    ProductVariant.objects.filter(id=medium.id).update(sku="RENAMED", options={"Size": "XL"})
    item = OrderItem.objects.get(variant=medium)
    assert (item.sku, item.options) == ("SHIRT-M", {"Size": "M"})

    # Cancelling gives the stock back to the variants.
    group_id = response.json()["data"]["id"]
    assert client.post(f"/api/v1/order-groups/{group_id}/cancel/", {}).status_code == 200
    stock = dict(ProductVariant.objects.values_list("id", "stock"))
    assert (stock[medium.id], stock[large.id]) == (5, 5)
    assert ledger_drift() == []


@pytest.mark.django_db
def test_checkout_reports_short_and_unavailable_variants(client, customer):
    product, (medium, large) = shirt(stock=(1, 5))
    fill(customer, [(medium, 2), (large, 1)])
    body = assert_error(checkout(client, fulfillment="pickup"), 409, "insufficient_stock")
    assert body["errors"]["items"] == [
        {
            "product_id": str(product.id),
            "variant_id": str(medium.id),
            "requested": 2,
            "available": 1,
        }
    ]
    ProductVariant.objects.filter(id=large.id).update(is_active=False)
    body = assert_error(checkout(client, fulfillment="pickup"), 409, "product_unavailable")
    assert body["errors"]["items"] == [{"product_id": str(product.id), "variant_id": str(large.id)}]
    assert not OrderGroup.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("lines", [2, 20])
def test_checkout_statements_do_not_grow_with_variants(
    client, customer, lines, django_assert_max_num_queries
):
    """As `test_checkout_query_count_does_not_grow`, with lines that are variants of one
    product."""
    product = ProductFactory()
    for n in range(lines):
        Variant(product=product, options={"Size": str(n)}, stock=10)
    fill(customer, [(v, 1) for v in product.variants.exclude(options={})])
    budget = 5 if connection.vendor == "postgresql" else 15
    with django_assert_max_num_queries(budget):
        response = checkout(client, fulfillment="pickup")
    assert response.status_code == 201, response.content
    assert OrderItem.objects.count() == lines


# --- Races -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_thirty_buyers_race_for_two_variants_of_one_product(client_for):
    _, variants = shirt(stock=(5, 5))
    calls = []
    for n in range(30):
        buyer = UserFactory()
        fill(buyer, [(variants[n % 2], 1)])
        calls.append(post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH))

    results = run_together(calls)

    assert codes(results) == {(201, None): 10, (409, "insufficient_stock"): 20}
    for status, body in results:
        if status == 409:
            [item] = body["errors"]["items"]
            assert item["variant_id"] in {str(v.id) for v in variants}
            assert (item["requested"], item["available"]) == (1, 0)
    assert set(ProductVariant.objects.values_list("stock", flat=True)) == {0}
    assert OrderItem.objects.count() == 10
    assert ledger_drift() == []


@pytest.mark.django_db(transaction=True)
def test_carts_holding_variants_in_opposite_orders_never_deadlock(client_for):
    _, (medium, large) = shirt(stock=(100, 100))
    calls = []
    for n in range(20):
        buyer = UserFactory()
        fill(buyer, [(medium, 1), (large, 2)] if n % 2 else [(large, 2), (medium, 1)])
        calls.append(post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH))

    results = run_together(calls)

    assert codes(results) == {(201, None): 20}
    stock = dict(ProductVariant.objects.values_list("id", "stock"))
    assert (stock[medium.id], stock[large.id]) == (80, 60)
    assert ledger_drift() == []


@pytest.mark.django_db(transaction=True)
def test_variant_edits_racing_checkouts_never_deadlock_or_fail(client_for):
    """Checkouts of a product's variants while its shop changes their prices and stock, adds
    a variant and tries to delete one: every answer is a clean one, the ledger adds up."""
    product, (medium, large) = shirt(stock=(50, 50))
    owner = client_for(product.shop.owner)
    calls = []
    for n in range(12):
        buyer = UserFactory()
        fill(buyer, [(medium, 1), (large, 1)] if n % 2 else [(large, 1), (medium, 1)])
        calls.append(post(client_for(buyer), "/api/v1/checkout/", PICKUP_CASH))
    variants = f"/api/v1/products/{product.id}/variants/"

    def patch(variant, price):
        def call():
            response = owner.patch(f"{variants}{variant.id}/", {"price": price}, format="json")
            return response.status_code, response.json()

        return call

    calls += [
        patch(medium, "3100.00"),
        patch(large, "3600.00"),
        post(owner, f"/api/v1/variants/{medium.id}/inventory/", {"action": "add", "quantity": 5}),
        post(owner, f"/api/v1/variants/{large.id}/inventory/", {"action": "remove", "quantity": 1}),
        post(owner, variants, {"sku": "SHIRT-S", "options": {"Size": "S"}, "price": "2900.00"}),
    ]

    results = run_together(calls)

    assert {status for status, _ in results} <= {200, 201}, results
    stock = dict(ProductVariant.objects.values_list("id", "stock"))
    assert (stock[medium.id], stock[large.id]) == (50 - 12 + 5, 50 - 12 - 1)
    assert ledger_drift() == []
