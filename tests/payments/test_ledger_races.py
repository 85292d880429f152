"""Races on the ledger: real threads on the real database (PostgreSQL and MariaDB), released
together by a barrier; each asserts the entries that must exist, exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidTransition
from payments.models import LedgerEntry, ShopBalance
from payments.services.settlement import record_refund_entries
from tests.payments.settlement import entries, move, paid_order, refund_goods
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal


@pytest.mark.parametrize("attempt", range(4))
def test_a_completion_and_a_refund_racing_write_exactly_the_right_entries(attempt, fake_paystack):
    order = move(paid_order(commission=D("100.00")), "processing")

    results = run_together(
        lambda: move(order, "completed"),
        lambda: refund_goods(order, amount=30000, commission=3000),
    )

    assert not any(isinstance(r, Exception) for r in results), results
    assert entries(order) == [
        ("commission", D("-100.00")),
        ("commission_reversed", D("30.00")),
        ("refund", D("-300.00")),
        ("sale", D("1000.00")),
    ]
    assert ShopBalance.objects.get(shop=order.shop).total == D("630.00")


def test_completions_and_refund_retries_racing_credit_once(fake_paystack):
    order = move(paid_order(commission=D("10.00")), "processing")
    refund = refund_goods(order, amount=10000, commission=1000)

    results = run_together(
        *[lambda: move(order, "completed") for _ in range(3)],
        *[lambda: record_refund_entries(refund) for _ in range(3)],
    )

    completions = results[:3]
    assert sum(1 for r in completions if not isinstance(r, Exception)) == 1, results
    assert all(isinstance(r, InvalidTransition) for r in completions if isinstance(r, Exception))
    assert not any(isinstance(r, Exception) for r in results[3:]), results
    assert LedgerEntry.objects.count() == 4
    assert ShopBalance.objects.get(shop=order.shop).total == D("900.00")
