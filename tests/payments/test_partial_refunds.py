"""Partial refunds and refunded returns of paid Paystack orders: a partial refund of the paid
reference, sent after commit and settled by Paystack's webhook (events carry no refund id)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import OrderGroup, OrderItem
from orders.services import order_status_change
from payments.models import LedgerEntry, Refund, UnmatchedRefund
from payments.services import payment_initialize
from tests.factories import ProductFactory, ShopFactory
from tests.orders.helpers import assert_error, place_order
from tests.payments.test_refunds import pay, refund_event

pytestmark = pytest.mark.django_db


def paid_completed_order(customer, fake, api_client, capture):
    """A delivery order (one shop, 3 x 1200.00 + 1 x 450.50, fee 500.00) paid with Paystack
    and completed; returns (order, the 1200.00 line, the 450.50 line, payment)."""
    shop = ShopFactory(delivery_fee=Decimal("500.00"))
    chairs = ProductFactory(shop=shop, price=Decimal("1200.00"), stock=10)
    lamp = ProductFactory(shop=shop, price=Decimal("450.50"), stock=10)
    group = place_order(customer, [(chairs, 3), (lamp, 1)], payment="paystack")
    payment = payment_initialize(group=group, email=customer.email)
    pay(fake, api_client, capture, payment)
    order = group.orders.get()
    for status in ("processing", "shipped", "completed"):
        order_status_change(shop=shop, order_id=order.id, actor=shop.owner, status=status)
    order.refresh_from_db()
    chair_line = order.items.get(unit_price=Decimal("1200.00"))
    lamp_line = order.items.get(unit_price=Decimal("450.50"))
    return order, chair_line, lamp_line, payment


@pytest.fixture
def paid(customer, fake_paystack, api_client, django_capture_on_commit_callbacks):
    return paid_completed_order(
        customer, fake_paystack, api_client, django_capture_on_commit_callbacks
    )


def refund(client, order, items=(), capture=None, **extra):
    body = {
        "items": [{"order_item_id": str(item.id), "quantity": q} for item, q in items],
        **extra,
    }
    url = f"/api/v1/shops/{order.shop_id}/orders/{order.id}/refunds/"
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def test_partial_refund_goes_through_paystack_and_is_settled_by_its_webhook(
    paid, client_for, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    order, chairs, lamp, payment = paid
    assert payment.amount == 455050  # 3 x 1200.00 + 450.50 + 500.00
    owner = client_for(order.shop.owner)
    capture = django_capture_on_commit_callbacks
    response = refund(owner, order, [(chairs, 1)], capture, reason="One chair arrived broken")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["method"], data["amount"], data["delivery_fee"]) == ("paystack", "1200.00", "0.00")
    assert data["status"] == "pending"  # sent once the request's transaction committed

    first = Refund.objects.get()
    assert (first.payment_id, first.amount, first.status) == (payment.pk, 120000, "processing")
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (payment.reference, 120000)
    ]
    group = OrderGroup.objects.get()
    assert group.payment_status == "paid"  # until Paystack confirms

    refund_event(api_client, fake_paystack, capture, fake_paystack.refunds[0]["id"], "processed")
    first.refresh_from_db()
    assert first.status == "processed"
    group.refresh_from_db()
    assert group.payment_status == "partially_refunded"

    # The rest, with the delivery fee: everything paid is back.
    response = refund(owner, order, [(chairs, 2), (lamp, 1)], capture, delivery_fee=True)
    assert response.status_code == 201, response.content
    assert response.json()["data"]["amount"] == "3350.50"
    refund_event(api_client, fake_paystack, capture, fake_paystack.refunds[1]["id"], "processed")
    group.refresh_from_db()
    assert group.payment_status == "refunded"
    assert sum(Refund.objects.values_list("amount", flat=True)) == payment.amount
    order.refresh_from_db()
    assert order.refunded_amount == order.total
    assert not UnmatchedRefund.objects.exists()


def test_two_refunds_of_the_same_amount_on_one_transaction_are_told_apart(
    paid, client_for, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    order, chairs, _lamp, _payment = paid
    owner = client_for(order.shop.owner)
    capture = django_capture_on_commit_callbacks
    for _ in range(2):
        assert refund(owner, order, [(chairs, 1)], capture).status_code == 201
    first, second = Refund.objects.order_by("created_at", "id")
    assert first.amount == second.amount == 120000
    fake_first, fake_second = fake_paystack.refunds
    assert (first.provider_refund_id, second.provider_refund_id) == (
        str(fake_first["id"]),
        str(fake_second["id"]),
    )

    # Paystack settles the second first; its event names neither (amount and transaction only).
    refund_event(api_client, fake_paystack, capture, fake_second["id"], "processed")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("processing", "processed")
    assert OrderGroup.objects.get().payment_status == "partially_refunded"

    # The first one fails at Paystack: only it is marked failed (and retried later).
    refund_event(api_client, fake_paystack, capture, fake_first["id"], "failed")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("failed", "processed")
    assert not UnmatchedRefund.objects.exists()


def test_a_refunded_return_of_a_paid_order_is_refunded_through_paystack(
    paid, customer, client_for, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    order, chairs, lamp, payment = paid
    capture = django_capture_on_commit_callbacks
    response = client_for(customer).post(
        f"/api/v1/orders/{order.id}/returns/",
        {
            "items": [
                {"order_item_id": str(chairs.id), "quantity": 2},
                {"order_item_id": str(lamp.id), "quantity": 1},
            ],
            "reason": "not_as_described",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    ret_id = response.json()["data"]["id"]
    owner = client_for(order.shop.owner)
    url = f"/api/v1/shops/{order.shop_id}/returns/{ret_id}/status/"
    for status in ("approved", "received"):
        assert owner.post(url, {"status": status}, format="json").status_code == 200
    assert not fake_paystack.refunds
    with capture(execute=True):
        response = owner.post(url, {"status": "refunded"}, format="json")
    assert response.status_code == 200, response.content

    refund = Refund.objects.get()
    assert (refund.method, refund.amount, str(refund.return_request_id)) == (
        "paystack",
        285050,
        ret_id,
    )
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (payment.reference, 285050)
    ]
    refund_event(api_client, fake_paystack, capture, fake_paystack.refunds[0]["id"], "processed")
    refund.refresh_from_db()
    assert refund.status == "processed"
    assert OrderGroup.objects.get().payment_status == "partially_refunded"
    # Its refund shows on the payment, as every refund of it does.
    body = client_for(customer).get(f"/api/v1/payments/{payment.reference}/").json()["data"]
    assert [(r["amount"], r["status"]) for r in body["refunds"]] == [(285050, "processed")]


def test_a_refund_beyond_what_is_left_of_the_payment_changes_nothing(
    paid, client_for, fake_paystack
):
    order, chairs, _lamp, payment = paid
    # Money already given back from this payment some other way (e.g. an earlier refund).
    Refund.objects.create(payment=payment, amount=payment.amount - 100000, status="processed")
    response = refund(client_for(order.shop.owner), order, [(chairs, 1)])
    body = assert_error(response, 409, "conflict")
    assert "left" in body["message"]
    assert Refund.objects.count() == 1
    order.refresh_from_db()
    assert order.refunded_amount == 0
    assert OrderItem.objects.get(id=chairs.id).returned_quantity == 0
    assert not fake_paystack.refunds


def test_commission_reversed_by_partial_refunds_adds_up_to_the_lines_and_the_ledger_follows(
    customer, client_for, settings, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    """A line of 3 x 333.33 at 10%: its commission is 100.00 (99.999 rounded); refunded one
    unit at a time, 33.33 + 33.34 + 33.33 go back, never more than the line's commission."""
    settings.PLATFORM_COMMISSION_PERCENT = Decimal("10")
    shop = ShopFactory(delivery_fee=Decimal("0.00"))
    product = ProductFactory(shop=shop, price=Decimal("333.33"), stock=10)
    group = place_order(customer, [(product, 3)], fulfillment="pickup", payment="paystack")
    payment = payment_initialize(group=group, email=customer.email)
    pay(fake_paystack, api_client, django_capture_on_commit_callbacks, payment)
    order = group.orders.get()
    for status in ("processing", "completed"):
        order_status_change(shop=shop, order_id=order.id, actor=shop.owner, status=status)
    [line] = order.items.all()
    assert line.commission_amount == Decimal("100.00")
    owner = client_for(shop.owner)
    for _ in range(3):
        response = refund(owner, order, [(line, 1)], django_capture_on_commit_callbacks)
        assert response.status_code == 201, response.content
    refunds = list(Refund.objects.order_by("created_at", "id"))
    assert [r.commission_reversed for r in refunds] == [3333, 3334, 3333]
    assert [r.amount for r in refunds] == [33333] * 3
    # The shop's ledger: the sale and its commission, then each refund and its commission.
    entries = LedgerEntry.objects.filter(shop=shop)
    by_kind = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry.amount)
    assert by_kind["sale"] == [Decimal("999.99")]
    assert by_kind["commission"] == [Decimal("-100.00")]
    assert sorted(by_kind["refund"]) == [Decimal("-333.33")] * 3
    assert sum(by_kind["commission_reversed"]) == Decimal("100.00")
    assert sum(e.amount for e in entries) == 0  # everything went back, the commission too
    assert {e.refund_id for e in entries if e.refund_id} == {r.id for r in refunds}


def test_a_cash_refund_costs_the_shop_once(customer, client_for, settings):
    """The shop hands the cash back itself: its ledger loses the refunded part of what it keeps
    (the cash it collected is given back) and gets the commission on it back."""
    settings.PLATFORM_COMMISSION_PERCENT = Decimal("10")
    shop = ShopFactory(delivery_fee=Decimal("0.00"))
    product = ProductFactory(shop=shop, price=Decimal("1000.00"), stock=10)
    group = place_order(customer, [(product, 2)], fulfillment="pickup", payment="cash")
    order = group.orders.get()
    order_status_change(shop=shop, order_id=order.id, actor=shop.owner, status="processing")
    order_status_change(
        shop=shop, order_id=order.id, actor=shop.owner, status="completed", cash_collected=True
    )
    [line] = order.items.all()
    assert sum(e.amount for e in LedgerEntry.objects.filter(shop=shop)) == Decimal("-200.00")
    response = refund(client_for(shop.owner), order, [(line, 1)])
    assert response.status_code == 201, response.content
    # It owes the commission on what it kept only: 10% of 1000.00.
    assert sum(e.amount for e in LedgerEntry.objects.filter(shop=shop)) == Decimal("-100.00")
    kinds = sorted(
        (e.kind, e.amount) for e in LedgerEntry.objects.filter(shop=shop, refund__isnull=False)
    )
    assert kinds == [
        ("cash_collected", Decimal("1000.00")),
        ("commission_reversed", Decimal("100.00")),
        ("refund", Decimal("-1000.00")),
    ]
