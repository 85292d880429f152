"""Payouts: payout accounts, the payout job, and Paystack's word on each transfer (the fake)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from payments.models import LedgerEntry, Payout, PayoutAccount, ShopBalance
from payments.services import payouts
from payments.services.payouts import GIVE_UP_AFTER, VERIFY_AFTER
from tests import factories
from tests.payments.helpers import post_event
from tests.payments.settlement import payable_shop

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _no_hold(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM = D("1000.00")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """POST /payouts/run/ as `client`, with what it queues after commit carried out."""

    def call(client, shop=None):
        body = {"shop_id": str(shop.id)} if shop is not None else {}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/payouts/run/", body, format="json")
        assert response.status_code == 202, response.content
        return response.json()["data"]["payouts"]

    return call


@pytest.fixture
def deliver(django_capture_on_commit_callbacks, fake_paystack):
    """Deliver a signed transfer event to the webhook and process it (after commit)."""

    def call(client, event, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(client, fake_paystack, event, data)
        assert response.status_code == 200, response.content
        return response

    return call


def balance(client, shop):
    return client.get(f"/api/v1/shops/{shop.id}/balance/").json()["data"]


def transfers(fake):
    return [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/transfer"]


def event_data(fake, payout):
    return fake.transfer_event_data(fake.transfers[payout.reference])


# --- Banks and payout accounts ----------------------------------------------------------------


def test_banks_come_from_paystack_and_are_cached(client_for, customer, fake_paystack):
    client = client_for(customer)
    first = client.get("/api/v1/banks/")
    assert first.status_code == 200, first.content
    banks = first.json()["data"]
    assert {"name": "Guaranty Trust Bank", "code": "058", "slug": "guaranty-trust-bank"} in banks
    assert client.get("/api/v1/banks/").json()["data"] == banks
    asked = [r for r in fake_paystack.requests if r["path"] == "/bank"]
    assert len(asked) == 1
    assert asked[0]["query"]["country"] == ["nigeria"]
    assert client.get("/api/v1/banks/", {"country": "mars"}).status_code == 400


def test_a_payout_account_is_resolved_and_made_a_recipient(client_for, fake_paystack):
    shop = factories.ShopFactory()
    owner = client_for(shop.owner)
    url = f"/api/v1/shops/{shop.id}/payout-account/"
    assert owner.get(url).status_code == 404
    response = owner.put(url, {"bank_code": "058", "account_number": "0123456789"}, format="json")
    assert response.status_code == 200, response.content
    account = response.json()["data"]
    assert account["bank_name"] == "Guaranty Trust Bank"
    assert account["account_name"] == "ADA OBI STORES"
    assert account["account_number_last4"] == "6789"
    assert account["recipient_code"].startswith("RCP_")
    assert account["verified_at"]
    sent = next(r for r in fake_paystack.requests if r["path"] == "/transferrecipient")["body"]
    assert sent == {
        "type": "nuban",
        "name": "ADA OBI STORES",
        "account_number": "0123456789",
        "bank_code": "058",
        "currency": "NGN",
    }
    assert owner.get(url).json()["data"] == account
    assert "0123456789" not in str(owner.get(url).content)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bank_code": "058", "account_number": "9999999999"}, "account_number"),  # unresolvable
        ({"bank_code": "999", "account_number": "0123456789"}, "bank_code"),  # no such bank
        ({"bank_code": "058", "account_number": "12345"}, "account_number"),
    ],
)
def test_an_account_paystack_cannot_resolve_is_a_400(client_for, fake_paystack, body, field):
    shop = factories.ShopFactory()
    response = client_for(shop.owner).put(
        f"/api/v1/shops/{shop.id}/payout-account/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]
    assert not PayoutAccount.objects.exists()


def test_paystack_failing_while_setting_an_account_is_a_502(client_for, fake_paystack):
    shop = factories.ShopFactory()
    client = client_for(shop.owner)
    client.get("/api/v1/banks/")  # cached
    fake_paystack.fail_next(1, 500)
    response = client.put(
        f"/api/v1/shops/{shop.id}/payout-account/",
        {"bank_code": "058", "account_number": "0123456789"},
        format="json",
    )
    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"
    staff = client_for(factories.StaffFactory(shop=shop))
    assert staff.get(f"/api/v1/shops/{shop.id}/payout-account/").status_code == 403


# --- The payout job -------------------------------------------------------------------------


def test_the_job_pays_the_whole_available_balance(
    client_for, admin_user, fake_paystack, run, deliver
):
    shop = payable_shop(amount=D("2500.50"), fake=fake_paystack)
    admin = client_for(admin_user)
    created = run(admin)
    assert len(created) == 1
    payout = Payout.objects.get()
    assert created[0]["reference"] == payout.reference == payout.reference.lower()
    assert created[0]["amount"] == "2500.50"
    sent = transfers(fake_paystack)
    assert len(sent) == 1
    assert sent[0]["body"] == {
        "source": "balance",
        "amount": 250050,
        "recipient": payout.recipient_code,
        "reference": payout.reference,
        "reason": f"Payout {payout.reference}",
        "currency": "NGN",
    }
    assert payout.status == "processing"  # Paystack queued it
    assert payout.transfer_code.startswith("TRF_")
    assert balance(admin, shop) == {
        "currency": "NGN",
        "pending": "0.00",
        "available": "0.00",
        "paid_out": "2500.50",
        "total": "0.00",
    }
    # Nothing more to pay, and one open payout per shop.
    assert run(admin) == []

    mail.outbox.clear()
    response = deliver(
        client_for(admin_user), "transfer.success", event_data(fake_paystack, payout)
    )
    assert response.status_code == 200
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.paid_at is not None
    assert payout.open_for_shop is None
    [notice] = [m for m in mail.outbox if shop.owner.email in m.to]
    assert "2,500.50" in notice.subject
    listed = client_for(shop.owner).get(f"/api/v1/shops/{shop.id}/payouts/").json()["data"]
    assert listed["results"][0]["status"] == "paid"
    assert set(listed["results"][0]) == {
        "id",
        "shop_id",
        "amount",
        "currency",
        "status",
        "reference",
        "transfer_code",
        "failure_reason",
        "created_at",
        "paid_at",
    }


def test_who_is_not_paid(admin_user, client_for, fake_paystack, settings, run):
    below = payable_shop(amount=D("999.99"), fake=fake_paystack)
    paused = payable_shop(amount=D("5000.00"), fake=fake_paystack, payouts_paused=True)
    no_account = factories.ShopFactory()
    LedgerEntry.objects.create(
        shop=no_account,
        kind="adjustment",
        amount=D("5000.00"),
        key="adjustment:test",
        available_on=timezone.now(),
    )
    settings.PAYOUT_HOLD_DAYS = 7
    held = payable_shop(amount=D("5000.00"), fake=fake_paystack)
    assert run(client_for(admin_user)) == []
    assert not transfers(fake_paystack)
    assert {below.id, paused.id, held.id, no_account.id}


def test_only_admins_run_the_job(client_for, fake_paystack):
    shop = payable_shop(fake=fake_paystack)
    response = client_for(shop.owner).post("/api/v1/payouts/run/", {}, format="json")
    assert response.status_code == 403
    assert not Payout.objects.exists()


def test_a_failed_transfer_credits_the_shop_back_once(
    admin_user, client_for, fake_paystack, run, deliver
):
    shop = payable_shop(amount=D("3000.00"), fake=fake_paystack)
    admin = client_for(admin_user)
    run(admin)
    payout = Payout.objects.get()
    mail.outbox.clear()
    data = event_data(fake_paystack, payout)
    data["status"] = "failed"
    for _ in range(2):
        assert deliver(admin, "transfer.failed", data).status_code == 200
    payout.refresh_from_db()
    assert payout.status == "failed" and payout.open_for_shop is None
    assert LedgerEntry.objects.filter(payout=payout, kind="payout_reversed").count() == 1
    assert balance(admin, shop)["available"] == "3000.00"
    assert balance(admin, shop)["paid_out"] == "0.00"
    assert len([m for m in mail.outbox if shop.owner.email in m.to]) == 1
    # The next run pays it again, with a new reference.
    again = run(admin)
    assert len(again) == 1 and again[0]["reference"] != payout.reference


def test_a_reversed_transfer_after_payment_credits_back(
    admin_user, client_for, fake_paystack, run, deliver
):
    shop = payable_shop(amount=D("3000.00"), fake=fake_paystack)
    admin = client_for(admin_user)
    run(admin)
    payout = Payout.objects.get()
    fake_paystack.transfers[payout.reference]["status"] = "success"
    deliver(admin, "transfer.success", event_data(fake_paystack, payout))
    fake_paystack.transfers[payout.reference]["status"] = "reversed"
    deliver(admin, "transfer.reversed", event_data(fake_paystack, payout))
    payout.refresh_from_db()
    assert payout.status == "reversed"
    assert ShopBalance.objects.get(shop=shop).total == D("3000.00")


def test_a_transfer_held_for_an_otp_needs_attention(
    admin_user, client_for, fake_paystack, run, deliver
):
    payable_shop(fake=fake_paystack)
    fake_paystack.transfer_status = "otp"
    mail.outbox.clear()
    run(client_for(admin_user))
    payout = Payout.objects.get()
    assert payout.status == "needs_attention"
    assert any(admin_user.email in m.to and "needs attention" in m.subject for m in mail.outbox)
    # Finalised on Paystack's dashboard: the webhook settles it.
    fake_paystack.transfers[payout.reference]["status"] = "success"
    admin = client_for(admin_user)
    deliver(admin, "transfer.success", event_data(fake_paystack, payout))
    payout.refresh_from_db()
    assert payout.status == "paid"


def test_a_refused_transfer_fails_and_credits_back(admin_user, client_for, fake_paystack, run):
    shop = payable_shop(amount=D("4000.00"), fake=fake_paystack)
    fake_paystack.fail_next(1, 400)
    run(client_for(admin_user))
    payout = Payout.objects.get()
    assert payout.status == "failed"
    assert payout.failure_reason
    assert ShopBalance.objects.get(shop=shop).total == D("4000.00")


def test_a_transfer_call_that_times_out_is_verified_not_sent_again(
    admin_user, client_for, fake_paystack, run
):
    payable_shop(fake=fake_paystack)
    fake_paystack.timeout_next(1, seconds=1.0, act=True)  # Paystack queues it; we never hear
    run(client_for(admin_user))
    payout = Payout.objects.get()
    assert payout.status == "processing"
    assert "outcome is unknown" in payout.failure_reason
    assert payout.transfer_code == ""

    later = timezone.now() + VERIFY_AFTER + timedelta(seconds=1)
    assert payouts.payouts_verify_open(now=later) == 0  # still pending at Paystack
    fake_paystack.transfers[payout.reference]["status"] = "success"
    Payout.objects.filter(pk=payout.pk).update(checked_at=timezone.now() - VERIFY_AFTER)
    assert payouts.payouts_verify_open() == 1
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert payout.transfer_code.startswith("TRF_")
    assert len(transfers(fake_paystack)) == 1


def test_a_transfer_paystack_never_got_fails_after_a_while(
    admin_user, client_for, fake_paystack, run
):
    shop = payable_shop(amount=D("2000.00"), fake=fake_paystack)
    fake_paystack.timeout_next(1, seconds=1.0)  # lost on the way: nothing at Paystack
    run(client_for(admin_user))
    payout = Payout.objects.get()
    assert payout.status == "processing"
    soon = timezone.now() + VERIFY_AFTER + timedelta(seconds=1)
    assert payouts.payouts_verify_open(now=soon) == 0  # not known yet: asked again later
    assert Payout.objects.get().status == "processing"
    Payout.objects.filter(pk=payout.pk).update(
        sent_at=timezone.now() - GIVE_UP_AFTER, checked_at=timezone.now() - VERIFY_AFTER
    )
    assert payouts.payouts_verify_open() == 1
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert ShopBalance.objects.get(shop=shop).total == D("2000.00")
    assert len(transfers(fake_paystack)) == 1  # the timed-out call, never sent again


def test_an_event_that_does_not_match_the_payout_changes_nothing(
    admin_user, client_for, fake_paystack, run, deliver
):
    payable_shop(fake=fake_paystack)
    admin = client_for(admin_user)
    run(admin)
    payout = Payout.objects.get()
    data = event_data(fake_paystack, payout)
    data["amount"] = data["amount"] + 1
    assert deliver(admin, "transfer.success", data).status_code == 200
    unknown = {**event_data(fake_paystack, payout), "reference": "payout-nope-1"}
    assert deliver(admin, "transfer.failed", unknown).status_code == 200
    assert Payout.objects.get().status == "processing"


def test_a_payout_whose_task_was_lost_is_sent_by_the_sweep(fake_paystack):
    shop = payable_shop(fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)
    assert payout.status == "pending"
    later = timezone.now() + timedelta(minutes=6)
    assert payouts.payouts_pending_stale(now=later) == [payout.id]
    payouts.payout_send(payout_id=payout.id)
    payouts.payout_send(payout_id=payout.id)  # a second send is a no-op
    assert len(transfers(fake_paystack)) == 1


@pytest.mark.parametrize("count", [1, 8])
def test_payout_list_costs_fixed_queries(client_for, count, django_assert_max_num_queries):
    shop = factories.ShopFactory()
    for n in range(count):
        Payout.objects.create(
            shop=shop,
            amount=D("1500.00"),
            currency="NGN",
            status="paid",
            reference=f"payout-test-{n}",
            recipient_code="RCP_x",
        )
    owner = client_for(shop.owner)
    with django_assert_max_num_queries(6):
        response = owner.get(f"/api/v1/shops/{shop.id}/payouts/")
    assert response.json()["data"]["count"] == count


def test_a_balance_as_wide_as_the_ledger_is_paid_out(admin_user, client_for, fake_paystack, run):
    shop = payable_shop(fake=fake_paystack)
    admin = client_for(admin_user)
    for _ in range(3):
        response = admin.post(
            f"/api/v1/shops/{shop.id}/ledger/adjustments/",
            {"amount": "9999999999.99", "note": "Settlement of a large account"},
            format="json",
        )
        assert response.status_code == 201, response.content
    assert len(run(admin)) == 1
    payout = Payout.objects.get(shop=shop)
    assert payout.amount == D("29999999999.97") + D("5000.00")
    assert ShopBalance.objects.get(shop=shop).total == 0


def test_a_payout_is_given_up_on_by_when_it_was_sent_not_created(fake_paystack):
    shop = payable_shop(amount=D("2000.00"), fake=fake_paystack)
    payout = payouts.payout_create(shop_id=shop.id)
    # Its task was lost: the sweep sends it long after it was created.
    Payout.objects.filter(pk=payout.pk).update(created_at=timezone.now() - 2 * GIVE_UP_AFTER)
    fake_paystack.timeout_next(1, seconds=1.0)  # and Paystack has not got it (yet)
    payouts.payout_send(payout_id=payout.id)
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.sent_at is not None
    soon = payout.sent_at + VERIFY_AFTER + timedelta(seconds=1)
    assert payouts.payouts_verify_open(now=soon) == 0
    assert Payout.objects.get().status == "processing"  # sent moments ago: not given up on
    later = payout.sent_at + GIVE_UP_AFTER + VERIFY_AFTER
    assert payouts.payouts_verify_open(now=later) == 1
    assert Payout.objects.get().status == "failed"
    assert ShopBalance.objects.get(shop=shop).total == D("2000.00")
    assert len(transfers(fake_paystack)) == 1
