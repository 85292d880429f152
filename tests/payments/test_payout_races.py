"""Races on payouts: real threads on the real database (PostgreSQL and MariaDB), released
together by a barrier. Celery is eager: a thread also runs the tasks it queues."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from core.models import SentEmail
from payments.models import LedgerEntry, Payout, ShopBalance
from payments.services import payouts, settlement
from tests.payments.helpers import post_event
from tests.payments.settlement import payable_shop
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal

# A short wait for a row lock, and back to the default, per engine.
LOCK_TIMEOUT = {
    "postgresql": ("SET lock_timeout = '200ms'", "RESET lock_timeout"),
    "mysql": (
        "SET SESSION innodb_lock_wait_timeout = 1",
        "SET SESSION innodb_lock_wait_timeout = DEFAULT",
    ),
}


@pytest.fixture(autouse=True)
def _no_hold(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM = D("1000.00")


def transfers(fake):
    return [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/transfer"]


def test_two_payout_runs_at_once_pay_each_shop_once(fake_paystack):
    shops = [payable_shop(amount=D("1500.00") + n, fake=fake_paystack) for n in range(3)]

    results = run_together(*[lambda: payouts.payouts_run() for _ in range(4)])

    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(len(r) for r in results) == 3
    for n, shop in enumerate(shops):
        payout = Payout.objects.get(shop=shop)
        assert payout.amount == D("1500.00") + n
        assert LedgerEntry.objects.filter(shop=shop, kind="payout").count() == 1
        assert ShopBalance.objects.get(shop=shop).total == 0


def test_sending_one_payout_at_once_calls_paystack_once(fake_paystack):
    shop = payable_shop(fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)

    results = run_together(*[lambda: payouts.payout_send(payout_id=payout.id) for _ in range(4)])

    assert not any(isinstance(r, Exception) for r in results), results
    assert len(transfers(fake_paystack)) == 1
    assert Payout.objects.get().status == "processing"


@pytest.mark.parametrize("event", ["transfer.success", "transfer.failed"])
def test_a_transfer_webhook_delivered_many_times_at_once_settles_once(fake_paystack, event):
    shop = payable_shop(amount=D("2000.00"), fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)
    payouts.payout_send(payout_id=payout.id)
    data = fake_paystack.transfer_event_data(fake_paystack.transfers[payout.reference])

    results = run_together(
        *[lambda: post_event(Client(), fake_paystack, event, data).status_code for _ in range(6)]
    )

    assert results == [200] * 6, results
    payout.refresh_from_db()
    assert payout.status == ("paid" if event == "transfer.success" else "failed")
    reversed_entries = LedgerEntry.objects.filter(payout=payout, kind="payout_reversed").count()
    assert reversed_entries == (0 if event == "transfer.success" else 1)
    expected_total = D("0.00") if event == "transfer.success" else D("2000.00")
    assert ShopBalance.objects.get(shop=shop).total == expected_total
    key = f"payout-{'paid' if event == 'transfer.success' else 'failed'}:{payout.id}"
    assert SentEmail.objects.filter(key__startswith=key).count() == 1


def test_a_failure_reported_by_webhook_and_verification_at_once_credits_back_once(
    fake_paystack,
):
    shop = payable_shop(amount=D("2000.00"), fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)
    payouts.payout_send(payout_id=payout.id)
    fake_paystack.transfers[payout.reference]["status"] = "failed"
    data = fake_paystack.transfer_event_data(fake_paystack.transfers[payout.reference])
    Payout.objects.filter(pk=payout.pk).update(checked_at=payout.created_at - payouts.VERIFY_AFTER)

    results = run_together(
        lambda: post_event(Client(), fake_paystack, "transfer.failed", data).status_code,
        lambda: post_event(Client(), fake_paystack, "transfer.failed", data).status_code,
        lambda: payouts.payouts_verify_open(),
        lambda: payouts.payouts_verify_open(),
    )

    assert not any(isinstance(r, Exception) for r in results), results
    assert Payout.objects.get().status == "failed"
    assert LedgerEntry.objects.filter(payout=payout, kind="payout_reversed").count() == 1
    assert ShopBalance.objects.get(shop=shop).total == D("2000.00")


def test_a_timed_out_transfer_raced_by_runs_and_verification_is_sent_once(fake_paystack):
    """The transfer call hangs (Paystack carries it out, answers too late) while another send,
    a payout run and a verification run at once: one transfer at Paystack, one open payout; the
    verification then settles it."""
    shop = payable_shop(amount=D("2500.00"), fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)
    fake_paystack.timeout_next(1, seconds=1.0, act=True)
    later = timezone.now() + payouts.VERIFY_AFTER + timedelta(seconds=1)

    results = run_together(
        lambda: payouts.payout_send(payout_id=payout.id),
        lambda: payouts.payout_send(payout_id=payout.id),
        lambda: payouts.payouts_run(),
        lambda: payouts.payouts_verify_open(now=later),
    )

    assert not any(isinstance(r, Exception) for r in results), results
    assert len(transfers(fake_paystack)) == 1
    assert Payout.objects.count() == 1
    assert Payout.objects.get().status == "processing"
    fake_paystack.transfers[payout.reference]["status"] = "success"
    assert payouts.payouts_verify_open(now=later + 3 * payouts.VERIFY_AFTER) == 1
    assert Payout.objects.get().status == "paid"
    assert len(transfers(fake_paystack)) == 1
    assert ShopBalance.objects.get(shop=shop).total == 0


def test_a_shop_whose_payout_fails_in_the_database_does_not_stop_the_others(
    fake_paystack, admin_user, client_for, caplog
):
    """One shop's balance is held by a long transaction elsewhere: its payout fails on a lock
    timeout (a real database error), is logged with the shop's id, and the other shops are
    still paid; the API answers as usual."""
    locked, free = (payable_shop(fake=fake_paystack) for _ in range(2))
    held, release = threading.Event(), threading.Event()

    def hold_the_balance() -> None:
        with transaction.atomic():
            settlement.shop_balance_lock(shop_id=locked.id)
            held.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=lambda: (hold_the_balance(), connection.close()))
    thread.start()
    try:
        assert held.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute(LOCK_TIMEOUT[connection.vendor][0])
        try:
            response = client_for(admin_user).post("/api/v1/payouts/run/", {}, format="json")
        finally:
            with connection.cursor() as cursor:
                cursor.execute(LOCK_TIMEOUT[connection.vendor][1])
    finally:
        release.set()
        thread.join(timeout=30)
    assert response.status_code == 202, response.content
    assert [p["shop_id"] for p in response.json()["data"]["payouts"]] == [str(free.id)]
    assert Payout.objects.get(shop=free).status == "processing"  # sent
    assert not Payout.objects.filter(shop=locked).exists()
    assert ShopBalance.objects.get(shop=locked).total == D("5000.00")
    assert str(locked.id) in caplog.text
    # The next run pays it.
    assert len(payouts.payouts_run()) == 1
