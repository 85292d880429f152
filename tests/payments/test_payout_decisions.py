"""Payout decisions: a table of what Paystack's word means for a payout (no database)."""

from __future__ import annotations

import pytest

from payments.payout_decisions import payout_conflicts, payout_next_status

P, R, PAID, F, REV, N = "pending", "processing", "paid", "failed", "reversed", "needs_attention"


@pytest.mark.parametrize(
    ("current", "provider", "expected"),
    [
        (P, "pending", R),
        (P, "success", PAID),
        (P, "otp", N),
        (P, "failed", F),
        (R, "pending", None),
        (R, "success", PAID),
        (R, "FAILED", F),
        (R, "abandoned", F),
        (R, "reversed", REV),
        (R, "otp", N),
        (N, "otp", None),
        (N, "success", PAID),
        (N, "failed", F),
        (PAID, "reversed", REV),
        (PAID, "success", None),
        (PAID, "failed", None),  # a late report never undoes a payment
        (F, "success", None),
        (F, "failed", None),
        (F, "reversed", None),  # credited back once already
        (REV, "reversed", None),
        (REV, "success", None),
        (R, "something-new", None),
    ],
)
def test_next_status(current, provider, expected):
    assert payout_next_status(current=current, provider_status=provider) == expected


def test_money_sent_after_a_failure_is_a_conflict():
    assert payout_conflicts(current=F, provider_status="success")
    assert payout_conflicts(current=REV, provider_status="success")
    assert not payout_conflicts(current=R, provider_status="success")
    assert not payout_conflicts(current=F, provider_status="failed")
