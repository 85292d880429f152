"""A payout through the whole stack: gunicorn, a Celery worker on Redis, the fake Paystack (its
own process) and a real SMTP server.

The shop's owner gives a bank account over HTTP (resolved and made a transfer recipient at the
fake); its completed order's earnings are available at once (`PAYOUT_HOLD_DAYS=0`); an admin
runs the payout job over HTTP; the worker sends the transfer; the fake completes it and POSTs a
signed `transfer.success`; the worker settles the payout and the owner's e-mail arrives.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from payments.models import LedgerEntry, Payout
from tests import factories
from tests.e2e.conftest import wait_until
from tests.payments.settlement import move, paid_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack_env_overrides(fake_paystack_port: int) -> dict[str, str]:
    return {
        "PAYSTACK_BASE_URL": f"http://127.0.0.1:{fake_paystack_port}",
        "PAYOUT_HOLD_DAYS": "0",
    }


def login(api: str, email: str) -> requests.Session:
    http = requests.Session()
    response = http.post(
        f"{api}/auth/login/",
        json={"email": email, "password": factories.DEFAULT_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    http.headers["Authorization"] = f"Bearer {response.json()['data']['access']}"
    return http


def test_a_shop_is_paid_its_earnings_by_transfer(
    live_server_url, celery_worker, fake_paystack, smtp_server, settings
):
    api = f"{live_server_url}/api/v1"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.PAYOUT_HOLD_DAYS = 0
    owner = factories.UserFactory(email="owner.e2e@example.com")
    admin = factories.UserFactory(email="admin.e2e@example.com", is_staff=True, is_superuser=True)
    shop = factories.ShopFactory(owner=owner)
    fake_paystack.control("POST", "config", json={"auto_settle_transfers": True})

    shop_http = login(api, owner.email)
    account = shop_http.put(
        f"{api}/shops/{shop.id}/payout-account/",
        json={"bank_code": "058", "account_number": "0123456789"},
        timeout=15,
    )
    assert account.status_code == 200, account.text
    assert account.json()["data"]["account_name"] == "ADA OBI STORES"

    order = paid_order(shop=shop, price=Decimal("4000.00"), commission=Decimal("300.00"))
    move(order, "processing", "completed")
    balance = shop_http.get(f"{api}/shops/{shop.id}/balance/", timeout=10).json()["data"]
    assert balance["available"] == "3700.00"

    started = login(api, admin.email).post(f"{api}/payouts/run/", json={}, timeout=15)
    assert started.status_code == 202, started.text
    [payout] = started.json()["data"]["payouts"]
    assert payout["amount"] == "3700.00"

    def paid() -> dict | None:
        listed = shop_http.get(f"{api}/shops/{shop.id}/payouts/", timeout=10).json()["data"]
        first = listed["results"][0]
        return first if first["status"] == "paid" else None

    settled = wait_until(paid, timeout=30, what="the payout to be paid")
    assert settled["reference"] == payout["reference"] and settled["paid_at"]
    balance = shop_http.get(f"{api}/shops/{shop.id}/balance/", timeout=10).json()["data"]
    assert (balance["available"], balance["paid_out"]) == ("0.00", "3700.00")
    message = smtp_server.wait_for(
        lambda m: owner.email in m["To"] and "Payout" in m["Subject"], timeout=30
    )
    assert "3,700.00" in message["Subject"]
    transfers = fake_paystack.control("GET", "transfers")
    assert [(t["reference"], t["amount"], t["status"]) for t in transfers] == [
        (payout["reference"], 370000, "success")
    ]
    assert Payout.objects.get().status == "paid"
    assert LedgerEntry.objects.filter(kind="payout").count() == 1
