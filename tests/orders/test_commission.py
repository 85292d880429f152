"""Commission: which rate applies to an order line, frozen at checkout, on the items only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.commission import commission_amount, commission_rate
from orders.models import OrderItem
from tests.factories import CategoryFactory, ProductFactory, ShopFactory
from tests.orders.helpers import checkout, fill_cart

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.mark.parametrize(
    ("shop", "category", "default", "rate"),
    [
        (D("12.5"), D("20"), D("5"), D("12.50")),  # the shop's own rate comes first
        (None, D("20"), D("5"), D("20.00")),  # then its categories'
        (None, None, D("5"), D("5.00")),  # then the platform's
        (D("0"), D("20"), D("5"), D("0.00")),  # zero is a rate, not "unset"
    ],
)
def test_rate_comes_from_the_first_that_is_set(shop, category, default, rate):
    assert commission_rate(shop_percent=shop, category_percent=category, default=default) == rate


@pytest.mark.parametrize(
    ("line_total", "rate", "amount"),
    [
        (D("1000.00"), D("7.50"), D("75.00")),
        (D("0.10"), D("5.00"), D("0.01")),  # 0.005 rounds half-up
        (D("0.30"), D("5.00"), D("0.02")),  # 0.015 rounds half-up
        (D("1333.33"), D("7.50"), D("100.00")),  # 99.99975
        (D("19.99"), D("0.00"), D("0.00")),
    ],
)
def test_amount_is_rounded_half_up_to_the_kobo(line_total, rate, amount):
    assert commission_amount(line_total=line_total, rate=rate) == amount


def test_checkout_freezes_each_lines_rate_and_amount(client, customer, address, settings):
    settings.PLATFORM_COMMISSION_PERCENT = D("5")
    own_rate = ShopFactory(commission_percent=D("12.50"), delivery_fee=D("500.00"))
    plain = ShopFactory(delivery_fee=D("300.00"))
    fashion = CategoryFactory(commission_percent=D("15"))
    cheap = CategoryFactory(commission_percent=D("8"))
    unset = CategoryFactory()
    in_categories = ProductFactory(shop=plain, price=D("1000.00"))
    in_categories.categories.set([cheap, fashion, unset])  # the highest rate applies
    default_rate = ProductFactory(shop=plain, price=D("19.99"))
    default_rate.categories.set([unset])
    shop_rate = ProductFactory(shop=own_rate, price=D("333.33"))
    shop_rate.categories.set([fashion])  # the shop's rate beats its categories'
    fill_cart(customer, [(in_categories, 2), (default_rate, 3), (shop_rate, 1)])

    response = checkout(client, address=address)
    assert response.status_code == 201, response.content

    lines = {item.product_id: item for item in OrderItem.objects.select_related("order")}
    assert (lines[in_categories.id].commission_rate, lines[in_categories.id].commission_amount) == (
        D("15.00"),
        D("300.00"),
    )
    # 3 x 19.99 = 59.97 at 5% = 2.9985 -> 3.00
    assert (lines[default_rate.id].commission_rate, lines[default_rate.id].commission_amount) == (
        D("5.00"),
        D("3.00"),
    )
    # 333.33 at 12.5% = 41.66625 -> 41.67
    assert (lines[shop_rate.id].commission_rate, lines[shop_rate.id].commission_amount) == (
        D("12.50"),
        D("41.67"),
    )
    plain_order = lines[in_categories.id].order
    assert plain_order.commission_total == D("303.00")  # not on the 300.00 delivery fee
    assert lines[shop_rate.id].order.commission_total == D("41.67")


def test_later_rate_changes_never_rewrite_an_order(
    client, customer, address, admin_user, client_for
):
    shop = ShopFactory(commission_percent=D("10"))
    fill_cart(customer, [(ProductFactory(shop=shop, price=D("100.00")), 1)])
    order_id = checkout(client, address=address).json()["data"]["orders"][0]["id"]
    admin = client_for(admin_user)
    patched = admin.patch(
        f"/api/v1/shops/{shop.id}/", {"commission_percent": "30.00"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    detail = admin.get(f"/api/v1/shops/{shop.id}/orders/{order_id}/").json()["data"]
    assert detail["items"][0]["commission_rate"] == "10.00"
    assert detail["items"][0]["commission_amount"] == "10.00"
    assert detail["commission_total"] == "10.00"
    assert detail["shop_earnings"] == str(D(detail["total"]) - D("10.00"))


def test_commission_is_shown_to_the_shop_not_the_customer(client, customer, address, client_for):
    shop = ShopFactory(commission_percent=D("10"))
    fill_cart(customer, [(ProductFactory(shop=shop, price=D("100.00")), 1)])
    group = checkout(client, address=address).json()["data"]
    order = group["orders"][0]
    assert "commission_total" not in order and "commission_rate" not in order["items"][0]
    owner = client_for(shop.owner)
    seen = owner.get(f"/api/v1/shops/{shop.id}/orders/{order['id']}/").json()["data"]
    # The shop earns its items and delivery fee (500.00) less the commission on the items.
    assert seen["commission_total"] == "10.00" and seen["shop_earnings"] == "590.00"
    listed = owner.get(f"/api/v1/shops/{shop.id}/orders/").json()["data"]["results"][0]
    assert listed["items"][0]["commission_amount"] == "10.00"


def test_only_admins_set_a_shops_commission_and_payout_pause(client_for, admin_user):
    shop = ShopFactory()
    owner = client_for(shop.owner)
    for body in ({"commission_percent": "1.00"}, {"payouts_paused": True}):
        refused = owner.patch(f"/api/v1/shops/{shop.id}/", body, format="json")
        assert refused.status_code == 403, refused.content
        assert refused.json()["code"] == "permission_denied"
    shown = owner.get(f"/api/v1/shops/{shop.id}/").json()["data"]
    assert shown["commission_percent"] is None and shown["payouts_paused"] is False
    admin = client_for(admin_user)
    response = admin.patch(
        f"/api/v1/shops/{shop.id}/",
        {"commission_percent": "7.25", "payouts_paused": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["commission_percent"] == "7.25"
    assert response.json()["data"]["payouts_paused"] is True
    too_high = admin.patch(f"/api/v1/shops/{shop.id}/", {"commission_percent": "100.01"})
    assert too_high.status_code == 400
    public = client_for(ShopFactory().owner).get(f"/api/v1/shops/{shop.id}/").json()["data"]
    assert "commission_percent" not in public and "payouts_paused" not in public


def test_category_commission_is_set_and_seen_by_admins_only(client_for, admin_user, customer):
    admin = client_for(admin_user)
    created = admin.post(
        "/api/v1/categories/", {"name": "Fabrics", "commission_percent": "9.50"}, format="json"
    )
    assert created.status_code == 201, created.content
    category = created.json()["data"]
    assert category["commission_percent"] == "9.50"
    cleared = admin.patch(
        f"/api/v1/categories/{category['id']}/", {"commission_percent": None}, format="json"
    )
    assert cleared.json()["data"]["commission_percent"] is None
    seen = client_for(customer).get(f"/api/v1/categories/{category['id']}/").json()["data"]
    assert "commission_percent" not in seen
