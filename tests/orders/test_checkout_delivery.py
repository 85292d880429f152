"""Checkout priced by delivery zone (API.md §14): the same rule as the cart, on the locked rows;
a shop that does not deliver to the address refuses the checkout and nothing changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carts.models import CartItem
from orders.models import Order, OrderGroup
from products.models import InventoryMovement, Product
from tests.factories import (
    AddressFactory,
    DeliveryZoneFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
)
from tests.orders.helpers import assert_error, checkout, fill_cart
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops():
    """A Lagos-only shop (free from 10,000), a shop cheaper in Lagos, a shop without zones."""
    lagos_only = ShopFactory(name="Lagos Only", delivery_fee=Decimal("9.99"))
    DeliveryZoneFactory(
        shop=lagos_only, fee=Decimal("1000.00"), free_over=Decimal("10000.00"), days_max=2
    )
    nationwide = ShopFactory(name="Nationwide", delivery_fee=Decimal("9.99"))
    DeliveryZoneFactory(shop=nationwide, fee=Decimal("1500.00"))
    DeliveryZoneFactory(
        shop=nationwide,
        name="Rest of Nigeria",
        states=["*"],
        fee=Decimal("3500.00"),
        days_min=3,
        days_max=7,
    )
    flat = ShopFactory(name="Flat", delivery_fee=Decimal("750.00"))
    return lagos_only, nationwide, flat


@pytest.fixture
def products(customer, shops):
    lagos_only, nationwide, flat = shops
    made = [
        ProductFactory(shop=lagos_only, price=Decimal("4000.00"), stock=5),
        ProductFactory(shop=nationwide, price=Decimal("100.00"), stock=5),
        ProductFactory(shop=flat, price=Decimal("50.00"), stock=5),
    ]
    fill_cart(customer, [(product, 2) for product in made])
    return made


def delivery(order):
    return (order["shop"]["name"], order["delivery_fee"], order["delivery_zone"],
            order["estimated_delivery"])  # fmt: skip


def test_lagos_is_priced_by_each_shops_lagos_zone(client, customer, products):
    address = AddressFactory(user=customer, state="NG-LA")
    response = checkout(client, address=address)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert [delivery(order) for order in data["orders"]] == [
        ("Lagos Only", "1000.00", "Lagos", {"days_min": 1, "days_max": 2}),
        ("Nationwide", "1500.00", "Lagos", {"days_min": 1, "days_max": 2}),
        ("Flat", "750.00", None, None),
    ]
    assert (data["subtotal"], data["delivery_fee"], data["total"]) == (
        "8300.00",
        "3250.00",
        "11550.00",
    )
    assert data["shipping_address"]["state"] == "NG-LA"
    # What the cart showed for this address before is what checkout charged.
    stored = Order.objects.filter(group_id=data["id"]).order_by("number")
    assert [(o.delivery_zone, o.delivery_days_min, o.delivery_days_max) for o in stored] == [
        ("Lagos", 1, 2),
        ("Lagos", 1, 2),
        ("", None, None),
    ]


def test_the_order_keeps_its_zone_when_the_shop_changes_it(client, customer, products, shops):
    address = AddressFactory(user=customer, state="NG-KN")
    CartItem.objects.filter(product=products[0]).delete()  # the Lagos-only shop's line
    group_id = checkout(client, address=address).json()["data"]["id"]
    shops[1].delivery_zones.filter(name="Rest of Nigeria").update(
        name="North", fee=Decimal("1.00"), days_min=9, days_max=9
    )
    order = client.get(f"/api/v1/order-groups/{group_id}/").json()["data"]["orders"][0]
    assert delivery(order) == (
        "Nationwide",
        "3500.00",
        "Rest of Nigeria",
        {"days_min": 3, "days_max": 7},
    )


def test_a_shop_that_does_not_deliver_there_refuses_it_and_nothing_changes(
    client, customer, products, shops
):
    address = AddressFactory(user=customer, state="NG-KN")
    body = assert_error(checkout(client, address=address), 409, "delivery_unavailable")
    assert body["errors"] == {"shops": [{"shop_id": str(shops[0].id), "shop_name": "Lagos Only"}]}
    assert not OrderGroup.objects.exists()
    assert [Product.objects.get(id=p.id).stock for p in products] == [5, 5, 5]
    assert not InventoryMovement.objects.filter(reason="checkout").exists()
    assert CartItem.objects.filter(cart__user=customer).count() == 3


def test_every_shop_that_does_not_deliver_is_listed(client, customer, products, shops):
    ghana = AddressFactory(user=customer, country="GH", state="GH-AA")
    body = assert_error(checkout(client, address=ghana), 409, "delivery_unavailable")
    assert [shop["shop_id"] for shop in body["errors"]["shops"]] == [
        str(shops[0].id),
        str(shops[1].id),
    ]


def test_pickup_is_not_concerned(client, customer, products):
    response = checkout(client, fulfillment="pickup", payment="cash")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["delivery_fee"] == "0.00"
    assert {(o["delivery_zone"], o["estimated_delivery"]) for o in data["orders"]} == {(None, None)}


def test_free_over_uses_the_price_on_the_locked_row(client, customer, products):
    """The price went up after the line was added: checkout prices the shop's subtotal as the
    locked row has it, which now reaches `free_over`."""
    Product.objects.filter(id=products[0].id).update(price=Decimal("5000.00"))
    address = AddressFactory(user=customer, state="NG-LA")
    data = checkout(client, address=address).json()["data"]
    first = data["orders"][0]
    assert (first["subtotal"], first["delivery_fee"], first["total"]) == (
        "10000.00",
        "0.00",
        "10000.00",
    )
    assert first["estimated_delivery"] == {"days_min": 1, "days_max": 2}


def test_an_unrecognised_state_reaches_only_the_countrys_everywhere_zone(
    client, customer, products, shops
):
    kept = AddressFactory(user=customer, state="Ikeja-ish", state_unrecognised=True)
    body = assert_error(checkout(client, address=kept), 409, "delivery_unavailable")
    assert body["errors"]["shops"] == [{"shop_id": str(shops[0].id), "shop_name": "Lagos Only"}]
    CartItem.objects.filter(product=products[0]).delete()
    data = checkout(client, address=kept).json()["data"]
    assert [delivery(order)[1:3] for order in data["orders"]] == [
        ("3500.00", "Rest of Nigeria"),
        ("750.00", None),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_zone_removed_during_checkouts_never_gives_a_500():
    """Checkouts to Kano race the shop removing its `*` zone: each either delivers at the zone's
    fee or is refused with `delivery_unavailable`, and stock only moves for the ones placed."""
    from rest_framework.test import APIClient

    from users.services import tokens_for_user

    shop = ShopFactory()
    DeliveryZoneFactory(shop=shop)  # Lagos stays: without any zone the flat fee would apply
    everywhere = DeliveryZoneFactory(shop=shop, name="All", states=["*"], fee=Decimal("700.00"))
    product = ProductFactory(shop=shop, stock=100)
    customers = [UserFactory() for _ in range(5)]
    addresses = [AddressFactory(user=c, state="NG-KN") for c in customers]
    for c in customers:
        fill_cart(c, [(product, 1)])

    def buy(n: int):
        def call():
            client = APIClient()
            access = tokens_for_user(user=customers[n])["access"]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            return checkout(client, address=addresses[n])

        return call

    def remove():
        everywhere.delete()

    results = run_together(*(buy(n) for n in range(5)), remove)
    responses = results[:5]
    assert results[5] is None
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    placed = [r.json()["data"] for r in responses if r.status_code == 201]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "delivery_unavailable"
    assert {group["delivery_fee"] for group in placed} <= {"700.00"}, placed
    assert Product.objects.get(id=product.id).stock == 100 - len(placed)
    assert OrderGroup.objects.count() == len(placed)
