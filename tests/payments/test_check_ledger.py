"""`check_ledger`: exit 0 when every stored balance and cause matches its entries, 1 on drift."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.models import LedgerEntry, ShopBalance
from payments.services import payouts
from tests.payments.settlement import move, paid_order, payable_shop

pytestmark = pytest.mark.django_db


def check() -> str:
    out = StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


def test_a_consistent_ledger_passes(fake_paystack, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    shop = payable_shop(amount=Decimal("3000.00"), fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)
    payouts.payout_apply(payout_id=payout.id, provider_status="failed", reason="test")
    move(paid_order(commission=Decimal("12.34")), "processing", "completed")
    assert "consistent" in check()


def test_a_stored_balance_that_drifted_exits_1():
    order = move(paid_order(commission=Decimal("10.00")), "processing", "completed")
    ShopBalance.objects.filter(shop=order.shop).update(total=Decimal("1.00"))
    with pytest.raises(CommandError) as raised:
        check()
    assert raised.value.returncode == 1


def test_a_completed_order_without_its_sale_exits_1():
    order = move(paid_order(), "processing", "completed")
    sale = LedgerEntry.objects.get(order=order, kind="sale")
    ShopBalance.objects.filter(shop=order.shop).update(total=0)
    LedgerEntry.objects.filter(pk=sale.pk).delete()
    with pytest.raises(CommandError):
        check()
