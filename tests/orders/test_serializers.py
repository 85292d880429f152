"""The order group representation: the shape shared/API.md gives, formatted as declared, and
the same answer from checkout's rows in hand as from reading the group back."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import OrderEvent, OrderGroup
from orders.selectors import group_detail
from orders.serializers import OrderGroupSerializer
from tests.factories import (
    DeliveryZoneFactory,
    OrderFactory,
    OrderGroupFactory,
    OrderItemFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db

GROUP_KEYS = [
    "id",
    "number",
    "status",
    "payment_method",
    "payment_status",
    "fulfillment_method",
    "currency",
    "subtotal",
    "delivery_fee",
    "total",
    "shipping_address",
    "orders",
    "expires_at",
    "created_at",
    "updated_at",
]
ORDER_KEYS = [
    "id",
    "group_id",
    "number",
    "shop",
    "status",
    "items",
    "subtotal",
    "delivery_fee",
    "total",
    "is_paid",
    "cash_collected",
    "estimated_delivery_date",
    "delivery_zone",
    "estimated_delivery",
    "events",
    "created_at",
    "updated_at",
]
ITEM_KEYS = ["id", "product_id", "product_name", "unit_price", "quantity", "line_total"]


def _data(group: OrderGroup) -> dict:
    return OrderGroupSerializer(group_detail(group_id=group.id)).data


def test_unpaid_paystack_delivery_group_with_every_kind_of_line():
    group = OrderGroupFactory(
        payment_method="paystack",
        fulfillment_method="delivery",
        shipping_address={"full_name": "Ada Obi", "line1": "1 Marina", "country": "NG"},
        subtotal=Decimal("0.01"),
        delivery_fee=Decimal("9999999.99"),
        total=Decimal("10000000.00"),
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    staff = StaffFactory(first_name="", last_name="")
    customer = UserFactory()
    for n in range(3):
        order = OrderFactory(
            group=group,
            number=f"{group.number}-{n + 1}",
            is_paid=n == 1,
            cash_collected=n == 2,
            estimated_delivery_date=date(2030, 1, 2) if n == 0 else None,
            delivery_zone="Lagos" if n == 0 else "",
            delivery_days_min=1 if n == 0 else None,
            delivery_days_max=3 if n == 0 else None,
        )
        for quantity in (1, 3):
            OrderItemFactory(order=order, quantity=quantity)
        OrderEvent.objects.create(order=order, status="pending", note="Order placed.", actor=None)
        OrderEvent.objects.create(order=order, status="processing", note="Ọjà ✓", actor=staff)
        OrderEvent.objects.create(order=order, status="processing", actor=customer)

    data = _data(group)
    assert list(data) == GROUP_KEYS
    assert (data["subtotal"], data["delivery_fee"], data["total"]) == (
        "0.01",
        "9999999.99",
        "10000000.00",
    )
    assert data["shipping_address"]["full_name"] == "Ada Obi"
    assert data["expires_at"].startswith("20")
    assert [order["number"] for order in data["orders"]] == [
        f"{group.number}-{n}" for n in (1, 2, 3)
    ]
    first = data["orders"][0]
    assert list(first) == ORDER_KEYS
    assert first["group_id"] == str(group.id) and first["shop"] == {
        "id": str(first["shop"]["id"]),
        "name": first["shop"]["name"],
    }
    assert first["estimated_delivery_date"] == "2030-01-02"
    assert first["delivery_zone"] == "Lagos"
    assert first["estimated_delivery"] == {"days_min": 1, "days_max": 3}
    assert [o["delivery_zone"] for o in data["orders"][1:]] == [None, None]
    assert [o["estimated_delivery"] for o in data["orders"][1:]] == [None, None]
    assert [o["is_paid"] for o in data["orders"]] == [False, True, False]
    assert [o["cash_collected"] for o in data["orders"]] == [False, False, True]
    assert [list(item) for item in first["items"]] == [ITEM_KEYS, ITEM_KEYS]
    assert [e["status"] for e in first["events"]] == ["pending", "processing", "processing"]
    assert [e["note"] for e in first["events"]][:2] == ["Order placed.", "Ọjà ✓"]
    assert first["events"][0]["actor"] is None
    assert first["events"][1]["actor"] == {"id": str(staff.id), "name": staff.handle}
    assert first["events"][2]["actor"] == {"id": str(customer.id), "name": customer.full_name}


def test_cancelled_cash_pickup_group_without_orders_or_address():
    group = OrderGroupFactory(
        payment_method="cash", fulfillment_method="pickup", status="cancelled"
    )
    data = _data(group)
    assert data["expires_at"] is None and data["orders"] == []
    assert data["shipping_address"] is None


def test_checkout_answers_what_reading_the_group_back_gives():
    """Checkout's answer is built from the rows it wrote, without reading them back."""
    customer = UserFactory()
    shops = [ShopFactory(), ShopFactory()]
    DeliveryZoneFactory(shop=shops[0], states=["*"], days_min=2, days_max=4)
    lines = [(ProductFactory(shop=shops[n % 2], name=f"Item {5 - n}"), n + 1) for n in range(5)]
    placed = place_order(customer, lines)
    assert [order.delivery_zone for order in placed.order_list] == ["Lagos", ""]
    assert OrderGroupSerializer(placed).data == _data(placed)
