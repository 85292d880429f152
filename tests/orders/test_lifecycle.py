"""The per-shop order lifecycle (orders/state.py) through the shop's status endpoint."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from orders import services, state
from orders.models import Order, OrderGroup
from tests.factories import ProductFactory, ShopFactory, StaffFactory, UserFactory
from tests.orders.helpers import assert_error, place_order

pytestmark = pytest.mark.django_db


def status_url(order):
    return f"/api/v1/shops/{order.shop_id}/orders/{order.id}/status/"


def change(client, order, status, **extra):
    return client.post(status_url(order), {"status": status, **extra}, format="json")


def mark_paid(group):
    with transaction.atomic():
        locked = services.order_group_lock(group_id=group.id)
        services.order_group_mark_paid(group=locked, paid_at=timezone.now())


@pytest.fixture
def shop():
    return ShopFactory()


@pytest.fixture
def owner(shop, client_for):
    return client_for(shop.owner)


def order_of(customer, shop, **kwargs):
    group = place_order(customer, [(ProductFactory(shop=shop), 1)], **kwargs)
    return group.orders.get()


@pytest.mark.parametrize(
    "statuses,expected",
    [
        (["pending", "pending"], "pending"),
        (["pending", "cancelled"], "pending"),
        (["processing", "pending"], "processing"),
        (["shipped", "cancelled"], "processing"),
        (["completed", "processing"], "partially_fulfilled"),
        (["completed", "pending"], "partially_fulfilled"),
        (["completed", "completed"], "fulfilled"),
        (["completed", "cancelled"], "fulfilled_with_cancellations"),
        (["cancelled", "cancelled"], "cancelled"),
    ],
)
def test_group_status_follows_its_orders(statuses, expected):
    assert state.group_status(statuses) == expected


def test_paystack_order_is_paid_before_processing(customer, shop, owner):
    order = order_of(customer, shop)
    body = assert_error(change(owner, order, "processing"), 409, "invalid_transition")
    assert body["errors"] == {"from": "pending", "to": "processing", "allowed": ["cancelled"]}
    assert "not paid" in body["message"]
    mark_paid(order.group)

    response = change(owner, order, "processing", note="Packing.")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "processing"
    assert data["is_paid"] is True
    assert [(e["status"], e["note"]) for e in data["events"]] == [
        ("pending", "Order placed."),
        ("processing", "Packing."),
    ]
    assert data["events"][1]["actor"]["id"] == str(shop.owner_id)
    group = OrderGroup.objects.get(id=order.group_id)
    assert (group.status, group.payment_status) == ("processing", "paid")


def test_delivery_order_ships_before_it_completes(customer, shop, owner):
    order = order_of(customer, shop)
    mark_paid(order.group)
    assert change(owner, order, "processing").status_code == 200
    body = assert_error(change(owner, order, "completed"), 409, "invalid_transition")
    assert body["errors"]["allowed"] == ["shipped", "cancelled"]

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    mail.outbox.clear()
    response = change(owner, order, "shipped", estimated_delivery_date=tomorrow)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["estimated_delivery_date"] == tomorrow
    assert OrderGroup.objects.get(id=order.group_id).status == "processing"

    response = change(owner, order, "completed")
    assert response.status_code == 200
    assert OrderGroup.objects.get(id=order.group_id).status == "fulfilled"
    body = assert_error(change(owner, order, "cancelled"), 409, "invalid_transition")
    assert body["errors"] == {"from": "completed", "to": "cancelled", "allowed": []}


def test_shipped_email_goes_to_the_customer(
    customer, shop, owner, django_capture_on_commit_callbacks
):
    order = order_of(customer, shop)
    mark_paid(order.group)
    change(owner, order, "processing")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change(owner, order, "shipped")
    [message] = mail.outbox
    assert message.to == [customer.email]
    assert order.number in message.subject


def test_pickup_order_is_never_shipped(customer, shop, owner):
    order = order_of(customer, shop, fulfillment="pickup")
    mark_paid(order.group)
    change(owner, order, "processing")
    body = assert_error(change(owner, order, "shipped"), 409, "invalid_transition")
    assert body["errors"]["allowed"] == ["completed", "cancelled"]
    assert change(owner, order, "completed").status_code == 200


def test_cash_is_collected_before_or_at_completion(customer, shop, owner):
    order = order_of(customer, shop, fulfillment="pickup", payment="cash")
    assert change(owner, order, "processing").status_code == 200  # no payment needed first
    body = assert_error(change(owner, order, "completed"), 409, "invalid_transition")
    # `completed` is allowed next, with `cash_collected` in the same request: it is listed, and
    # the message says what is missing.
    assert body["errors"]["allowed"] == ["completed", "cancelled"]
    assert "cash_collected" in body["message"]
    response = change(owner, order, "completed", cash_collected=True)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["cash_collected"] is True and data["is_paid"] is True
    group = OrderGroup.objects.get(id=order.group_id)
    assert (group.status, group.payment_status) == ("fulfilled", "paid")
    assert group.paid_at is not None


def test_cash_collected_earlier_allows_completion(customer, shop, owner):
    order = order_of(customer, shop, payment="cash")
    assert change(owner, order, "processing", cash_collected=True).status_code == 200
    assert change(owner, order, "shipped").status_code == 200
    assert change(owner, order, "completed").status_code == 200


def test_cash_collected_is_only_for_cash_orders(customer, shop, owner):
    order = order_of(customer, shop)
    mark_paid(order.group)
    body = assert_error(
        change(owner, order, "processing", cash_collected=True), 400, "validation_error"
    )
    assert "cash_collected" in body["errors"]
    assert Order.objects.get(id=order.id).status == "pending"


def test_estimated_delivery_date_rules(customer, shop, owner):
    order = order_of(customer, shop)
    mark_paid(order.group)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = assert_error(
        change(owner, order, "processing", estimated_delivery_date=tomorrow),
        400,
        "validation_error",
    )
    assert "estimated_delivery_date" in body["errors"]
    change(owner, order, "processing")
    assert_error(
        change(owner, order, "shipped", estimated_delivery_date=yesterday),
        400,
        "validation_error",
    )
    assert_error(
        change(owner, order, "shipped", estimated_delivery_date="soon"), 400, "validation_error"
    )
    assert Order.objects.get(id=order.id).status == "processing"


@pytest.mark.parametrize("body", [{}, {"status": "teleported"}, {"status": None}, {"status": 3}])
def test_invalid_status_body_is_400(customer, shop, owner, body):
    order = order_of(customer, shop)
    response = owner.post(status_url(order), body, format="json")
    assert_error(response, 400, "validation_error")


def test_same_status_is_not_a_move(customer, shop, owner):
    order = order_of(customer, shop)
    body = assert_error(change(owner, order, "pending"), 409, "invalid_transition")
    assert body["errors"]["from"] == body["errors"]["to"] == "pending"


def test_who_may_change_a_status(customer, shop, client_for):
    order = order_of(customer, shop, payment="cash")
    staff = StaffFactory(shop=shop)
    assert change(client_for(staff), order, "processing").status_code == 200
    admin = UserFactory(is_staff=True)
    assert change(client_for(admin), order, "shipped").status_code == 200

    other_owner = client_for(ShopFactory().owner)
    assert_error(change(other_owner, order, "completed"), 404, "not_found")
    assert_error(change(client_for(customer), order, "completed"), 404, "not_found")
    other_staff = client_for(StaffFactory())
    assert_error(change(other_staff, order, "completed"), 404, "not_found")
    # An order of another shop, reached through a shop the caller is a member of.
    foreign = order_of(UserFactory(), ShopFactory(), payment="cash")
    url = f"/api/v1/shops/{shop.id}/orders/{foreign.id}/status/"
    response = client_for(shop.owner).post(url, {"status": "processing"}, format="json")
    assert_error(response, 404, "not_found")
    assert Order.objects.get(id=foreign.id).status == "pending"
    response = client_for(shop.owner).post(
        f"/api/v1/shops/{shop.id}/orders/not-a-uuid/status/", {"status": "processing"}
    )
    assert_error(response, 404, "not_found")


def test_group_status_with_two_shops(customer, client_for):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    group = place_order(
        customer,
        [(ProductFactory(shop=shop_a), 1), (ProductFactory(shop=shop_b), 1)],
        fulfillment="pickup",
        payment="cash",
    )
    order_a = group.orders.get(shop=shop_a)
    order_b = group.orders.get(shop=shop_b)
    owner_a, owner_b = client_for(shop_a.owner), client_for(shop_b.owner)
    change(owner_a, order_a, "processing")
    assert OrderGroup.objects.get(id=group.id).status == "processing"
    change(owner_a, order_a, "completed", cash_collected=True)
    refreshed = OrderGroup.objects.get(id=group.id)
    assert (refreshed.status, refreshed.payment_status) == ("partially_fulfilled", "unpaid")
    change(owner_b, order_b, "cancelled", note="Out of stock in the shop.")
    refreshed = OrderGroup.objects.get(id=group.id)
    assert refreshed.status == "fulfilled_with_cancellations"
    assert refreshed.payment_status == "paid"
