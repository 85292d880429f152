"""The payment decisions, table by table: plain values in, a verdict out, no database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from payments import decisions
from payments.decisions import (
    Attempt,
    GroupTerms,
    PaymentBalance,
    ReconcileAction,
    RefundAction,
    RefundDue,
    RefundEvent,
    RefundState,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REF = "PAY-G1-ABC"


def attempt(status: str = "pending", amount: int = 300000, age: timedelta = timedelta(minutes=1)):
    return Attempt(
        reference=REF, amount=amount, currency="NGN", status=status, created_at=NOW - age
    )


def group(state: str = "payable", *, amount_due: int = 300000) -> GroupTerms:
    """`payable`; `late`: open, deadline passed; `paid`; `cancelled`."""
    deadline = NOW + timedelta(minutes=30) if state == "payable" else NOW - timedelta(minutes=5)
    return GroupTerms(
        payable=state == "payable",
        awaiting_payment=state in ("payable", "late"),
        expires_at=None if state in ("paid", "cancelled") else deadline,
        paid=state == "paid",
        amount_due=amount_due,
    )


def answer(status: str = "success", amount: object = 300000, **extra: object) -> dict:
    return {"reference": REF, "status": status, "amount": amount, "currency": "NGN", **extra}


# --- What Paystack's verify answer means -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (answer(), "success"),
        (answer(currency="ngn"), "success"),
        (answer(status="SUCCESS"), "success"),
        (answer(amount="300000"), "success"),
        (answer(amount=299999), "amount_mismatch"),
        (answer(amount=None), "amount_mismatch"),
        (answer(amount="lots"), "amount_mismatch"),
        (answer(currency="USD"), "amount_mismatch"),
        (answer(reference="SOMEONE-ELSE"), "failed"),
        ({"status": "success", "amount": 300000, "currency": "NGN"}, "success"),
        (answer(status="failed"), "failed"),
        (answer(status="reversed"), "failed"),
        (answer(status="abandoned"), "abandoned"),
        (answer(status="ongoing"), "pending"),
        (answer(status="queued"), "pending"),
        (answer(status=None), "pending"),
        ({}, "pending"),
    ],
)
def test_verification_outcome(data, expected):
    assert decisions.verification_outcome(attempt=attempt(), answer=data) == expected


@pytest.mark.parametrize(
    ("http_status", "is_answer"), [(400, True), (404, True), (401, False), (403, False)]
)
def test_only_an_unknown_reference_refusal_answers_verification(http_status, is_answer):
    assert decisions.verify_refusal_is_answer(http_status=http_status) is is_answer


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"paid_at": "2026-03-01T11:58:00.000Z"}, datetime(2026, 3, 1, 11, 58, tzinfo=UTC)),
        ({"paidAt": "2026-03-01T11:57:00+00:00"}, datetime(2026, 3, 1, 11, 57, tzinfo=UTC)),
        ({"paid_at": "2026-03-01T11:58:00"}, NOW),  # no zone: not trusted
        ({"paid_at": "yesterday"}, NOW),
        ({"paid_at": 1700000000}, NOW),
        ({}, NOW),
    ],
)
def test_paid_at_comes_from_the_answer_when_it_is_an_aware_timestamp(data, expected):
    assert decisions.answer_paid_at(data, default=NOW) == expected


# --- What a charge calls for: on time, late, double, over --------------------------------------

PAID_BEFORE_DEADLINE = NOW - timedelta(minutes=10)
PAID_AFTER_DEADLINE = NOW - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("state", "paid_at", "amount_due", "pay_group", "refund"),
    [
        ("payable", NOW, 300000, True, None),
        # Only the webhook was late: the charge was made before the deadline.
        ("late", PAID_BEFORE_DEADLINE, 300000, True, None),
        # A shop cancelled its unpaid order after the attempt started: the rest goes back.
        (
            "payable",
            NOW,
            200000,
            True,
            RefundDue(100000, "NGN", "Order cancelled before the payment arrived."),
        ),
        (
            "late",
            PAID_AFTER_DEADLINE,
            300000,
            False,
            RefundDue(
                300000,
                "NGN",
                "Order cancelled or expired before the payment arrived.",
                "the order was cancelled or its payment time ran out",
            ),
        ),
        (
            "cancelled",
            PAID_BEFORE_DEADLINE,
            300000,
            False,
            RefundDue(
                300000,
                "NGN",
                "Order cancelled or expired before the payment arrived.",
                "the order was cancelled or its payment time ran out",
            ),
        ),
        (
            "paid",
            NOW,
            300000,
            False,
            RefundDue(300000, "NGN", "Order already paid.", "the order was already paid"),
        ),
    ],
)
def test_charge_decide(state, paid_at, amount_due, pay_group, refund):
    decision = decisions.charge_decide(
        amount=300000, currency="NGN", group=group(state, amount_due=amount_due), paid_at=paid_at
    )
    assert decision == decisions.ChargeDecision(pay_group=pay_group, refund=refund)


def test_an_open_group_without_a_deadline_takes_no_late_charge():
    terms = GroupTerms(
        payable=False, awaiting_payment=True, expires_at=None, paid=False, amount_due=300000
    )
    decision = decisions.charge_decide(amount=300000, currency="NGN", group=terms, paid_at=NOW)
    assert decision.pay_group is False
    assert decision.refund is not None and decision.refund.amount == 300000


MISMATCH_REFUND = RefundDue(
    299999,
    "NGN",
    "Paid amount did not match the order.",
    "the amount paid did not match the order's total",
)


@pytest.mark.parametrize(
    ("status", "state", "data", "age", "expected"),
    [
        # Already successful: nothing changes, whatever Paystack says now.
        ("success", "payable", answer(), timedelta(0), decisions.VerificationDecision("success")),
        ("success", "paid", answer(status="failed"), timedelta(0), None),
        # Still pending at Paystack.
        ("pending", "payable", answer(status="ongoing"), timedelta(0), None),
        # Failed, and a failure stays as it is unless a success comes.
        ("pending", "payable", answer(status="failed"), timedelta(0), "failed"),
        ("failed", "payable", answer(status="ongoing"), timedelta(0), None),
        ("amount_mismatch", "payable", answer(amount=299999), timedelta(0), None),
        # "Abandoned" until paid: given up only when the group cannot be paid or it is old.
        ("pending", "payable", answer(status="abandoned"), timedelta(hours=1), None),
        ("pending", "late", answer(status="abandoned"), timedelta(hours=1), "abandoned"),
        ("pending", "payable", answer(status="abandoned"), timedelta(hours=49), "abandoned"),
        # Back to pending: Paystack is still waiting for the customer (nothing to record).
        (
            "abandoned",
            "payable",
            answer(status="ongoing"),
            timedelta(hours=1),
            decisions.VerificationDecision("pending"),
        ),
    ],
)
def test_verification_decide_without_money_moving(status, state, data, age, expected):
    decision = decisions.verification_decide(
        attempt=attempt(status, age=age), group=group(state), answer=data, now=NOW
    )
    if expected is None:  # the attempt stays as it was, nothing recorded
        assert decision == decisions.VerificationDecision(status=status)
    elif isinstance(expected, str):
        assert decision == decisions.VerificationDecision(status=expected, record_answer=True)
    else:
        assert decision == expected


@pytest.mark.parametrize(
    ("status", "state", "data", "pay_group", "refund"),
    [
        ("pending", "payable", answer(), True, None),
        # A success after a failure or abandonment still counts.
        ("failed", "payable", answer(), True, None),
        ("abandoned", "payable", answer(), True, None),
        # A second success on a paid group goes back in full.
        (
            "pending",
            "paid",
            answer(),
            False,
            RefundDue(300000, "NGN", "Order already paid.", "the order was already paid"),
        ),
        # A late payment on an expired group goes back in full.
        (
            "pending",
            "late",
            answer(paid_at=PAID_AFTER_DEADLINE.isoformat()),
            False,
            RefundDue(
                300000,
                "NGN",
                "Order cancelled or expired before the payment arrived.",
                "the order was cancelled or its payment time ran out",
            ),
        ),
        ("pending", "late", answer(paid_at=PAID_BEFORE_DEADLINE.isoformat()), True, None),
    ],
)
def test_verification_decide_success(status, state, data, pay_group, refund):
    decision = decisions.verification_decide(
        attempt=attempt(status), group=group(state), answer=data, now=NOW
    )
    assert decision.status == "success"
    assert decision.record_answer is True
    assert decision.paid_at == decisions.answer_paid_at(data, default=NOW)
    assert (decision.pay_group, decision.refund) == (pay_group, refund)


@pytest.mark.parametrize(
    ("data", "refund"),
    [
        (answer(amount=299999), MISMATCH_REFUND),
        (answer(currency="USD"), replace(MISMATCH_REFUND, amount=300000, currency="USD")),
        # Nothing readable was charged: nothing to send back.
        (answer(amount="lots"), None),
        (answer(amount=-5), None),
        (answer(amount=0), None),
    ],
)
def test_verification_decide_amount_mismatch_refunds_what_was_charged(data, refund):
    decision = decisions.verification_decide(attempt=attempt(), group=group(), answer=data, now=NOW)
    assert decision == decisions.VerificationDecision(
        status="amount_mismatch", record_answer=True, refund=refund
    )


# --- Refunds -------------------------------------------------------------------------------------

P1, P2, P3 = (uuid.UUID(int=n) for n in (1, 2, 3))


@pytest.mark.parametrize(
    ("amount", "payments", "expected"),
    [
        (100000, [PaymentBalance(P1, 300000, 0)], (P1, 100000)),
        (100000, [PaymentBalance(P1, 300000, 250000)], (P1, 50000)),
        (100000, [PaymentBalance(P1, 300000, 300000), PaymentBalance(P2, 300000, 0)], (P2, 100000)),
        (100000, [PaymentBalance(P1, 300000, 300000)], None),
        (100000, [], None),
        (0, [PaymentBalance(P1, 300000, 0)], None),
    ],
)
def test_refund_allocate(amount, payments, expected):
    allocation = decisions.refund_allocate(amount=amount, payments=payments)
    if expected is None:
        assert allocation is None
    else:
        assert allocation == decisions.RefundAllocation(*expected)


@pytest.mark.parametrize(
    ("status", "attempts", "claimable"),
    [
        ("pending", 0, True),
        ("failed", 7, True),
        ("failed", 8, False),
        ("processing", 1, False),
        ("processed", 1, False),
    ],
)
def test_refund_claimable(status, attempts, claimable):
    assert decisions.refund_claimable(status=status, attempts=attempts) is claimable


@pytest.mark.parametrize(
    ("attempts", "failed_ago", "due"),
    [
        (1, timedelta(minutes=2), True),
        (1, timedelta(minutes=1), False),
        (3, timedelta(minutes=8), True),
        (3, timedelta(minutes=7), False),
        (7, timedelta(hours=6), True),  # 2^7 = 128 minutes
        (7, timedelta(minutes=127), False),
        (8, timedelta(days=3), False),  # out of attempts
    ],
)
def test_refund_retry_backoff(attempts, failed_ago, due):
    assert decisions.refund_retry_due(attempts=attempts, failed_at=NOW - failed_ago, now=NOW) is due


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        (
            "refund.processed",
            {"transaction_reference": REF, "amount": 5000, "id": 77, "status": "processed"},
            RefundEvent(REF, "processed", 5000, "77"),
        ),
        (
            "refund.failed",
            {"transaction": {"reference": REF}, "amount": "5000"},
            RefundEvent(REF, "failed", 5000, ""),
        ),
        ("refund.pending", {"amount": "n/a"}, RefundEvent("", "pending", None, "")),
        ("refund.processed", {"status": "PROCESSED"}, RefundEvent("", "processed", None, "")),
    ],
)
def test_refund_event_read(event, data, expected):
    assert decisions.refund_event_read(event=event, data=data) == expected


R1, R2, R3 = (uuid.UUID(int=n) for n in (11, 12, 13))


def refund(id_, amount=5000, status="processing", attempts=1, provider_id=""):
    return RefundState(
        id=id_, amount=amount, status=status, attempts=attempts, provider_refund_id=provider_id
    )


@pytest.mark.parametrize(
    ("event", "refunds", "expected"),
    [
        # By Paystack's refund id first, whatever the amount.
        (
            RefundEvent(REF, "processed", 9999, "77"),
            [refund(R1), refund(R2, provider_id="77")],
            (R2, True),
        ),
        # Else the first open refund of the same amount.
        (
            RefundEvent(REF, "processed", 7000, "88"),
            [refund(R1), refund(R2, amount=7000), refund(R3, amount=7000)],
            (R2, False),
        ),
        # Processed ones are never matched again without their id.
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1, status="processed"), refund(R2)],
            (R2, False),
        ),
        # Else the first open refund of any amount (today's rule).
        (
            RefundEvent(REF, "processed", 1234, ""),
            [refund(R1, status="processed"), refund(R2, amount=7000), refund(R3)],
            (R2, False),
        ),
        (RefundEvent(REF, "processed", 5000, ""), [refund(R1, status="processed")], None),
        (RefundEvent(REF, "processed", 5000, ""), [], None),
    ],
)
def test_refund_event_match(event, refunds, expected):
    match = decisions.refund_event_match(event=event, refunds=refunds)
    assert (None if match is None else (match[0].id, match[1])) == expected


@pytest.mark.parametrize(
    ("status", "ours", "by_id", "action"),
    [
        ("processed", refund(R1), False, RefundAction.SETTLE),
        ("processed", refund(R1, status="processed"), True, RefundAction.SETTLE),
        ("failed", refund(R1), False, RefundAction.FAIL),
        ("failed", refund(R1, attempts=2), True, RefundAction.FAIL),
        # Found by amount only, sent more than once: maybe an earlier attempt's failure.
        ("failed", refund(R1, attempts=2), False, RefundAction.NOTE_AMBIGUOUS),
        ("failed", refund(R1, status="failed", attempts=2), False, RefundAction.FAIL),
        ("failed", refund(R1, status="processed"), True, RefundAction.IGNORE),
        ("pending", refund(R1, status="pending", attempts=0), False, RefundAction.PROCESS),
        ("processing", refund(R1, status="failed"), False, RefundAction.PROCESS),
        ("processing", refund(R1), False, RefundAction.RECORD),
        ("pending", refund(R1, status="processed"), True, RefundAction.RECORD),
    ],
)
def test_refund_event_decide(status, ours, by_id, action):
    event = RefundEvent(REF, status, ours.amount, "77" if by_id else "")
    mine = RefundState(
        id=ours.id,
        amount=ours.amount,
        status=ours.status,
        attempts=ours.attempts,
        provider_refund_id="77" if by_id else "",
    )
    decision = decisions.refund_event_decide(event=event, refunds=[mine])
    assert decision == decisions.RefundEventDecision(refund_id=R1, action=action)


def test_refund_event_about_none_of_ours_decides_nothing():
    event = RefundEvent(REF, "processed", 5000, "")
    assert decisions.refund_event_decide(event=event, refunds=[]) is None


@pytest.mark.parametrize(
    ("provider_status", "action"),
    [
        ("processed", ReconcileAction.SETTLE),
        ("PROCESSED", ReconcileAction.SETTLE),
        ("failed", ReconcileAction.NOTE_AMBIGUOUS),
        ("pending", ReconcileAction.WAIT),
        ("", ReconcileAction.WAIT),
        (None, ReconcileAction.WAIT),
    ],
)
def test_reconcile_decide(provider_status, action):
    assert decisions.reconcile_decide(provider_status=provider_status) == action


def provider_refund(id_, amount=5000, status="pending", **where):
    return {"id": id_, "amount": amount, "status": status, **where}


@pytest.mark.parametrize(
    ("items", "matched", "expected_id"),
    [
        ([provider_refund(1, transaction_reference=REF)], frozenset(), 1),
        ([provider_refund(1, transaction=4242)], frozenset(), 1),
        ([provider_refund(1, transaction=9999)], frozenset(), None),
        ([provider_refund(1, transaction_reference="OTHER")], frozenset(), None),
        ([provider_refund(1, amount=4999, transaction_reference=REF)], frozenset(), None),
        ([provider_refund(1, amount="5000", transaction_reference=REF)], frozenset(), 1),
        ([provider_refund(1, transaction_reference=REF)], frozenset({"1"}), None),
        (
            [
                provider_refund(1, transaction_reference=REF),
                provider_refund(2, status="processed", transaction_reference=REF),
            ],
            frozenset(),
            2,
        ),
    ],
)
def test_reconcile_pick(items, matched, expected_id):
    found = decisions.reconcile_pick(
        provider_refunds=items,
        reference=REF,
        transaction_id="4242",
        amount=5000,
        matched_ids=matched,
    )
    assert (None if found is None else found["id"]) == expected_id


@pytest.mark.parametrize(
    ("current", "paid", "refunded", "total", "expected"),
    [
        ("unpaid", 0, 299999, 300000, None),  # a mismatched charge sent back never paid it
        ("paid", 300000, 0, 300000, "paid"),
        ("paid", 300000, 100000, 300000, "partially_refunded"),
        ("paid", 300000, 300000, 300000, "refunded"),
        # Paid twice, the second refunded in full: still paid.
        ("paid", 600000, 300000, 300000, "paid"),
        ("partially_refunded", 300000, 300000, 300000, "refunded"),
    ],
)
def test_group_payment_status_after_refunds(current, paid, refunded, total, expected):
    assert (
        decisions.group_payment_status_after_refunds(
            current=current, paid=paid, refunded=refunded, total=total
        )
        == expected
    )
