"""Order lists and details: the customer's groups and a shop's orders."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderGroup
from tests.factories import ProductFactory, ShopFactory, StaffFactory, UserFactory
from tests.orders.helpers import assert_error, place_order

pytestmark = pytest.mark.django_db


def shop_orders_url(shop):
    return f"/api/v1/shops/{shop.id}/orders/"


# --- Customer side ---------------------------------------------------------------------------


def test_customer_sees_own_groups_newest_first(client, customer):
    first = place_order(customer, [(ProductFactory(), 1)])
    second = place_order(customer, [(ProductFactory(), 1)], payment="cash")
    place_order(UserFactory(), [(ProductFactory(), 1)])
    body = client.get("/api/v1/order-groups/").json()
    assert body["status"] == "success"
    data = body["data"]
    assert data["count"] == 2
    assert [g["id"] for g in data["results"]] == [str(second.id), str(first.id)]
    assert data["results"][0]["expires_at"] is None  # cash
    assert data["results"][1]["expires_at"] is not None  # unpaid Paystack


def test_status_filter_and_invalid_value(client, customer):
    group = place_order(customer, [(ProductFactory(), 1)])
    place_order(customer, [(ProductFactory(), 1)])
    client.post(f"/api/v1/order-groups/{group.id}/cancel/", {}, format="json")
    data = client.get("/api/v1/order-groups/?status=cancelled").json()["data"]
    assert [g["id"] for g in data["results"]] == [str(group.id)]
    assert_error(client.get("/api/v1/order-groups/?status=lost"), 400, "validation_error")


def test_admin_sees_every_group(client_for, customer):
    place_order(customer, [(ProductFactory(), 1)])
    place_order(UserFactory(), [(ProductFactory(), 1)])
    admin = client_for(UserFactory(is_staff=True))
    assert admin.get("/api/v1/order-groups/").json()["data"]["count"] == 2


def test_staff_have_no_order_groups(client_for):
    assert_error(client_for(StaffFactory()).get("/api/v1/order-groups/"), 403, "permission_denied")


def test_group_detail_and_unknown_ids(client, customer):
    group = place_order(customer, [(ProductFactory(), 1)])
    data = client.get(f"/api/v1/order-groups/{group.id}/").json()["data"]
    assert data["number"] == group.number
    assert "customer" not in data["orders"][0]
    assert_error(client.get("/api/v1/order-groups/not-a-uuid/"), 404, "not_found")
    assert_error(
        client.get("/api/v1/order-groups/00000000-0000-0000-0000-000000000000/"), 404, "not_found"
    )


def test_group_orders_come_in_numeric_order(client, customer):
    from orders.selectors import order_group_attach
    from tests.factories import OrderFactory, OrderGroupFactory

    group = OrderGroupFactory(customer=customer)
    suffixes = [10, 2, 11, 1, 3, 9, 4, 8, 5, 7, 6]  # created out of order
    orders = [OrderFactory(group=group, number=f"{group.number}-{n}") for n in suffixes]
    expected = [f"{group.number}-{n}" for n in range(1, 12)]

    detail = client.get(f"/api/v1/order-groups/{group.id}/").json()["data"]
    assert [o["number"] for o in detail["orders"]] == expected
    listed = client.get("/api/v1/order-groups/").json()["data"]["results"][0]
    assert [o["number"] for o in listed["orders"]] == expected
    order_group_attach(group, orders=orders, items={}, events={})
    assert [order.number for order in group.order_list] == expected


@pytest.mark.parametrize("groups", [1, 12])
def test_group_list_costs_fixed_queries(client, customer, groups, django_assert_max_num_queries):
    shops = [ShopFactory() for _ in range(3)]
    for _ in range(groups):
        place_order(customer, [(ProductFactory(shop=s), 2) for s in shops])
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/order-groups/")
    assert response.json()["data"]["count"] == groups


# --- Shop side ----------------------------------------------------------------------------


@pytest.fixture
def shop():
    return ShopFactory()


def test_shop_lists_only_its_orders_with_customer_and_address(client_for, customer, shop):
    other = ShopFactory()
    group = place_order(customer, [(ProductFactory(shop=shop), 1), (ProductFactory(shop=other), 1)])
    response = client_for(shop.owner).get(shop_orders_url(shop))
    assert response.status_code == 200
    [order] = response.json()["data"]["results"]
    assert order["shop"]["id"] == str(shop.id)
    assert order["customer"] == {"name": customer.full_name, "email": customer.email}
    assert order["shipping_address"] == group.shipping_address
    assert order["group_id"] == str(group.id)
    assert order["payment_method"] == "paystack"
    assert order["fulfillment_method"] == "delivery"
    # Staff of the shop see the same; detail too.
    staff = client_for(StaffFactory(shop=shop))
    assert staff.get(shop_orders_url(shop)).json()["data"]["count"] == 1
    detail = staff.get(f"{shop_orders_url(shop)}{order['id']}/")
    assert detail.status_code == 200
    assert detail.json()["data"]["customer"]["email"] == customer.email


def test_shop_orders_are_hidden_from_others(client_for, customer, shop):
    group = place_order(customer, [(ProductFactory(shop=shop), 1)])
    order = group.orders.get()
    for outsider in (customer, ShopFactory().owner, StaffFactory()):
        client = client_for(outsider)
        assert_error(client.get(shop_orders_url(shop)), 404, "not_found")
        assert_error(client.get(f"{shop_orders_url(shop)}{order.id}/"), 404, "not_found")
    # A member of another shop cannot reach this order through their own shop either.
    other = ShopFactory()
    client = client_for(other.owner)
    assert_error(client.get(f"{shop_orders_url(other)}{order.id}/"), 404, "not_found")
    admin = client_for(UserFactory(is_staff=True))
    assert admin.get(f"{shop_orders_url(shop)}{order.id}/").status_code == 200


def test_shop_order_filters_and_ordering(client_for, shop):
    owner = client_for(shop.owner)
    orders = []
    for _ in range(3):
        group = place_order(UserFactory(), [(ProductFactory(shop=shop), 1)], payment="cash")
        orders.append(group.orders.get())
    old, middle, new = orders
    Order.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=10))
    Order.objects.filter(id=middle.id).update(created_at=timezone.now() - timedelta(days=5))
    url = f"{shop_orders_url(shop)}{new.id}/status/"
    owner.post(url, {"status": "processing"}, format="json")

    def ids(query):
        response = owner.get(shop_orders_url(shop) + query)
        assert response.status_code == 200, response.content
        return [o["id"] for o in response.json()["data"]["results"]]

    assert ids("") == [str(new.id), str(middle.id), str(old.id)]
    assert ids("?ordering=created_at") == [str(old.id), str(middle.id), str(new.id)]
    assert ids("?ordering=status") == [str(middle.id), str(old.id), str(new.id)]
    assert ids("?ordering=-status")[0] == str(new.id)
    assert ids("?status=processing") == [str(new.id)]
    seven_days_ago = (timezone.now() - timedelta(days=7)).isoformat()
    assert ids(f"?created_after={seven_days_ago.replace('+', '%2B')}") == [
        str(new.id),
        str(middle.id),
    ]
    day = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert ids(f"?created_before={day}") == [str(old.id)]


@pytest.mark.parametrize(
    "query",
    [
        "?status=lost",
        "?ordering=price",
        "?ordering=-nope",
        "?created_after=yesterday",
        "?created_before=2024-13-45",
        # Years the databases cannot store: refused, never a database error.
        "?created_after=0001-01-01T00:00:00%2B05:00",
        "?created_before=0299-11-01",
        "?created_before=9999-12-31T23:00:00-05:00",
    ],
)
def test_shop_order_invalid_filters_are_400(client_for, shop, query):
    response = client_for(shop.owner).get(shop_orders_url(shop) + query)
    assert_error(response, 400, "validation_error")


def test_shop_order_date_filters_take_any_offset(client_for, shop):
    """An offset the database would refuse (PostgreSQL stops at ±15:59) is turned into UTC."""
    order = place_order(UserFactory(), [(ProductFactory(shop=shop), 1)]).orders.get()
    owner = client_for(shop.owner)
    for query, expected in [
        ("?created_after=1419-09-19T01:13:32%2B22:04", [str(order.id)]),
        ("?created_after=3668-07-30T09:41:22-23:58", []),
        ("?created_before=3668-07-30T09:41:22-23:58", [str(order.id)]),
    ]:
        response = owner.get(shop_orders_url(shop) + query)
        assert response.status_code == 200, (query, response.content)
        assert [o["id"] for o in response.json()["data"]["results"]] == expected, query


@pytest.mark.parametrize("count", [1, 15])
def test_shop_order_list_costs_fixed_queries(
    client_for, shop, count, django_assert_max_num_queries
):
    for _ in range(count):
        place_order(UserFactory(), [(ProductFactory(shop=shop), 1), (ProductFactory(shop=shop), 2)])
    owner = client_for(shop.owner)
    with django_assert_max_num_queries(7):
        response = owner.get(shop_orders_url(shop))
    assert response.json()["data"]["count"] == count
    assert OrderGroup.objects.count() == count
