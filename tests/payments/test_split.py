"""Split computation: each shop with a subaccount gets its total less commission, to the kobo."""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest

from payments.services import split_compute, to_kobo


def order(total: str, code: str = "", status: str = "pending"):
    return SimpleNamespace(
        id=uuid.uuid4(),
        total=Decimal(total),
        status=status,
        shop=SimpleNamespace(paystack_subaccount_code=code),
    )


def shares(result):
    return {s["subaccount"]: s["share"] for s in result["subaccounts"]}


@pytest.mark.parametrize(
    ("total", "percent", "share"),
    [
        ("1000.00", "0", 100000),
        ("1000.00", "10", 90000),
        ("1833.33", "7.5", 183333 - 13750),  # 13749.975 kobo of commission rounds up
        ("0.10", "5", 9),  # 0.5 kobo of commission rounds half-up to 1
        ("0.30", "5", 28),  # 1.5 -> 2
        ("99999.99", "2.5", 9999999 - 250000),  # 249999.975 -> 250000
        ("12.34", "33.333", 1234 - 411),  # 411.32922 -> 411
    ],
)
def test_share_is_total_less_commission_rounded_half_up(total, percent, share):
    result = split_compute(orders=[order(total, "ACCT_a")], commission_percent=Decimal(percent))
    assert result["type"] == "flat"
    assert result["bearer_type"] == "account"
    assert shares(result) == {"ACCT_a": share}
    # Nothing is lost or invented: share + commission is the order total, exactly.
    commission = to_kobo(Decimal(total)) - share
    assert commission >= 0
    assert abs(
        Decimal(commission) - Decimal(to_kobo(Decimal(total))) * Decimal(percent) / 100
    ) <= Decimal("0.5")


def test_several_shops_and_shops_without_subaccount():
    result = split_compute(
        orders=[
            order("1500.00", "ACCT_a"),
            order("2500.50", "ACCT_b"),
            order("999.00", ""),  # settled to the platform's own account
            order("700.00", "ACCT_c", status="cancelled"),  # nothing to settle
        ],
        commission_percent=Decimal("10"),
    )
    assert shares(result) == {"ACCT_a": 135000, "ACCT_b": 225045}


def test_no_subaccounts_no_split():
    assert split_compute(orders=[order("1500.00")], commission_percent=Decimal("5")) is None
    assert split_compute(orders=[], commission_percent=Decimal("0")) is None


def test_full_commission_leaves_no_share():
    assert split_compute(orders=[order("10.00", "ACCT_a")], commission_percent=Decimal(100)) is None


def test_setting_is_the_default(settings):
    settings.PLATFORM_COMMISSION_PERCENT = Decimal("20")
    assert shares(split_compute(orders=[order("10.00", "ACCT_a")])) == {"ACCT_a": 800}
