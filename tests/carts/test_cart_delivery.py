"""The cart's delivery to an address (`GET /cart/?address_id=`, API.md §14)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import (
    AddressFactory,
    CartFactory,
    CartItemFactory,
    DeliveryZoneFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(customer, client_for):
    return client_for(customer)


@pytest.fixture
def shops(customer):
    """A Lagos-only shop (free from 10,000), a shop cheaper in Lagos than elsewhere, a shop
    without zones; each with one line in the customer's cart."""
    lagos_only = ShopFactory(name="Lagos Only", delivery_fee=Decimal("9.99"))
    DeliveryZoneFactory(
        shop=lagos_only, fee=Decimal("1000.00"), free_over=Decimal("10000.00"), days_max=2
    )
    nationwide = ShopFactory(name="Nationwide")
    DeliveryZoneFactory(shop=nationwide, fee=Decimal("1500.00"), days_min=1, days_max=2)
    DeliveryZoneFactory(
        shop=nationwide,
        name="Rest of Nigeria",
        states=["*"],
        fee=Decimal("3500.00"),
        days_min=3,
        days_max=7,
    )
    flat = ShopFactory(name="Flat", delivery_fee=Decimal("750.00"))
    cart = CartFactory(user=customer)
    for shop, price in ((lagos_only, "4000.00"), (nationwide, "100.00"), (flat, "50.00")):
        CartItemFactory(
            cart=cart, product=ProductFactory(shop=shop, price=Decimal(price)), quantity=2
        )
    return lagos_only, nationwide, flat


def delivery(data):
    return [
        (
            shop["shop_name"],
            shop["delivery_fee"],
            shop["deliverable"],
            shop["delivery_zone"],
            shop["estimated_delivery"],
        )
        for shop in data["shops"]
    ]


def test_lagos_gets_every_shop_at_its_lagos_rate(client, customer, shops):
    address = AddressFactory(user=customer, state="NG-LA")
    response = client.get("/api/v1/cart/", {"address_id": str(address.id)})
    assert response.status_code == 200, response.content
    assert delivery(response.json()["data"]) == [
        ("Lagos Only", "1000.00", True, "Lagos", {"days_min": 1, "days_max": 2}),
        ("Nationwide", "1500.00", True, "Lagos", {"days_min": 1, "days_max": 2}),
        ("Flat", "750.00", True, None, None),
    ]


def test_elsewhere_one_shop_does_not_deliver_and_another_charges_more(client, customer, shops):
    address = AddressFactory(user=customer, state="NG-KN")
    data = client.get("/api/v1/cart/", {"address_id": str(address.id)}).json()["data"]
    assert delivery(data) == [
        ("Lagos Only", None, False, None, None),
        ("Nationwide", "3500.00", True, "Rest of Nigeria", {"days_min": 3, "days_max": 7}),
        ("Flat", "750.00", True, None, None),
    ]
    assert data["is_valid"] is True  # the lines are all available; delivery is per address


def test_free_over_counts_the_shops_own_subtotal(client, customer, shops):
    lagos_only = shops[0]
    CartItemFactory(
        cart=customer.cart,
        product=ProductFactory(shop=lagos_only, price=Decimal("1000.00")),
        quantity=2,
    )  # 8,000 + 2,000: exactly 10,000
    address = AddressFactory(user=customer, state="NG-LA")
    data = client.get("/api/v1/cart/", {"address_id": str(address.id)}).json()["data"]
    assert data["shops"][0]["subtotal"] == "10000.00"
    assert data["shops"][0]["delivery_fee"] == "0.00"
    assert data["shops"][0]["estimated_delivery"] == {"days_min": 1, "days_max": 2}


def test_without_an_address_the_flat_fees_as_in_v1(client, shops):
    data = client.get("/api/v1/cart/").json()["data"]
    assert delivery(data) == [
        ("Lagos Only", "9.99", None, None, None),
        ("Nationwide", "500.00", None, None, None),
        ("Flat", "750.00", None, None, None),
    ]


def test_an_address_abroad_or_unrecognised(client, customer, shops):
    ghana = AddressFactory(user=customer, country="GH", state="GH-AA")
    data = client.get("/api/v1/cart/", {"address_id": str(ghana.id)}).json()["data"]
    assert [shop["deliverable"] for shop in data["shops"]] == [False, False, True]
    kept = AddressFactory(user=customer, state="Ikeja-ish", state_unrecognised=True)
    data = client.get("/api/v1/cart/", {"address_id": str(kept.id)}).json()["data"]
    assert delivery(data)[:2] == [
        ("Lagos Only", None, False, None, None),
        ("Nationwide", "3500.00", True, "Rest of Nigeria", {"days_min": 3, "days_max": 7}),
    ]


def test_another_accounts_address_is_not_found(client, shops):
    theirs = AddressFactory(user=UserFactory())
    response = client.get("/api/v1/cart/", {"address_id": str(theirs.id)})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("value", ["not-a-uuid", "1", "0" * 33])
def test_a_malformed_address_id_is_a_validation_error(client, shops, value):
    response = client.get("/api/v1/cart/", {"address_id": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and "address_id" in body["errors"]


def test_an_empty_cart_with_an_address(client, customer):
    address = AddressFactory(user=customer)
    data = client.get("/api/v1/cart/", {"address_id": str(address.id)}).json()["data"]
    assert data["shops"] == [] and data["items"] == []


@pytest.mark.parametrize("shop_count", [1, 6])
def test_the_cart_with_an_address_costs_a_fixed_number_of_queries(
    client, customer, shop_count, django_assert_max_num_queries
):
    cart = CartFactory(user=customer)
    for _ in range(shop_count):
        shop = ShopFactory()
        DeliveryZoneFactory(shop=shop)
        DeliveryZoneFactory(shop=shop, name="Rest", states=["*"], fee=Decimal("2500.00"))
        for _ in range(3):
            CartItemFactory(cart=cart, product=ProductFactory(shop=shop))
    address = AddressFactory(user=customer, state="NG-KN")
    # The account, the address, the lines with their products and shops, the shops' zones.
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/cart/", {"address_id": str(address.id)})
    shops = response.json()["data"]["shops"]
    assert len(shops) == shop_count
    assert {(shop["delivery_fee"], shop["delivery_zone"]) for shop in shops} == {
        ("2500.00", "Rest")
    }
