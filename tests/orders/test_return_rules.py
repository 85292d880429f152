"""The pure rules of returns and partial refunds (`orders.state`): no database."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orders import state
from orders.models import Order, OrderItem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("completed_ago", "days", "open_"),
    [
        (timedelta(days=6, hours=23), 7, True),
        (timedelta(days=7), 7, True),
        (timedelta(days=7, seconds=1), 7, False),
        (timedelta(0), 0, True),
        (None, 7, False),
    ],
)
def test_return_window(completed_ago, days, open_):
    completed_at = None if completed_ago is None else NOW - completed_ago
    assert state.return_window_open(completed_at=completed_at, now=NOW, days=days) is open_


def test_return_moves():
    assert state.return_allowed_moves("requested") == ["approved", "rejected"]
    assert state.return_allowed_moves("approved") == ["received", "rejected"]
    assert state.return_allowed_moves("received") == ["refunded"]
    assert state.return_allowed_moves("refunded") == []
    assert state.return_allowed_moves("rejected") == []


def test_lines_take_prices_from_the_snapshot_and_reports_what_is_short():
    a = OrderItem(id=uuid.uuid4(), unit_price=Decimal("333.33"), quantity=3, returned_quantity=1)
    b = OrderItem(id=uuid.uuid4(), unit_price=Decimal("10.00"), quantity=1, returned_quantity=1)
    taken, short = state.lines_take(lines={a.id: a, b.id: b}, asked={a.id: 2, b.id: 1})
    assert taken == [state.LineTaken(a.id, 2, Decimal("666.66"))]
    assert short == [{"order_item_id": str(b.id), "requested": 1, "available": 0}]


@pytest.mark.parametrize(
    ("commission", "quantity"),
    [
        (Decimal("100.00"), 3),
        (Decimal("0.05"), 7),
        (Decimal("12.35"), 4),
        (Decimal("0.00"), 2),
        (Decimal("999.99"), 1),
    ],
)
def test_commission_shares_of_any_sequence_add_up_to_the_line_exactly(commission, quantity):
    """Every way of refunding a line in parts reverses exactly its commission, never more."""
    for parts in _compositions(quantity):
        before, total = 0, Decimal("0.00")
        for taking in parts:
            share = state.commission_share(
                commission=commission, quantity=quantity, before=before, taking=taking
            )
            assert share >= 0 and share == share.quantize(Decimal("0.01"))
            total += share
            before += taking
            assert total <= commission
        assert total == commission


def test_commission_share_rounds_half_up_on_the_cumulative_quantity():
    # 100.00 over 3 units: 33.33, 66.67, 100.00 cumulatively.
    shares = [
        state.commission_share(commission=Decimal("100.00"), quantity=3, before=b, taking=1)
        for b in range(3)
    ]
    assert shares == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]


def _compositions(n):
    """Every ordered way of writing n as a sum of positive parts."""
    for cuts in itertools.product([False, True], repeat=n - 1):
        parts, size = [], 1
        for cut in cuts:
            if cut:
                parts.append(size)
                size = 1
            else:
                size += 1
        parts.append(size)
        yield parts


def _order(status, *, paid=True, total="100.00", refunded="0.00"):
    return Order(
        status=status, is_paid=paid, total=Decimal(total), refunded_amount=Decimal(refunded)
    )


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ([_order("completed")], "paid"),
        ([_order("completed", refunded="40.00")], "partially_refunded"),
        ([_order("completed", refunded="100.00")], "refunded"),
        ([_order("completed", refunded="100.00"), _order("completed")], "partially_refunded"),
        ([_order("cancelled"), _order("completed", refunded="100.00")], "refunded"),
        ([_order("cancelled"), _order("completed", refunded="1.00")], "partially_refunded"),
        ([_order("completed", paid=False)], "unpaid"),
    ],
)
def test_cash_group_payment_status_counts_partial_refunds(orders, expected):
    assert state.group_payment_status(orders, payment_method="cash") == expected


def test_paystack_group_payment_status_waits_for_paystack():
    orders = [_order("completed", refunded="100.00")]
    assert state.group_payment_status(orders, payment_method="paystack") == "paid"
