"""Returns of completed orders through the API: limits, the window, scoping, restock, refund.

The orders here are cash orders (their refunds are recorded as cash at once); Paystack refunds
of returns and partial refunds are in `tests/payments/test_partial_refunds.py`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderGroup, OrderItem, Return
from orders.services import order_status_change
from payments.models import Refund
from payments.services import refunds_reconcile_stale, refunds_retry_due
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product
from tests.factories import ProductFactory, ShopFactory, StaffFactory, UserFactory
from tests.orders.helpers import assert_error, place_order

pytestmark = pytest.mark.django_db


def complete(order: Order) -> Order:
    """Move a cash order to `completed` as its shop would (collecting the cash)."""
    owner = order.shop.owner
    order_status_change(shop=order.shop, order_id=order.id, actor=owner, status="processing")
    if order.group.fulfillment_method == "delivery":
        order_status_change(shop=order.shop, order_id=order.id, actor=owner, status="shipped")
    order_status_change(
        shop=order.shop, order_id=order.id, actor=owner, status="completed", cash_collected=True
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def shop():
    return ShopFactory(delivery_fee=Decimal("500.00"))


@pytest.fixture
def products(shop):
    return [
        ProductFactory(shop=shop, price=Decimal("1000.00"), stock=10),
        ProductFactory(shop=shop, price=Decimal("333.33"), stock=10),
    ]


@pytest.fixture
def order(customer, products):
    group = place_order(customer, [(products[0], 2), (products[1], 3)], payment="cash")
    return complete(group.orders.get())


def lines(order):
    by_price = {item.unit_price: item for item in order.items.all()}
    return by_price[Decimal("1000.00")], by_price[Decimal("333.33")]


def ask(client, order, items, reason="damaged", **extra):
    body = {
        "items": [{"order_item_id": str(item.id), "quantity": q} for item, q in items],
        "reason": reason,
        **extra,
    }
    return client.post(f"/api/v1/orders/{order.id}/returns/", body, format="json")


def move(client, ret_id, shop, status, **extra):
    return client.post(
        f"/api/v1/shops/{shop.id}/returns/{ret_id}/status/",
        {"status": status, **extra},
        format="json",
    )


def test_customer_asks_for_a_return_and_the_shop_and_customer_are_told(
    client, order, customer, django_capture_on_commit_callbacks
):
    big, small = lines(order)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, order, [(big, 1), (small, 2)], note="Cracked screen")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["order_id"] == str(order.id)
    assert data["shop_id"] == str(order.shop_id)
    assert data["status"] == "requested"
    assert data["reason"] == "damaged"
    assert data["note"] == "Cracked screen"
    assert data["amount"] == "1666.66"  # 1000.00 + 2 x 333.33, from the order's snapshots
    assert sorted(
        (i["order_item_id"], i["quantity"], i["amount"]) for i in data["items"]
    ) == sorted([(str(big.id), 1, "1000.00"), (str(small.id), 2, "666.66")])
    [event] = data["events"]
    assert event["status"] == "requested" and event["actor"]["id"] == str(customer.id)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([customer.email, order.shop.owner.email])
    big.refresh_from_db()
    assert big.returned_quantity == 1 and big.refunded_quantity == 0


def test_a_line_cannot_be_returned_beyond_what_is_left(client, order):
    big, small = lines(order)
    body = assert_error(ask(client, order, [(big, 3)]), 409, "conflict")
    assert body["errors"]["items"] == [
        {"order_item_id": str(big.id), "requested": 3, "available": 2}
    ]
    assert ask(client, order, [(big, 2)]).status_code == 201
    body = assert_error(ask(client, order, [(big, 1), (small, 1)]), 409, "conflict")
    assert body["errors"]["items"] == [
        {"order_item_id": str(big.id), "requested": 1, "available": 0}
    ]
    assert Return.objects.count() == 1
    small.refresh_from_db()
    assert small.returned_quantity == 0  # nothing of a refused request stays


def test_a_rejected_return_frees_its_units(client, order, client_for):
    big, _small = lines(order)
    ret_id = ask(client, order, [(big, 2)]).json()["data"]["id"]
    owner = client_for(order.shop.owner)
    response = move(owner, ret_id, order.shop, "rejected", note="Used, not damaged")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "rejected"
    assert ask(client, order, [(big, 2)]).status_code == 201


def test_returns_need_a_completed_order_within_the_window(client, customer, products, settings):
    group = place_order(customer, [(products[0], 1)], payment="cash")
    pending = group.orders.get()
    [item] = pending.items.all()
    body = assert_error(ask(client, pending, [(item, 1)]), 409, "conflict")
    assert "completed" in body["message"]

    done = complete(pending)
    settings.RETURN_WINDOW_DAYS = 7
    Order.objects.filter(id=done.id).update(
        completed_at=done.completed_at - timedelta(days=7, minutes=1)
    )
    body = assert_error(ask(client, done, [(item, 1)]), 409, "conflict")
    assert "7 days" in body["message"]
    settings.RETURN_WINDOW_DAYS = 8
    assert ask(client, done, [(item, 1)]).status_code == 201


def test_an_order_completed_before_completion_times_were_kept_uses_its_event(
    client, customer, products, settings
):
    done = complete(place_order(customer, [(products[0], 1)], payment="cash").orders.get())
    [item] = done.items.all()
    event = OrderEvent.objects.get(order=done, status="completed")
    Order.objects.filter(id=done.id).update(completed_at=None)
    OrderEvent.objects.filter(id=event.id).update(created_at=event.created_at - timedelta(days=8))
    settings.RETURN_WINDOW_DAYS = 7
    assert_error(ask(client, done, [(item, 1)]), 409, "conflict")
    settings.RETURN_WINDOW_DAYS = 9
    assert ask(client, done, [(item, 1)]).status_code == 201


def test_invalid_return_requests(client, order, customer, client_for):
    big, _small = lines(order)
    other_order = complete(
        place_order(UserFactory(), [(ProductFactory(stock=5), 1)], payment="cash").orders.get()
    )
    [foreign_item] = other_order.items.all()
    # Someone else's order is not found, even with its own lines.
    assert_error(ask(client, other_order, [(foreign_item, 1)]), 404, "not_found")
    # A line of another order, a line twice, no lines, a bad reason, zero units.
    body = assert_error(ask(client, order, [(foreign_item, 1)]), 400, "validation_error")
    assert "items" in body["errors"]
    assert_error(ask(client, order, [(big, 1), (big, 1)]), 400, "validation_error")
    assert_error(ask(client, order, []), 400, "validation_error")
    assert_error(ask(client, order, [(big, 1)], reason="bored"), 400, "validation_error")
    assert_error(ask(client, order, [(big, 0)]), 400, "validation_error")
    response = client.post("/api/v1/orders/not-a-uuid/returns/", {}, format="json")
    assert response.status_code == 404
    # Shop staff do not buy: the order is not theirs to return.
    staff = StaffFactory(shop=order.shop)
    assert_error(ask(client_for(staff), order, [(big, 1)]), 404, "not_found")
    assert Return.objects.count() == 0


def test_the_whole_journey_restocks_and_refunds_in_cash(
    client, order, customer, client_for, products, django_capture_on_commit_callbacks
):
    big, small = lines(order)
    owner = client_for(order.shop.owner)
    ret_id = ask(client, order, [(big, 1), (small, 3)]).json()["data"]["id"]
    stock_before = {p.id: Product.objects.get(id=p.id).stock for p in products}

    assert move(owner, ret_id, order.shop, "approved", note="Send it back").status_code == 200
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = move(owner, ret_id, order.shop, "received")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["restocked"] is True
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert Product.objects.get(id=products[0].id).stock == stock_before[products[0].id] + 1
    assert Product.objects.get(id=products[1].id).stock == stock_before[products[1].id] + 3
    movements = InventoryMovement.objects.filter(reason="return", order=order)
    assert sorted(m.delta for m in movements) == [1, 3]
    assert ledger_drift() == []

    with django_capture_on_commit_callbacks(execute=True):
        response = move(owner, ret_id, order.shop, "refunded", note="Refunded at the counter")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "refunded"
    assert [e["status"] for e in data["events"]] == [
        "requested",
        "approved",
        "received",
        "refunded",
    ]
    assert data["events"][-1]["note"] == "Refunded at the counter"
    refund = Refund.objects.get()
    assert (refund.method, refund.status, refund.payment_id) == ("cash", "processed", None)
    assert refund.amount == 199999  # 1000.00 + 3 x 333.33, in kobo
    assert str(refund.return_request_id) == ret_id and refund.order_id == order.id
    assert sorted((i.order_item_id, i.quantity) for i in refund.items.all()) == sorted(
        [(big.id, 1), (small.id, 3)]
    )
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("1999.99")
    assert OrderGroup.objects.get().payment_status == "partially_refunded"
    big.refresh_from_db()
    assert (big.returned_quantity, big.refunded_quantity) == (1, 1)

    # The last unit: all the items are back, the delivery fee is not (a return has none).
    ret_id = ask(client, order, [(big, 1)]).json()["data"]["id"]
    for status in ("approved", "received", "refunded"):
        assert move(owner, ret_id, order.shop, status).status_code == 200
    order.refresh_from_db()
    assert order.refunded_amount == order.total - order.delivery_fee == Decimal("2999.99")
    assert OrderGroup.objects.get().payment_status == "partially_refunded"
    # The shop gives the delivery fee back too: the group's money is all back.
    response = owner.post(
        f"/api/v1/shops/{order.shop_id}/orders/{order.id}/refunds/",
        {"delivery_fee": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["data"]["amount"] == "500.00"
    order.refresh_from_db()
    assert order.refunded_amount == order.total
    assert OrderGroup.objects.get().payment_status == "refunded"
    assert Refund.objects.count() == 3


def test_received_without_restock_leaves_stock(client, order, client_for, products):
    big, _small = lines(order)
    owner = client_for(order.shop.owner)
    ret_id = ask(client, order, [(big, 1)]).json()["data"]["id"]
    move(owner, ret_id, order.shop, "approved")
    before = Product.objects.get(id=products[0].id).stock
    response = move(owner, ret_id, order.shop, "received", restock=False)
    assert response.status_code == 200
    assert response.json()["data"]["restocked"] is False
    assert Product.objects.get(id=products[0].id).stock == before
    assert not InventoryMovement.objects.filter(reason="return").exists()


def test_moves_outside_the_lifecycle_are_refused(client, order, client_for):
    big, _small = lines(order)
    owner = client_for(order.shop.owner)
    ret_id = ask(client, order, [(big, 1)]).json()["data"]["id"]
    body = assert_error(move(owner, ret_id, order.shop, "refunded"), 409, "invalid_transition")
    assert body["errors"] == {
        "from": "requested",
        "to": "refunded",
        "allowed": ["approved", "rejected"],
    }
    body = assert_error(
        move(owner, ret_id, order.shop, "received", restock=True), 409, "invalid_transition"
    )
    assert_error(
        move(owner, ret_id, order.shop, "approved", restock=False), 400, "validation_error"
    )
    assert_error(move(owner, ret_id, order.shop, "lost"), 400, "validation_error")
    move(owner, ret_id, order.shop, "rejected")
    assert_error(move(owner, ret_id, order.shop, "approved"), 409, "invalid_transition")
    assert not Refund.objects.exists()


def test_who_sees_and_moves_a_return(client, order, client_for, admin_user):
    big, _small = lines(order)
    ret_id = ask(client, order, [(big, 1)]).json()["data"]["id"]
    other_shop = ShopFactory()
    stranger = UserFactory()
    staff = StaffFactory(shop=order.shop)

    for user in (order.group.customer, order.shop.owner, staff, admin_user):
        response = client_for(user).get(f"/api/v1/returns/{ret_id}/")
        assert response.status_code == 200, (user, response.content)
    for user in (stranger, other_shop.owner, StaffFactory(shop=other_shop)):
        assert_error(client_for(user).get(f"/api/v1/returns/{ret_id}/"), 404, "not_found")
    # Another shop cannot move it, even through its own shop's path.
    assert_error(
        move(client_for(other_shop.owner), ret_id, other_shop, "approved"), 404, "not_found"
    )
    assert_error(move(client_for(stranger), ret_id, order.shop, "approved"), 404, "not_found")
    # The customer cannot move it.
    assert_error(move(client, ret_id, order.shop, "approved"), 404, "not_found")
    # Staff of the shop can, admins can on any shop.
    assert move(client_for(staff), ret_id, order.shop, "approved").status_code == 200
    response = move(client_for(admin_user), ret_id, order.shop, "rejected", note="Admin")
    assert response.status_code == 200
    assert response.json()["data"]["events"][-1]["actor"]["id"] == str(admin_user.id)


def test_return_lists_are_scoped_and_filtered(
    client, order, client_for, admin_user, django_assert_max_num_queries
):
    big, small = lines(order)
    first = ask(client, order, [(big, 1)]).json()["data"]["id"]
    second = ask(client, order, [(small, 1)]).json()["data"]["id"]
    move(client_for(order.shop.owner), first, order.shop, "rejected")
    other = complete(
        place_order(UserFactory(), [(ProductFactory(stock=5), 1)], payment="cash").orders.get()
    )
    [item] = other.items.all()
    foreign = ask(client_for(other.group.customer), other, [(item, 1)]).json()["data"]["id"]

    data = client.get("/api/v1/returns/").json()["data"]
    assert [r["id"] for r in data["results"]] == [second, first]
    data = client.get("/api/v1/returns/?status=rejected").json()["data"]
    assert [r["id"] for r in data["results"]] == [first]
    assert_error(client.get("/api/v1/returns/?status=lost"), 400, "validation_error")
    data = client_for(admin_user).get("/api/v1/returns/").json()["data"]
    assert data["count"] == 3

    owner = client_for(order.shop.owner)
    data = owner.get(f"/api/v1/shops/{order.shop_id}/returns/").json()["data"]
    assert [r["id"] for r in data["results"]] == [second, first]
    data = owner.get(f"/api/v1/shops/{order.shop_id}/returns/?status=requested").json()["data"]
    assert [r["id"] for r in data["results"]] == [second]
    assert_error(owner.get(f"/api/v1/shops/{other.shop_id}/returns/"), 404, "not_found")
    assert foreign not in {r["id"] for r in data["results"]}


def test_return_lists_cost_a_fixed_number_of_queries(
    client, customer, client_for, django_assert_max_num_queries
):
    shop = ShopFactory()
    for _ in range(6):
        product = ProductFactory(shop=shop, stock=5)
        order = complete(place_order(customer, [(product, 2)], payment="cash").orders.get())
        [item] = order.items.all()
        ret_id = ask(client, order, [(item, 1)]).json()["data"]["id"]
        move(client_for(shop.owner), ret_id, shop, "approved")
    owner = client_for(shop.owner)
    # Authentication, the count, the page, items and events (+ the shop for the shop's list).
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/returns/?page_size=100")
    assert response.json()["data"]["count"] == 6
    with django_assert_max_num_queries(9):
        response = owner.get(f"/api/v1/shops/{shop.id}/returns/?page_size=100")
    assert response.json()["data"]["count"] == 6


def test_partial_refund_of_a_cash_order_with_the_delivery_fee(
    customer, products, client_for, admin_user, django_capture_on_commit_callbacks
):
    group = place_order(customer, [(products[0], 2), (products[1], 1)], payment="cash")
    order = complete(group.orders.get())
    assert order.delivery_fee == Decimal("500.00")
    big, small = lines(order)
    owner = client_for(order.shop.owner)
    url = f"/api/v1/shops/{order.shop_id}/orders/{order.id}/refunds/"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            url,
            {
                "items": [{"order_item_id": str(big.id), "quantity": 1}],
                "delivery_fee": True,
                "reason": "One arrived broken; sorry for the wait",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["method"] == "cash" and data["status"] == "processed"
    assert data["amount"] == "1500.00" and data["delivery_fee"] == "500.00"
    assert data["currency"] == "NGN" and data["return_id"] is None
    assert data["items"] == [{"order_item_id": str(big.id), "quantity": 1, "amount": "1000.00"}]
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert "NGN 1,500.00" in mail.outbox[0].body

    # The fee goes back once; a line never beyond what is left; a return cannot take them again.
    body = assert_error(owner.post(url, {"delivery_fee": True}, format="json"), 409, "conflict")
    assert "delivery fee" in body["message"]
    body = assert_error(
        owner.post(url, {"items": [{"order_item_id": str(big.id), "quantity": 2}]}, format="json"),
        409,
        "conflict",
    )
    assert body["errors"]["items"][0]["available"] == 1
    assert_error(owner.post(url, {}, format="json"), 400, "validation_error")
    assert_error(ask(client_for(customer), order, [(big, 2)]), 409, "conflict")

    # An admin refunds the rest.
    response = client_for(admin_user).post(
        url,
        {
            "items": [
                {"order_item_id": str(big.id), "quantity": 1},
                {"order_item_id": str(small.id), "quantity": 1},
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["data"]["amount"] == "1333.33"
    order.refresh_from_db()
    assert order.refunded_amount == order.total == Decimal("2833.33")
    group.refresh_from_db()
    assert group.payment_status == "refunded"
    assert sum(r.amount for r in Refund.objects.all()) == 283333
    assert_error(
        owner.post(
            url, {"items": [{"order_item_id": str(small.id), "quantity": 1}]}, format="json"
        ),
        409,
        "conflict",
    )


def test_partial_refunds_are_for_completed_orders_of_ones_own_shop(customer, products, client_for):
    group = place_order(customer, [(products[0], 1)], payment="cash")
    order = group.orders.get()
    [item] = order.items.all()
    body = {"items": [{"order_item_id": str(item.id), "quantity": 1}]}
    owner = client_for(order.shop.owner)
    url = f"/api/v1/shops/{order.shop_id}/orders/{order.id}/refunds/"
    assert_error(owner.post(url, body, format="json"), 409, "conflict")
    other = ShopFactory()
    assert_error(
        client_for(other.owner).post(
            f"/api/v1/shops/{other.id}/orders/{order.id}/refunds/", body, format="json"
        ),
        404,
        "not_found",
    )
    assert_error(client_for(customer).post(url, body, format="json"), 404, "not_found")
    assert not Refund.objects.exists()
    assert OrderItem.objects.get(id=item.id).returned_quantity == 0


def test_admin_lists_returns_and_moves_them(admin_client, client, order, products):
    big, _small = lines(order)
    ret_id = ask(client, order, [(big, 1)]).json()["data"]["id"]
    response = admin_client.get("/admin/orders/return/")
    assert response.status_code == 200
    assert ret_id.encode() in response.content
    assert (
        admin_client.get("/admin/orders/return/", {"status__exact": "requested"})
        .context["cl"]
        .result_count
        == 1
    )
    assert admin_client.get(f"/admin/orders/return/{ret_id}/change/").status_code == 200

    for action in ("approve_returns", "receive_returns", "refund_returns"):
        response = admin_client.post(
            "/admin/orders/return/", {"action": action, "_selected_action": [ret_id]}
        )
        assert response.status_code == 302
    ret = Return.objects.get(id=ret_id)
    assert ret.status == "refunded" and ret.restocked
    refund = Refund.objects.get()
    assert refund.return_request_id == ret.id
    assert admin_client.get(f"/admin/payments/refund/{refund.id}/change/").status_code == 200
    assert (
        admin_client.get("/admin/payments/refund/", {"method__exact": "cash"})
        .context["cl"]
        .result_count
        == 1
    )
    # A move the lifecycle refuses is reported, not applied.
    response = admin_client.post(
        "/admin/orders/return/",
        {"action": "approve_returns", "_selected_action": [ret_id]},
        follow=True,
    )
    assert b"cannot become approved" in response.content
    assert Return.objects.get(id=ret_id).status == "refunded"


def test_a_retried_refund_with_its_idempotency_key_refunds_once(customer, products, client_for):
    order = complete(place_order(customer, [(products[0], 2)], payment="cash").orders.get())
    [line] = order.items.all()
    owner = client_for(order.shop.owner)
    url = f"/api/v1/shops/{order.shop_id}/orders/{order.id}/refunds/"
    body = {"items": [{"order_item_id": str(line.id), "quantity": 1}]}
    first = owner.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-line-1")
    again = owner.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-line-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Refund.objects.count() == 1
    line.refresh_from_db()
    assert line.refunded_quantity == 1
    # The same key with another body is refused; a new key refunds the last unit.
    other = {"items": [{"order_item_id": str(line.id), "quantity": 2}]}
    response = owner.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="refund-line-1")
    assert_error(response, 409, "idempotency_key_reused")
    assert (
        owner.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-line-2").status_code
        == 201
    )
    assert Refund.objects.count() == 2


def test_a_cash_refund_is_never_swept_and_its_status_is_read_only(
    admin_client, client, order, products
):
    big, _small = lines(order)
    ret_id = ask(client, order, [(big, 1)]).json()["data"]["id"]
    for action in ("approve_returns", "receive_returns", "refund_returns"):
        admin_client.post("/admin/orders/return/", {"action": action, "_selected_action": [ret_id]})
    refund = Refund.objects.get()
    assert (refund.method, refund.status) == ("cash", "processed")
    url = f"/admin/payments/refund/{refund.id}/change/"
    page = admin_client.get(url)
    assert "status" in page.context["adminform"].readonly_fields
    admin_client.post(
        url, {"status": "failed", "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"}
    )
    assert Refund.objects.get(id=refund.id).status == "processed"
    # Whatever status a cash refund was given (before it was read-only), no sweep takes it up.
    later = timezone.now() + timedelta(days=2)
    for status in ("pending", "failed"):
        Refund.objects.filter(id=refund.id).update(status=status)
        assert refund.id not in refunds_retry_due(now=later)
    Refund.objects.filter(id=refund.id).update(status="processing")
    before = Refund.objects.get(id=refund.id).updated_at
    assert refunds_reconcile_stale(now=later) == 0
    assert Refund.objects.get(id=refund.id).updated_at == before  # never asked about
