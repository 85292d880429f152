"""A suspended shop's payouts pause (§15): the job passes it over, its earnings wait, and it is
paid again once reinstated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.models import Payout
from payments.services.payouts import payout_create
from shops.services import shop_status_change
from tests.payments.settlement import payable_shop

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _no_hold(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM = D("1000.00")


def run(client, capture, shop=None) -> list:
    """POST /payouts/run/, with what it queues after commit carried out."""
    body = {"shop_id": str(shop.id)} if shop is not None else {}
    with capture(execute=True):
        response = client.post("/api/v1/payouts/run/", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["data"]["payouts"]


def test_a_suspended_shop_is_not_paid_until_reinstated(
    admin_user, client_for, fake_paystack, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    suspended = payable_shop(amount=D("5000.00"), fake=fake_paystack)
    paid = payable_shop(amount=D("3000.00"), fake=fake_paystack)
    shop_status_change(shop_id=suspended.id, status="suspended", actor=admin_user)
    admin = client_for(admin_user)

    run(admin, capture)
    assert list(Payout.objects.values_list("shop_id", "amount")) == [(paid.id, D("3000.00"))]
    assert run(admin, capture, suspended) == []
    assert payout_create(shop_id=suspended.id) is None  # checked under the lock too
    balance = admin.get(f"/api/v1/shops/{suspended.id}/balance/").json()["data"]
    assert balance["available"] == "5000.00"

    shop_status_change(shop_id=suspended.id, status="approved", actor=admin_user)
    run(admin, capture)
    assert Payout.objects.get(shop=suspended).amount == D("5000.00")
    sent = [r for r in fake_paystack.requests if r["method"] == "POST" and r["path"] == "/transfer"]
    assert len(sent) == 2
