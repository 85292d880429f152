"""The payment decisions, table by table: plain values in, a verdict out, no database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from payments import decisions
from payments.decisions import (
    Attempt,
    ExpiryAction,
    GroupTerms,
    PaymentBalance,
    ReconcileAction,
    RefundAction,
    RefundDue,
    RefundEvent,
    RefundState,
    RefusalVerdict,
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


GIVE_UP = timedelta(hours=24)


@pytest.mark.parametrize(
    ("http_status", "age", "verdict"),
    [
        # "400 Transaction reference not found" is no proof of failure...
        (400, timedelta(minutes=1), RefusalVerdict.ASK_AGAIN),
        (404, timedelta(hours=23), RefusalVerdict.ASK_AGAIN),
        # ...until the give-up period has passed.
        (400, timedelta(hours=24), RefusalVerdict.FAILED),
        (404, timedelta(days=2), RefusalVerdict.FAILED),
        # Our key refused says nothing about the charge, however old.
        (401, timedelta(days=2), RefusalVerdict.ASK_AGAIN),
        (403, timedelta(minutes=1), RefusalVerdict.ASK_AGAIN),
    ],
)
def test_verify_refusal_decide(http_status, age, verdict):
    assert (
        decisions.verify_refusal_decide(
            http_status=http_status,
            attempt_created_at=NOW - age,
            now=NOW,
            give_up_after=GIVE_UP,
        )
        == verdict
    )


@pytest.mark.parametrize(
    ("failures", "checked_ago", "due"),
    [
        (0, None, True),
        (0, timedelta(0), True),
        (1, timedelta(seconds=59), False),
        (1, timedelta(minutes=1), True),
        (3, timedelta(minutes=3), False),
        (3, timedelta(minutes=4), True),
        (20, timedelta(minutes=59), False),  # at most an hour apart
        (20, timedelta(hours=1), True),
    ],
)
def test_check_due_backs_off(failures, checked_ago, due):
    checked_at = None if checked_ago is None else NOW - checked_ago
    assert decisions.check_due(failures=failures, checked_at=checked_at, now=NOW) is due


@pytest.mark.parametrize(
    ("unverified", "past_deadline", "action"),
    [
        (0, timedelta(minutes=1), ExpiryAction.EXPIRE),
        # Paystack down, slow or not knowing the reference yet: the group may be paid.
        (1, timedelta(minutes=1), ExpiryAction.WAIT),
        (2, timedelta(hours=23, minutes=59), ExpiryAction.WAIT),
        (1, timedelta(hours=24), ExpiryAction.EXPIRE_GIVEN_UP),
    ],
)
def test_expiry_decide_never_expires_what_may_be_paid(unverified, past_deadline, action):
    assert (
        decisions.expiry_decide(
            unverified=unverified,
            expires_at=NOW - past_deadline,
            now=NOW,
            give_up_after=GIVE_UP,
        )
        == action
    )


@pytest.mark.parametrize(
    ("amount", "currency", "below"),
    [
        (4999, "NGN", True),
        (5000, "NGN", False),
        (5000, "ngn", False),
        (199, "USD", True),
        (10, "GHS", False),
        (1, "XYZ", False),  # unknown to us: Paystack decides
    ],
)
def test_amount_below_minimum(amount, currency, below):
    assert decisions.amount_below_minimum(amount=amount, currency=currency) is below


@pytest.mark.parametrize(
    ("failures", "threshold", "opens"), [(4, 5, False), (5, 5, True), (6, 5, True)]
)
def test_breaker_opens(failures, threshold, opens):
    assert decisions.breaker_opens(failures=failures, threshold=threshold) is opens


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": 4242}, 4242),
        ({"id": "4242"}, 4242),
        ({"id": None}, None),
        ({}, None),
        ({"id": 0}, None),
    ],
)
def test_transaction_id_read(data, expected):
    assert decisions.transaction_id_read(data) == expected


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
        # Paystack's own sample: no id, the amount as a string, "needs-attention".
        (
            "refund.needs-attention",
            {"status": "needs-attention", "transaction_reference": REF, "amount": "5000"},
            RefundEvent(REF, "needs_attention", 5000, ""),
        ),
        ("refund.needs-attention", {}, RefundEvent("", "needs_attention", None, "")),
    ],
)
def test_refund_event_read(event, data, expected):
    assert decisions.refund_event_read(event=event, data=data) == expected


R1, R2, R3 = (uuid.UUID(int=n) for n in (11, 12, 13))


def provider_refund(id_, amount=5000, status="pending", **where):
    """A refund as ``GET /refund`` lists it: Paystack's id, no transaction reference."""
    return {"id": id_, "amount": amount, "status": status, "transaction": 4242, **where}


def refund(id_, amount=5000, status="processing", attempts=1, provider_id=""):
    return RefundState(
        id=id_, amount=amount, status=status, attempts=attempts, provider_refund_id=provider_id
    )


@pytest.mark.parametrize(
    ("event", "refunds", "expected"),
    [
        # By Paystack's refund id when the event carries one of ours, whatever the amount.
        (
            RefundEvent(REF, "processed", 9999, "77"),
            [refund(R1), refund(R2, provider_id="77")],
            (R2, True),
        ),
        # Paystack's events carry no id: the one refund we sent of exactly that amount.
        (
            RefundEvent(REF, "processed", 7000, ""),
            [refund(R1), refund(R2, amount=7000)],
            (R2, False),
        ),
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1, status="processed"), refund(R2)],
            (R2, False),
        ),
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1, status="needs_attention")],
            (R1, False),
        ),
        # Two sent refunds of that amount: in doubt, ask Paystack.
        (
            RefundEvent(REF, "processed", 7000, ""),
            [refund(R1, amount=7000), refund(R2, amount=7000)],
            None,
        ),
        # Another amount (a refund made on Paystack's dashboard) settles none of ours.
        (RefundEvent(REF, "processed", 5000, ""), [refund(R1, amount=150025)], None),
        # Never a refund not yet sent, nor one that failed.
        (RefundEvent(REF, "processed", 5000, ""), [refund(R1, status="pending", attempts=0)], None),
        (RefundEvent(REF, "processed", 5000, ""), [refund(R1, status="failed")], None),
        (RefundEvent(REF, "processed", None, ""), [refund(R1)], None),
        (RefundEvent(REF, "processed", 5000, ""), [refund(R1, status="processed")], None),
        (RefundEvent(REF, "processed", 5000, ""), [], None),
    ],
)
def test_refund_event_match(event, refunds, expected):
    match = decisions.refund_event_match(event=event, refunds=refunds)
    assert (None if match is None else (match[0].id, match[1])) == expected


@pytest.mark.parametrize(
    ("event", "refunds", "listed", "expected"),
    [
        # Paystack lists our refund (by the id it gave us) with the event's amount and status.
        (
            RefundEvent(REF, "processed", 7000, ""),
            [refund(R1, amount=7000, provider_id="1"), refund(R2, amount=7000, provider_id="2")],
            [provider_refund(1, 7000, "processing"), provider_refund(2, 7000, "processed")],
            R2,
        ),
        # Paystack's "needs-attention" is our needs_attention.
        (
            RefundEvent(REF, "needs_attention", 7000, ""),
            [refund(R1, amount=7000, provider_id="1"), refund(R2, amount=7000, provider_id="2")],
            [provider_refund(1, 7000, "needs-attention"), provider_refund(2, 7000, "pending")],
            R1,
        ),
        # Two of ours of that amount Paystack reports alike: the one the event can still move.
        (
            RefundEvent(REF, "needs_attention", 7000, ""),
            [
                refund(R1, amount=7000, provider_id="1", status="needs_attention"),
                refund(R2, amount=7000, provider_id="2"),
            ],
            [
                provider_refund(1, 7000, "needs-attention"),
                provider_refund(2, 7000, "needs-attention"),
            ],
            R2,
        ),
        # ...and once both were moved (a redelivery), the first (nothing changes).
        (
            RefundEvent(REF, "needs_attention", 7000, ""),
            [
                refund(R1, amount=7000, provider_id="1", status="needs_attention"),
                refund(R2, amount=7000, provider_id="2", status="needs_attention"),
            ],
            [
                provider_refund(1, 7000, "needs-attention"),
                provider_refund(2, 7000, "needs-attention"),
            ],
            R1,
        ),
        # The listed refund of that amount is not one we were given: a dashboard refund.
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1, amount=150025, provider_id="1")],
            [provider_refund(1, 150025, "processing"), provider_refund(9, 5000, "processed")],
            None,
        ),
        # One of ours sent without an id (its call timed out), one unclaimed item: that one.
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1), refund(R2, amount=5000, provider_id="1", status="processed")],
            [provider_refund(1, 5000, "processed"), provider_refund(2, 5000, "processed")],
            R1,  # item 1 is R2's (settled already): item 2 can only be R1
        ),
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1)],
            [provider_refund(3, 5000, "processed")],
            R1,
        ),
        # Two unclaimed items of that amount: cannot tell, none of ours.
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1)],
            [provider_refund(3, 5000, "processed"), provider_refund(4, 5000, "processed")],
            None,
        ),
        (RefundEvent(REF, "processed", 5000, ""), [refund(R1)], [], None),
        # A late redelivery about one of ours settled already: that one (nothing changes).
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1, status="processed", provider_id="1")],
            [provider_refund(1, 5000, "processed")],
            R1,
        ),
        # ...unless a refund we did not send could be what it is about.
        (
            RefundEvent(REF, "processed", 5000, ""),
            [refund(R1, status="processed", provider_id="1")],
            [provider_refund(1, 5000, "processed"), provider_refund(2, 5000, "processed")],
            None,
        ),
    ],
)
def test_refund_lookup_pick(event, refunds, listed, expected):
    found = decisions.refund_lookup_pick(event=event, refunds=refunds, provider_refunds=listed)
    assert (None if found is None else found.id) == expected


@pytest.mark.parametrize(
    ("status", "ours", "by_id", "action"),
    [
        ("processed", refund(R1), False, RefundAction.SETTLE),
        ("processed", refund(R1, status="needs_attention"), False, RefundAction.SETTLE),
        ("processed", refund(R1, status="processed"), True, RefundAction.IGNORE),
        ("failed", refund(R1), False, RefundAction.FAIL),
        ("failed", refund(R1, attempts=2), True, RefundAction.FAIL),
        # Found by amount only, sent more than once: maybe an earlier attempt's failure.
        ("failed", refund(R1, attempts=2), False, RefundAction.NOTE_AMBIGUOUS),
        ("failed", refund(R1, status="failed", attempts=2), False, RefundAction.FAIL),
        ("failed", refund(R1, status="processed"), True, RefundAction.IGNORE),
        ("needs_attention", refund(R1), False, RefundAction.NEEDS_ATTENTION),
        ("needs_attention", refund(R1, status="needs_attention"), False, RefundAction.RECORD),
        ("pending", refund(R1, status="pending", attempts=0), False, RefundAction.PROCESS),
        ("processing", refund(R1, status="failed"), False, RefundAction.PROCESS),
        ("processing", refund(R1), False, RefundAction.RECORD),
        ("pending", refund(R1, status="processed"), True, RefundAction.IGNORE),
    ],
)
def test_refund_event_decide(status, ours, by_id, action):
    event = RefundEvent(REF, status, ours.amount, "77" if by_id else "")
    assert decisions.refund_event_decide(event=event, refund=ours, by_provider_id=by_id) == action


@pytest.mark.parametrize(
    ("provider_status", "action"),
    [
        ("processed", ReconcileAction.SETTLE),
        ("PROCESSED", ReconcileAction.SETTLE),
        ("failed", ReconcileAction.NOTE_AMBIGUOUS),
        # Paystack needs the customer's details: applied (admins told), never sends money.
        ("needs-attention", ReconcileAction.NEEDS_ATTENTION),
        ("pending", ReconcileAction.WAIT),
        ("processing", ReconcileAction.WAIT),
        ("", ReconcileAction.WAIT),
        (None, ReconcileAction.WAIT),
    ],
)
def test_reconcile_decide(provider_status, action):
    assert decisions.reconcile_decide(provider_status=provider_status) == action


@pytest.mark.parametrize(
    ("items", "matched", "expected_id"),
    [
        ([provider_refund(1)], frozenset(), 1),
        ([provider_refund(1, amount=4999)], frozenset(), None),
        ([provider_refund(1, amount="5000")], frozenset(), 1),
        ([provider_refund(1)], frozenset({"1"}), None),
        ([provider_refund(1), provider_refund(2, status="processed")], frozenset(), 2),
    ],
)
def test_reconcile_pick(items, matched, expected_id):
    found = decisions.reconcile_pick(provider_refunds=items, amount=5000, matched_ids=matched)
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
