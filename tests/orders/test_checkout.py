import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from carts.models import CartItem
from orders import checkout as checkout_module
from orders.models import Order, OrderEvent, OrderGroup, OrderItem
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product
from tests.factories import (
    AddressFactory,
    DeliveryZoneFactory,
    OrderGroupFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)
from tests.orders.helpers import assert_error, checkout, fill_cart

pytestmark = pytest.mark.django_db

GROUP_KEYS = {
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
}
ORDER_KEYS = {
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
}


def stock(product):
    return Product.objects.get(id=product.id).stock


def test_delivery_checkout_creates_one_order_per_shop(
    client, customer, address, django_capture_on_commit_callbacks
):
    shop_a = ShopFactory(delivery_fee=Decimal("500.00"))
    shop_b = ShopFactory(delivery_fee=Decimal("300.00"))
    a1 = ProductFactory(shop=shop_a, price=Decimal("1000.00"), stock=10)
    b1 = ProductFactory(shop=shop_b, price=Decimal("250.50"), stock=4)
    a2 = ProductFactory(shop=shop_a, price=Decimal("20.00"), stock=3)
    fill_cart(customer, [(a1, 2), (b1, 4), (a2, 1)])

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client, address=address)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == GROUP_KEYS
    assert re.fullmatch(r"MKT-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}", data["number"])
    assert data["status"] == "pending"
    assert data["payment_method"] == "paystack"
    assert data["payment_status"] == "unpaid"
    assert data["fulfillment_method"] == "delivery"
    assert data["currency"] == "NGN"
    assert data["subtotal"] == "3022.00"
    assert data["delivery_fee"] == "800.00"
    assert data["total"] == "3822.00"
    assert data["shipping_address"] == {
        "full_name": address.full_name,
        "phone": address.phone,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }
    expires_at = OrderGroup.objects.get(id=data["id"]).expires_at
    assert before + timedelta(minutes=29) < expires_at <= timezone.now() + timedelta(minutes=30)
    assert data["expires_at"] is not None

    first, second = data["orders"]
    assert set(first) == ORDER_KEYS
    assert "customer" not in first and "shipping_address" not in first
    assert first["number"] == data["number"] + "-1"
    assert second["number"] == data["number"] + "-2"
    assert first["shop"] == {"id": str(shop_a.id), "name": shop_a.name}
    assert first["group_id"] == data["id"]
    assert first["subtotal"] == "2020.00"
    assert first["delivery_fee"] == "500.00"
    assert first["total"] == "2520.00"
    assert first["status"] == "pending"
    assert first["is_paid"] is False and first["cash_collected"] is False
    assert sorted(
        (i["product_name"], i["unit_price"], i["quantity"], i["line_total"]) for i in first["items"]
    ) == sorted([(a1.name, "1000.00", 2, "2000.00"), (a2.name, "20.00", 1, "20.00")])
    assert second["items"][0]["product_id"] == str(b1.id)
    assert second["total"] == "1302.00"
    [event] = first["events"]
    assert event["status"] == "pending"
    assert event["actor"]["id"] == str(customer.id)

    # Stock went down through the ledger, the cart is empty.
    assert (stock(a1), stock(b1), stock(a2)) == (8, 0, 2)
    movements = InventoryMovement.objects.filter(reason="checkout")
    assert movements.count() == 3
    assert {(m.product_id, m.delta, str(m.order_id)) for m in movements} == {
        (a1.id, -2, first["id"]),
        (b1.id, -4, second["id"]),
        (a2.id, -1, first["id"]),
    }
    assert ledger_drift() == []
    assert not CartItem.objects.filter(cart__user=customer).exists()

    # Customer confirmation and one notice per shop owner, after commit.
    recipients = sorted(m.to[0] for m in mail.outbox if "order" in m.subject.lower())
    assert customer.email in recipients
    assert shop_a.owner.email in recipients and shop_b.owner.email in recipients
    confirmation = next(m for m in mail.outbox if m.to == [customer.email])
    assert data["number"] in confirmation.subject


def test_snapshots_do_not_follow_later_changes(client, customer, address):
    product = ProductFactory(price=Decimal("100.00"))
    fill_cart(customer, [(product, 1)])
    group_id = checkout(client, address=address).json()["data"]["id"]
    Product.objects.filter(id=product.id).update(price=Decimal("999.00"), name="Renamed")
    address.line1 = "Elsewhere"
    address.save()
    data = client.get(f"/api/v1/order-groups/{group_id}/").json()["data"]
    item = data["orders"][0]["items"][0]
    assert (item["unit_price"], item["product_name"]) == ("100.00", product.name)
    assert data["shipping_address"]["line1"] == "12 Marina Road"


def test_pickup_cash_checkout_has_no_fee_address_or_deadline(client, customer):
    product = ProductFactory(shop=ShopFactory(delivery_fee=Decimal("900.00")))
    fill_cart(customer, [(product, 1)])
    other_address = AddressFactory(user=customer)
    response = checkout(
        client, fulfillment="pickup", payment="cash", shipping_address_id=str(other_address.id)
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["delivery_fee"] == "0.00"
    assert data["total"] == data["subtotal"] == "1500.00"
    assert data["shipping_address"] is None
    assert data["expires_at"] is None
    assert OrderGroup.objects.get(id=data["id"]).expires_at is None


def test_snapshot_of_customer(client, customer, address):
    fill_cart(customer, [(ProductFactory(), 1)])
    group = OrderGroup.objects.get(id=checkout(client, address=address).json()["data"]["id"])
    assert group.customer_email == customer.email
    assert group.customer_name == customer.full_name


def test_empty_cart_is_400_cart_empty(client, customer, address):
    assert_error(checkout(client, address=address), 400, "cart_empty")
    fill_cart(customer, [])
    assert_error(checkout(client, address=address), 400, "cart_empty")
    assert not OrderGroup.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"fulfillment_method": "delivery", "payment_method": "paystack"},  # no address
        {"fulfillment_method": "drone", "payment_method": "cash"},
        {"fulfillment_method": "pickup", "payment_method": "bitcoin"},
        {"fulfillment_method": "pickup"},
        {"fulfillment_method": "delivery", "payment_method": "cash", "shipping_address_id": "x"},
        {"fulfillment_method": ["pickup"], "payment_method": "cash"},
    ],
)
def test_invalid_body_is_400(client, customer, body):
    fill_cart(customer, [(ProductFactory(), 1)])
    response = client.post("/api/v1/checkout/", body, format="json")
    assert_error(response, 400, "validation_error")
    assert not OrderGroup.objects.exists()


def test_someone_elses_address_is_404(client, customer):
    product = ProductFactory(stock=5)
    fill_cart(customer, [(product, 1)])
    foreign = AddressFactory()
    assert_error(checkout(client, address=foreign), 404, "not_found")
    response = checkout(client, shipping_address_id=str(uuid.uuid4()))
    assert_error(response, 404, "not_found")
    assert stock(product) == 5
    assert not OrderGroup.objects.exists()


def test_every_short_line_is_reported_and_nothing_changes(client, customer, address):
    fine = ProductFactory(stock=5)
    short_a = ProductFactory(stock=1)
    short_b = ProductFactory(stock=0)
    fill_cart(customer, [(fine, 2), (short_a, 2), (short_b, 3)])
    body = assert_error(checkout(client, address=address), 409, "insufficient_stock")
    assert sorted(body["errors"]["items"], key=lambda i: i["requested"]) == [
        {"product_id": str(short_a.id), "requested": 2, "available": 1},
        {"product_id": str(short_b.id), "requested": 3, "available": 0},
    ]
    assert (stock(fine), stock(short_a), stock(short_b)) == (5, 1, 0)
    assert CartItem.objects.filter(cart__user=customer).count() == 3
    assert not OrderGroup.objects.exists()
    assert not Order.objects.exists()
    assert not InventoryMovement.objects.filter(reason="checkout").exists()


def test_a_total_beyond_the_money_columns_is_refused_and_the_cart_still_reads(
    client, customer, address
):
    priciest = ProductFactory(price=Decimal("9999999999.99"), stock=5)
    fill_cart(customer, [(priciest, 2)])
    cart = client.get("/api/v1/cart/")
    assert cart.status_code == 200, cart.content
    assert cart.json()["data"]["subtotal"] == "19999999999.98"
    assert_error(checkout(client, address=address), 409, "conflict")
    assert stock(priciest) == 5
    assert CartItem.objects.filter(cart__user=customer).count() == 1
    assert not OrderGroup.objects.exists()


def test_unavailable_products_are_reported(client, customer, address):
    inactive = ProductFactory(is_active=False)
    closed = ProductFactory(shop=ShopFactory(is_active=False))
    fine = ProductFactory()
    fill_cart(customer, [(inactive, 1), (fine, 1), (closed, 1)])
    body = assert_error(checkout(client, address=address), 409, "product_unavailable")
    assert {i["product_id"] for i in body["errors"]["items"]} == {
        str(inactive.id),
        str(closed.id),
    }
    assert stock(fine) == 10
    assert not OrderGroup.objects.exists()


def test_who_may_check_out(api_client, client_for, address):
    assert_error(checkout(api_client, address=address), 401, "not_authenticated")
    unverified = UserFactory(is_email_verified=False)
    fill_cart(unverified, [(ProductFactory(), 1)])
    assert_error(checkout(client_for(unverified), fulfillment="pickup"), 403, "email_not_verified")
    staff = StaffFactory()
    assert_error(checkout(client_for(staff), fulfillment="pickup"), 403, "permission_denied")
    assert not OrderGroup.objects.exists()


def test_group_number_collision_draws_again(client, customer, address, monkeypatch):
    OrderGroupFactory(number="MKT-AAAAAAAA")
    numbers = iter(["MKT-AAAAAAAA", "MKT-BBBBBBBB"])
    monkeypatch.setattr(checkout_module, "generate_group_number", lambda: next(numbers))
    product = ProductFactory(stock=5)
    fill_cart(customer, [(product, 2)])
    response = checkout(client, address=address)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["number"] == "MKT-BBBBBBBB"
    assert data["orders"][0]["number"] == "MKT-BBBBBBBB-1"
    # The refused first attempt left nothing behind: stock taken once, one ledger movement.
    product.refresh_from_db()
    assert product.stock == 3
    movements = InventoryMovement.objects.filter(product=product, reason="checkout")
    assert list(movements.values_list("delta", "stock_after", "note")) == [(-2, 3, "MKT-BBBBBBBB")]
    assert OrderGroup.objects.filter(customer=customer).count() == 1
    assert not CartItem.objects.filter(cart__user=customer).exists()


def test_group_numbers_are_unique():
    numbers = {checkout_module.generate_group_number() for _ in range(2000)}
    assert len(numbers) == 2000


@pytest.mark.parametrize("key", [None, "budget-key"])
@pytest.mark.parametrize("lines,shops", [(1, 1), (20, 5)])
def test_checkout_query_count_does_not_grow(
    client, customer, address, lines, shops, key, django_assert_max_num_queries
):
    """One bound for 1 line and for 20 lines over 5 shops, within the budget of 25: the account,
    the address, the cart's lock, its lines with their products locked (PostgreSQL; elsewhere
    the lines, then the products and their shops), the delivery zones of all the shops (every
    shop here has some), and the writes in one batch (a single
    statement on PostgreSQL, one a table in a savepoint elsewhere). The idempotency key adds its
    claim and its result, the session lock held on it meanwhile (taken, released), and an
    `atomic` block for the work: inside the test's transaction each of those two blocks costs a
    SAVEPOINT and a RELEASE (in production, BEGIN and COMMIT). The answer is built from what was
    written, not read back."""
    shop_list = [ShopFactory() for _ in range(shops)]
    for shop in shop_list:
        DeliveryZoneFactory(shop=shop, states=["NG-LA"])
        DeliveryZoneFactory(shop=shop, name="Elsewhere", states=["*"])
    fill_cart(
        customer,
        [(ProductFactory(shop=shop_list[n % shops], stock=50), 2) for n in range(lines)],
    )
    if connection.vendor == "postgresql":
        budget = 6 if key is None else 14
    else:
        budget = 16 if key is None else 24
    with django_assert_max_num_queries(budget):
        response = checkout(client, address=address, idempotency_key=key)
    assert response.status_code == 201, response.content
    assert len(response.json()["data"]["orders"]) == shops
    assert OrderItem.objects.count() == lines
    assert OrderEvent.objects.count() == shops
    assert InventoryMovement.objects.filter(reason="checkout").count() == lines


@pytest.mark.parametrize("fulfillment,payment", [("delivery", "paystack"), ("pickup", "cash")])
def test_the_checkout_answer_is_the_group_as_read_back(
    client, customer, address, fulfillment, payment
):
    """The answer is built from the objects just written: it must be what a read gives."""
    shops = [ShopFactory(delivery_fee=Decimal("250.00")) for _ in range(3)]
    products = [ProductFactory(shop=shops[n % 3], price=Decimal("19.99")) for n in range(7)]
    fill_cart(customer, [(product, n + 1) for n, product in enumerate(products)])
    response = checkout(client, address=address, fulfillment=fulfillment, payment=payment)
    assert response.status_code == 201, response.content
    placed = response.json()["data"]
    read_back = client.get(f"/api/v1/order-groups/{placed['id']}/").json()["data"]
    assert placed == read_back
    assert [order["number"] for order in placed["orders"]] == sorted(
        order["number"] for order in placed["orders"]
    )


def test_emails_render_names_as_written(client, customer, django_capture_on_commit_callbacks):
    shop = ShopFactory(name="Ada's Fabrics & Co")
    fill_cart(customer, [(ProductFactory(shop=shop, name="Ankara <print>"), 1)])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client, fulfillment="pickup", payment="paystack")
    assert response.status_code == 201
    confirmation = next(m for m in mail.outbox if m.to == [customer.email])
    assert "Ada's Fabrics & Co" in confirmation.body
    assert "Ankara <print>" in confirmation.body
    assert "UTC" in confirmation.body  # the payment deadline
    html = confirmation.alternatives[0][0]
    assert "Ankara &lt;print&gt;" in html
    notice = next(m for m in mail.outbox if m.to == [shop.owner.email])
    assert response.json()["data"]["orders"][0]["number"] in notice.body
