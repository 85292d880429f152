"""The wishlist (§15): saved products with their current price and stock, idempotent adds,
at most 500, a fixed number of queries a page, nothing of it shown to the shops."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from carts.models import MAX_WISHLIST_ITEMS, WishlistItem
from products.inventory import stock_adjust
from products.models import Product
from shops.models import Shop
from tests.factories import ProductFactory, ShopFactory, StaffFactory, UserFactory
from tests.orders.helpers import assert_error
from tests.threads import run_together

pytestmark = pytest.mark.django_db

WISHLIST = "/api/v1/wishlist/"


def add(client, product):
    return client.post(WISHLIST, {"product_id": str(product.id)}, format="json")


def test_save_list_and_remove(customer, client_for):
    client = client_for(customer)
    first, second = ProductFactory(name="Drum"), ProductFactory(name="Flute", price="99.50")
    response = add(client, first)
    assert response.status_code == 201, response.content
    assert response.json()["data"]["id"] == str(first.id)
    again = add(client, first)
    assert again.status_code == 200, again.content  # a no-op
    assert add(client, second).status_code == 201
    assert WishlistItem.objects.filter(user=customer).count() == 2

    # Current price and stock, newest first.
    Product.objects.filter(id=second.id).update(price=Decimal("120.00"))
    stock_adjust(product_id=second.id, action="set", quantity=0, actor=None)
    rows = client.get(WISHLIST).json()["data"]["results"]
    assert [(r["name"], r["price"], r["stock"], r["in_stock"]) for r in rows] == [
        ("Flute", "120.00", 0, False),
        ("Drum", "1500.00", 10, True),
    ]
    assert client.delete(f"{WISHLIST}{first.id}/").status_code == 204
    assert_error(client.delete(f"{WISHLIST}{first.id}/"), 404, "not_found")
    assert [r["name"] for r in client.get(WISHLIST).json()["data"]["results"]] == ["Flute"]


def test_products_out_of_the_catalogue_cannot_be_saved_and_leave_the_list(customer, client_for):
    client = client_for(customer)
    product, hidden = ProductFactory(), ProductFactory(is_active=False)
    pending = ProductFactory(shop=ShopFactory(status="pending"))
    assert_error(add(client, hidden), 404, "not_found")
    assert_error(add(client, pending), 404, "not_found")
    assert_error(
        client.post(WISHLIST, {"product_id": "not-a-uuid"}, format="json"), 400, "validation_error"
    )
    assert add(client, product).status_code == 201
    Shop.objects.filter(id=product.shop_id).update(status="suspended")
    assert client.get(WISHLIST).json()["data"]["count"] == 0
    Shop.objects.filter(id=product.shop_id).update(status="approved")
    assert client.get(WISHLIST).json()["data"]["count"] == 1


def test_a_wishlist_holds_at_most_500(customer, client_for):
    shop = ShopFactory()
    products = Product.objects.bulk_create(
        Product(shop=shop, name=f"P{n}", slug=f"p{n}", price=Decimal("10.00"))
        for n in range(MAX_WISHLIST_ITEMS + 1)
    )
    WishlistItem.objects.bulk_create(
        WishlistItem(user=customer, product=p) for p in products[:MAX_WISHLIST_ITEMS]
    )
    client = client_for(customer)
    assert add(client, products[0]).status_code == 200  # already there: still a no-op
    assert_error(add(client, products[-1]), 409, "conflict")
    assert WishlistItem.objects.filter(user=customer).count() == MAX_WISHLIST_ITEMS


@pytest.mark.parametrize("count", [3, 40])
def test_a_page_costs_a_fixed_number_of_queries(
    customer, client_for, count, django_assert_max_num_queries
):
    client = client_for(customer)
    for _ in range(count):
        WishlistItem.objects.create(user=customer, product=ProductFactory())
    # the account, the count, the page with products and shops, images, categories
    with django_assert_max_num_queries(5):
        data = client.get(WISHLIST, {"page_size": 100}).json()["data"]
    assert data["count"] == count and len(data["results"]) == count


def test_who_has_no_wishlist(client_for):
    staff = client_for(StaffFactory())
    assert_error(staff.get(WISHLIST), 403, "permission_denied")
    assert_error(add(staff, ProductFactory()), 403, "permission_denied")
    assert_error(APIClient().get(WISHLIST), 401, "not_authenticated")


def test_shops_see_nothing_of_who_saved_their_products(customer, client_for):
    product = ProductFactory()
    add(client_for(customer), product)
    owner = client_for(product.shop.owner)
    body = owner.get(f"/api/v1/products/{product.id}/").content.decode()
    assert customer.email not in body and "wish" not in body
    assert owner.get(WISHLIST).json()["data"]["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_tabs_adding_at_the_limit_never_pass_it(client_for):
    customer = UserFactory()
    shop = ShopFactory()
    products = Product.objects.bulk_create(
        Product(shop=shop, name=f"P{n}", slug=f"p{n}", price=Decimal("10.00"))
        for n in range(MAX_WISHLIST_ITEMS + 3)
    )
    WishlistItem.objects.bulk_create(
        WishlistItem(user=customer, product=p) for p in products[: MAX_WISHLIST_ITEMS - 1]
    )
    clients = [client_for(customer) for _ in range(4)]
    results = run_together(
        *[
            (lambda c=c, p=p: add(c, p).status_code)
            for c, p in zip(clients, products[MAX_WISHLIST_ITEMS - 1 :], strict=True)
        ]
    )
    assert sorted(results) == [201, 409, 409, 409]
    assert WishlistItem.objects.filter(user=customer).count() == MAX_WISHLIST_ITEMS
