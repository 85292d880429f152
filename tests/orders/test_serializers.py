"""The order group representation is built by hand for speed: it must stay what the declared
fields give (and so what the OpenAPI schema says)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from orders.models import OrderEvent, OrderGroup
from orders.selectors import group_detail
from orders.serializers import OrderGroupSerializer
from tests.factories import (
    OrderFactory,
    OrderGroupFactory,
    OrderItemFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _both(group: OrderGroup) -> tuple[bytes, bytes]:
    serializer = OrderGroupSerializer(group_detail(group_id=group.id))
    generic = serializers.Serializer.to_representation(serializer, serializer.instance)
    render = JSONRenderer().render
    return render(serializer.data), render(generic)


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
    for n in range(3):
        order = OrderFactory(
            group=group,
            number=f"{group.number}-{n + 1}",
            is_paid=n == 1,
            cash_collected=n == 2,
            estimated_delivery_date=date(2030, 1, 2) if n == 0 else None,
        )
        for quantity in (1, 3):
            OrderItemFactory(order=order, quantity=quantity)
        OrderEvent.objects.create(order=order, status="pending", note="Order placed.", actor=None)
        OrderEvent.objects.create(order=order, status="processing", note="Ọjà ✓", actor=staff)
        OrderEvent.objects.create(order=order, status="processing", actor=UserFactory())
    fast, generic = _both(group)
    assert fast == generic
    assert b'"expires_at":"20' in fast and b'"estimated_delivery_date":"2030-01-02"' in fast


def test_cancelled_cash_pickup_group_without_orders_or_address():
    group = OrderGroupFactory(
        payment_method="cash", fulfillment_method="pickup", status="cancelled"
    )
    fast, generic = _both(group)
    assert fast == generic
    assert b'"expires_at":null' in fast and b'"orders":[]' in fast
