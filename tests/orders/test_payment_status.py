"""The one rule of `OrderGroup.payment_status`: it never moves back."""

from __future__ import annotations

import pytest

from orders.state import payment_status_forward


@pytest.mark.parametrize(
    ("current", "proposed", "expected"),
    [
        ("unpaid", "paid", "paid"),
        ("unpaid", "refunded", "refunded"),
        ("paid", "unpaid", "paid"),
        ("paid", "partially_refunded", "partially_refunded"),
        ("partially_refunded", "paid", "partially_refunded"),
        ("refunded", "partially_refunded", "refunded"),
        ("refunded", "unpaid", "refunded"),
        ("paid", "paid", "paid"),
    ],
)
def test_payment_status_never_moves_back(current, proposed, expected):
    assert payment_status_forward(current, proposed) == expected
