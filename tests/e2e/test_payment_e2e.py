"""Check out and pay through the whole stack: gunicorn, a Celery worker and beat on Redis, the
fake Paystack (its own process) and a real SMTP server.

The customer checks out over HTTP, starts a payment, "clicks Pay" on the fake's checkout page;
the fake POSTs a signed `charge.success` to gunicorn, the worker verifies it with the fake and
pays the group, and the payment-received e-mail arrives. Cancelling then refunds through
Paystack, confirmed by the fake's `refund.processed` webhook.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urljoin

import pytest
import requests

from core.models import SentEmail
from orders.models import OrderGroup
from payments.models import Payment, Refund, WebhookEvent
from tests import factories
from tests.e2e.conftest import FRONTEND_URL, message_text, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack_env_overrides(fake_paystack_port: int) -> dict[str, str]:
    return {"PAYSTACK_BASE_URL": f"http://127.0.0.1:{fake_paystack_port}"}


def test_checkout_pay_on_the_fake_checkout_page_and_refund(
    live_server_url, celery_worker, celery_beat, fake_paystack, smtp_server, settings
):
    api = f"{live_server_url}/api/v1"
    # A hasher the stack's own settings know (the unit-test MD5 one is not among them).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    customer = factories.UserFactory(email="payer.e2e@example.com", first_name="Ada")
    shop = factories.ShopFactory(paystack_subaccount_code="ACCT_e2e_shop")
    fake_paystack.control("POST", "subaccounts", json={"code": "ACCT_e2e_shop"})
    product = factories.ProductFactory(shop=shop, price=Decimal("1250.50"), stock=5)

    http = requests.Session()
    login = http.post(
        f"{api}/auth/login/",
        json={"email": customer.email, "password": factories.DEFAULT_PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    http.headers["Authorization"] = f"Bearer {login.json()['data']['access']}"

    added = http.post(
        f"{api}/cart/items/", json={"product_id": str(product.id), "quantity": 2}, timeout=10
    )
    assert added.status_code == 201, added.text
    checkout = http.post(
        f"{api}/checkout/",
        json={"fulfillment_method": "pickup", "payment_method": "paystack"},
        timeout=10,
    )
    assert checkout.status_code == 201, checkout.text
    group = checkout.json()["data"]
    assert group["payment_status"] == "unpaid" and group["expires_at"]

    started = http.post(f"{api}/order-groups/{group['id']}/payments/", json={}, timeout=15)
    assert started.status_code == 201, started.text
    payment = started.json()["data"]
    assert payment["amount"] == 250100 and payment["status"] == "pending"
    assert payment["authorization_url"].startswith(f"{fake_paystack.base_url}/checkout/")

    # The customer's browser: open the checkout page and press "Pay" (a form POST).
    page = requests.get(payment["authorization_url"], timeout=10)
    assert page.status_code == 200 and ">Pay</button>" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    paid = requests.post(
        urljoin(payment["authorization_url"], action), allow_redirects=False, timeout=15
    )
    assert paid.status_code == 303
    assert paid.headers["Location"].startswith(f"{FRONTEND_URL}/checkout/complete?")
    assert f"reference={payment['reference']}" in paid.headers["Location"]

    # The worker verifies the charge with Paystack and pays the group.
    def group_state() -> dict | None:
        data = http.get(f"{api}/order-groups/{group['id']}/", timeout=10).json()["data"]
        return data if data["payment_status"] == "paid" else None

    paid_group = wait_until(group_state, timeout=30, what="the group to be paid")
    assert paid_group["expires_at"] is None
    assert all(order["is_paid"] for order in paid_group["orders"])
    detail = http.get(f"{api}/payments/{payment['reference']}/", timeout=10).json()["data"]
    assert detail["status"] == "success" and detail["paid_at"]

    message = smtp_server.wait_for(
        lambda m: customer.email in m["To"] and "Payment received" in m["Subject"], timeout=30
    )
    assert group["number"] in message["Subject"]
    assert "NGN 2,501.00" in message_text(message)

    # Ledger settlement (the default): the platform receives the whole payment, no split.
    transactions = fake_paystack.control("GET", "transactions")
    assert transactions[0]["split"] == {}

    # Cancelling the paid group refunds it through Paystack; the fake confirms by webhook.
    cancelled = http.post(f"{api}/order-groups/{group['id']}/cancel/", json={}, timeout=10)
    assert cancelled.status_code == 200, cancelled.text

    def refund_processed() -> list | None:
        refunds = http.get(f"{api}/payments/{payment['reference']}/", timeout=10).json()["data"][
            "refunds"
        ]
        return refunds if refunds and refunds[0]["status"] == "processed" else None

    refunds = wait_until(refund_processed, timeout=30, what="the refund to be processed")
    assert [r["amount"] for r in refunds] == [250100]
    assert [(r["transaction_reference"], r["amount"]) for r in fake_paystack.refunds] == [
        (payment["reference"], 250100)
    ]
    wait_until(
        lambda: OrderGroup.objects.get(pk=group["id"]).payment_status == "refunded",
        timeout=30,
        what="the group to be refunded",
    )

    # Each thing happened once, in the test's own database.
    assert Payment.objects.get(reference=payment["reference"]).status == "success"
    assert Refund.objects.count() == 1
    assert WebhookEvent.objects.filter(event="charge.success").count() == 1
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    sent = SentEmail.objects.filter(sent_at__isnull=False)
    assert sent.filter(key=f"order-paid:{group['id']}").count() == 1
    product.refresh_from_db()
    assert product.stock == 5
