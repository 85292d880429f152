"""Django admin: the ledger, balances, payout accounts and payouts are read-only; an admin adds
an adjustment, which goes through the ledger's service."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.models import LedgerEntry, ShopBalance
from tests import factories
from tests.payments.settlement import move, paid_order, payable_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_lists_and_pages_show_and_change_nothing(admin_client_logged_in, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    shop = payable_shop(amount=Decimal("1200.00"))
    entry = LedgerEntry.objects.filter(shop=shop, kind="sale").get()
    for url in (
        "/admin/payments/ledgerentry/",
        f"/admin/payments/ledgerentry/{entry.pk}/change/",
        "/admin/payments/shopbalance/",
        "/admin/payments/payoutaccount/",
        "/admin/payments/payout/",
    ):
        response = admin_client_logged_in.get(url)
        assert response.status_code == 200, url
    page = admin_client_logged_in.get(f"/admin/payments/ledgerentry/{entry.pk}/change/")
    assert b'name="amount"' not in page.content  # read-only
    posted = admin_client_logged_in.post(
        f"/admin/payments/ledgerentry/{entry.pk}/change/", {"amount": "1.00"}
    )
    assert posted.status_code == 403
    deleted = admin_client_logged_in.post(
        f"/admin/payments/ledgerentry/{entry.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk, amount=Decimal("1200.00")).exists()


def test_an_admin_adds_an_adjustment(admin_client_logged_in, admin_user):
    shop = factories.ShopFactory()
    response = admin_client_logged_in.post(
        "/admin/payments/ledgerentry/add/",
        {"shop": str(shop.pk), "amount": "-250.75", "note": "Courier damage."},
    )
    assert response.status_code == 302, response.content[:2000]
    entry = LedgerEntry.objects.get(shop=shop)
    assert (entry.kind, entry.amount, entry.note) == (
        "adjustment",
        Decimal("-250.75"),
        "Courier damage.",
    )
    assert entry.created_by == admin_user
    assert ShopBalance.objects.get(shop=shop).total == Decimal("-250.75")
    refused = admin_client_logged_in.post(
        "/admin/payments/ledgerentry/add/", {"shop": str(shop.pk), "amount": "0", "note": " "}
    )
    assert refused.status_code == 200  # the form again, with its errors
    assert LedgerEntry.objects.filter(shop=shop).count() == 1


def test_shop_and_category_commission_are_set_in_admin(admin_client_logged_in):
    order = paid_order()
    move(order, "processing")
    response = admin_client_logged_in.get(f"/admin/shops/shop/{order.shop_id}/change/")
    assert b'name="commission_percent"' in response.content
    assert b'name="payouts_paused"' in response.content
    category = factories.CategoryFactory()
    page = admin_client_logged_in.get(f"/admin/products/category/{category.pk}/change/")
    assert b'name="commission_percent"' in page.content
