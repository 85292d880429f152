"""A suspended shop's open orders stay serviceable: paid ones can still be cancelled and refunded
(by the shop or the customer)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.models import Refund
from payments.services import payment_initialize
from shops.services import shop_status_change
from tests.payments.helpers import make_group
from tests.payments.test_refunds import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended_paid_group(
    customer, admin_user, fake_paystack, api_client, django_capture_on_commit_callbacks
):
    group, orders, _products = make_group(
        customer=customer, prices=[Decimal("1000.00"), Decimal("250.50")], quantity=1
    )
    payment = payment_initialize(group=group, email=customer.email)
    pay(fake_paystack, api_client, django_capture_on_commit_callbacks, payment)
    shop_status_change(shop_id=orders[1].shop_id, status="suspended", actor=admin_user)
    return group, orders, payment


def test_a_suspended_shop_cancels_and_refunds_its_paid_order(
    suspended_paid_group, client_for, fake_paystack, django_capture_on_commit_callbacks
):
    _group, orders, payment = suspended_paid_group
    shop = orders[1].shop
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(shop.owner).post(
            f"/api/v1/shops/{shop.id}/orders/{orders[1].id}/status/",
            {"status": "cancelled", "note": "Shop suspended."},
            format="json",
        )
    assert response.status_code == 200, response.content
    refund = Refund.objects.get()
    assert (refund.amount, refund.order_id, refund.payment_id) == (25050, orders[1].id, payment.pk)
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (payment.reference, 25050)
    ]


def test_the_customer_still_cancels_a_group_with_a_suspended_shop_and_is_refunded(
    suspended_paid_group, customer, client_for, fake_paystack, django_capture_on_commit_callbacks
):
    group, _orders, _payment = suspended_paid_group
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(customer).post(f"/api/v1/order-groups/{group.id}/cancel/", {})
    assert response.status_code == 200, response.content
    assert Refund.objects.get().amount == 125050
    assert fake_paystack.refunds[0]["amount"] == 125050
