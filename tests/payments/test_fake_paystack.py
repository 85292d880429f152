"""The fake Paystack itself: checkout page flow, signed webhooks, controls, the command, and
that the product never depends on it."""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.payments.conftest import SECRET
from tests.payments.helpers import wait_for


@pytest.fixture
def receiver():
    """A tiny HTTP server recording the webhooks it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": self.headers, "body": body})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/", received
    server.shutdown()
    server.server_close()


def _init(base_url, reference="REF-PAGE", amount=250050, secret=SECRET):
    response = requests.post(
        f"{base_url}/transaction/initialize",
        json={
            "email": "ada@example.com",
            "amount": amount,
            "reference": reference,
            "currency": "NGN",
            "callback_url": "http://frontend.test/checkout/complete?x=1",
        },
        headers={"Authorization": f"Bearer {secret}"},
        timeout=5,
    )
    return response


def test_checkout_page_pay_button_signs_webhook_and_redirects(fake_paystack, receiver):
    hook_url, received = receiver
    fake_paystack.webhook_url = hook_url
    data = _init(fake_paystack.base_url).json()["data"]

    page = requests.get(data["authorization_url"], timeout=5)
    assert page.status_code == 200
    assert "NGN 2,500.50" in page.text
    assert '<form method="post" action="/checkout/' in page.text
    assert ">Pay</button>" in page.text

    paid = requests.post(f"{data['authorization_url']}/pay", allow_redirects=False, timeout=5)
    assert paid.status_code == 303
    location = paid.headers["Location"]
    assert location.startswith("http://frontend.test/checkout/complete?")
    assert "reference=REF-PAGE" in location and "x=1" in location

    assert len(received) == 1
    body = received[0]["body"]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()
    assert received[0]["headers"]["x-paystack-signature"] == expected
    event = json.loads(body)
    assert event["event"] == "charge.success"
    assert event["data"]["reference"] == "REF-PAGE"
    assert event["data"]["status"] == "success"
    assert event["data"]["amount"] == 250050

    # The page now says it is paid and has no button.
    assert ">Pay</button>" not in requests.get(data["authorization_url"], timeout=5).text


def test_http_controls(fake_paystack, receiver):
    base = fake_paystack.base_url
    hook_url, received = receiver
    assert requests.post(f"{base}/_control/config", json={"webhook_url": hook_url}).ok

    requests.post(f"{base}/_control/fail", json={"count": 1, "status": 503}, timeout=5)
    assert _init(base, reference="R-1").status_code == 503
    assert _init(base, reference="R-1").status_code == 200

    requests.post(f"{base}/_control/amount", json={"amount": 100}, timeout=5)
    paid = requests.post(
        f"{base}/_control/pay", json={"reference": "R-1", "webhook": False}, timeout=5
    ).json()
    assert paid["amount"] == 100 and paid["status"] == "success"
    assert received == []

    status = requests.post(f"{base}/_control/webhook", json={"reference": "R-1"}, timeout=5)
    assert status.json() == {"status_code": 200}
    assert json.loads(received[0]["body"])["data"]["amount"] == 100

    refund = requests.post(
        f"{base}/refund",
        json={"transaction": "R-1", "amount": 40},
        headers={"Authorization": f"Bearer {SECRET}"},
        timeout=5,
    ).json()["data"]
    listed = requests.get(f"{base}/_control/refunds", timeout=5).json()
    assert [(r["id"], r["amount"], r["transaction_reference"]) for r in listed] == [
        (refund["id"], 40, "R-1")
    ]
    # More than what is left is refused with Paystack's shape.
    too_much = requests.post(
        f"{base}/refund",
        json={"transaction": "R-1", "amount": 61},
        headers={"Authorization": f"Bearer {SECRET}"},
        timeout=5,
    )
    assert too_much.status_code == 400 and too_much.json()["status"] is False

    requests.post(f"{base}/_control/refunds/{refund['id']}/processed", timeout=5)
    event = json.loads(received[-1]["body"])
    assert event["event"] == "refund.processed"
    assert event["data"]["transaction_reference"] == "R-1"

    requests.post(f"{base}/_control/reset", timeout=5)
    assert requests.get(f"{base}/_control/transactions", timeout=5).json() == []


def test_unknown_checkout_and_missing_bearer(fake_paystack):
    assert requests.get(f"{fake_paystack.base_url}/checkout/nope", timeout=5).status_code == 404
    refused = _init(fake_paystack.base_url, secret="sk_wrong")
    assert refused.status_code == 401
    assert refused.json() == {"status": False, "message": "Invalid key"}


def test_command_serves(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PAYSTACK_SECRET_KEY": "sk_cmd"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.fake_paystack", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                return requests.get(f"{base}/_control/transactions", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=20)
        created = _init(base, secret="sk_cmd")
        assert created.status_code == 200
        assert created.json()["data"]["authorization_url"].startswith(f"{base}/checkout/")
    finally:
        process.terminate()
        process.wait(timeout=10)


PRODUCT_PACKAGES = ("core", "users", "shops", "products", "carts", "orders", "payments")


def test_the_product_never_imports_the_fake(settings):
    assert not [app for app in settings.INSTALLED_APPS if app.split(".")[0] == "devtools"]
    root = Path(__file__).resolve().parents[2]
    importers = []
    for package in PRODUCT_PACKAGES:
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                else:
                    continue
                if any(name.split(".")[0] == "devtools" for name in names):
                    importers.append(str(path.relative_to(root)))
    assert importers == []


def _api(fake, method, path, **kwargs):
    return requests.request(
        method,
        f"{fake.base_url}{path}",
        headers={"Authorization": f"Bearer {SECRET}"},
        timeout=5,
        **kwargs,
    )


def test_refunds_and_their_events_have_paystacks_shapes(fake_paystack, receiver):
    hook, received = receiver
    fake_paystack.webhook_url = hook
    assert _init(fake_paystack.base_url, reference="R-2").status_code == 200
    transaction = fake_paystack.pay("R-2", webhook=False)
    made = _api(fake_paystack, "POST", "/refund", json={"transaction": "R-2", "amount": 5000})
    refund_id = made.json()["data"]["id"]

    # GET /refund lists by the transaction's numeric id only, without its reference.
    by_reference = _api(fake_paystack, "GET", "/refund", params={"transaction": "R-2"})
    assert by_reference.json()["data"] == []
    listed = _api(fake_paystack, "GET", "/refund", params={"transaction": transaction["id"]})
    [item] = listed.json()["data"]
    assert (item["id"], item["transaction"], item["amount"]) == (
        refund_id,
        transaction["id"],
        5000,
    )
    assert "transaction_reference" not in item
    fetched = _api(fake_paystack, "GET", f"/refund/{refund_id}").json()["data"]
    assert fetched == item

    # Events: no refund id, the amount as a string, refund_reference once settled.
    for status in ("processing", "needs-attention", "processed"):
        fake_paystack.settle_refund(refund_id, status)
        event = json.loads(received[-1]["body"])
        assert event["event"] == f"refund.{status}"
        data = event["data"]
        assert "id" not in data
        assert (data["transaction_reference"], data["amount"], data["status"]) == (
            "R-2",
            "5000",
            status,
        )
        assert (data["refund_reference"] is None) is (status != "processed")


def test_minimum_amount_and_unknown_subaccounts_are_refused_like_paystack(fake_paystack):
    low = _init(fake_paystack.base_url, reference="LOW", amount=4999)
    assert low.status_code == 400
    assert low.json() == {"status": False, "message": "Invalid Amount Sent"}
    assert _init(fake_paystack.base_url, reference="MIN", amount=5000).status_code == 200

    body = {
        "email": "ada@example.com",
        "amount": 10000,
        "reference": "SPLIT-1",
        "currency": "NGN",
        "split": {"type": "flat", "subaccounts": [{"subaccount": "ACCT_x", "share": 9000}]},
    }
    refused = _api(fake_paystack, "POST", "/transaction/initialize", json=body)
    assert refused.status_code == 400
    assert refused.json() == {"status": False, "message": "Invalid Subaccount"}
    requests.post(
        f"{fake_paystack.base_url}/_control/subaccounts", json={"code": "ACCT_x"}, timeout=5
    )
    assert _api(fake_paystack, "POST", "/transaction/initialize", json=body).status_code == 200


def test_verify_of_an_unknown_reference_is_paystacks_400(fake_paystack):
    response = _api(fake_paystack, "GET", "/transaction/verify/NOPE")
    assert response.status_code == 400
    assert response.json() == {"status": False, "message": "Transaction reference not found"}


def test_dashboard_refunds_and_disputes_are_sent_as_events(fake_paystack, receiver):
    hook, received = receiver
    fake_paystack.webhook_url = hook
    _init(fake_paystack.base_url, reference="R-3")
    fake_paystack.pay("R-3", webhook=False)
    control = f"{fake_paystack.base_url}/_control"
    requests.post(
        f"{control}/dashboard_refund", json={"reference": "R-3", "amount": 5000}, timeout=5
    )
    event = json.loads(received[-1]["body"])
    assert event["event"] == "refund.processed" and event["data"]["amount"] == "5000"

    dispute = requests.post(f"{control}/dispute", json={"reference": "R-3"}, timeout=5).json()
    event = json.loads(received[-1]["body"])
    assert event["event"] == "charge.dispute.create"
    assert event["data"]["id"] == dispute["id"]
    assert event["data"]["transaction"]["reference"] == "R-3"
    assert event["data"]["status"] == "awaiting-merchant-feedback"


def test_transfers_speak_paystacks_shapes(fake_paystack, receiver):
    """Banks, resolve, recipient, transfer (pending, otp, duplicate), verify, and a signed
    ``transfer.success`` event carrying the transfer and its recipient."""
    base, auth = fake_paystack.base_url, {"Authorization": f"Bearer {SECRET}"}
    hook_url, received = receiver
    fake_paystack.webhook_url = hook_url
    banks = requests.get(f"{base}/bank", params={"country": "nigeria"}, headers=auth, timeout=5)
    assert banks.json()["message"] == "Banks retrieved"
    assert {"name", "slug", "code", "longcode", "type"} <= set(banks.json()["data"][0])
    unknown = requests.get(
        f"{base}/bank/resolve",
        params={"account_number": "9999999999", "bank_code": "058"},
        headers=auth,
        timeout=5,
    )
    assert unknown.status_code == 422 and unknown.json()["status"] is False
    resolved = requests.get(
        f"{base}/bank/resolve",
        params={"account_number": "0123456789", "bank_code": "058"},
        headers=auth,
        timeout=5,
    ).json()["data"]
    assert resolved["account_name"] == "ADA OBI STORES"
    body = {"type": "nuban", "name": "ADA", "account_number": "0123456789", "bank_code": "058"}
    created = requests.post(f"{base}/transferrecipient", json=body, headers=auth, timeout=5)
    assert created.status_code == 201
    recipient = created.json()["data"]["recipient_code"]
    again = requests.post(f"{base}/transferrecipient", json=body, headers=auth, timeout=5)
    assert again.json()["data"]["recipient_code"] == recipient  # the existing one

    def transfer(reference):
        payload = {
            "source": "balance",
            "amount": 150000,
            "recipient": recipient,
            "reference": reference,
            "reason": "Payout",
        }
        return requests.post(f"{base}/transfer", json=payload, headers=auth, timeout=5)

    sent = transfer("payout-a-1").json()["data"]
    assert sent["status"] == "pending" and sent["transfer_code"].startswith("TRF_")
    assert transfer("payout-a-1").status_code == 400  # a reference is used once
    fake_paystack.transfer_status = "otp"
    assert transfer("payout-a-2").json()["data"]["status"] == "otp"
    missing = requests.get(f"{base}/transfer/verify/payout-nope", headers=auth, timeout=5)
    assert missing.status_code == 404
    fake_paystack.settle_transfer("payout-a-1", "success")
    verified = requests.get(f"{base}/transfer/verify/payout-a-1", headers=auth, timeout=5)
    assert verified.json()["data"]["status"] == "success"
    assert verified.json()["data"]["recipient"]["recipient_code"] == recipient
    delivered = wait_for(lambda: received)
    event = json.loads(delivered[0]["body"])
    assert event["event"] == "transfer.success"
    assert event["data"]["reference"] == "payout-a-1" and event["data"]["amount"] == 150000
    assert event["data"]["recipient"]["details"]["bank_code"] == "058"
    expected = hmac.new(SECRET.encode(), delivered[0]["body"], hashlib.sha512).hexdigest()
    assert delivered[0]["headers"]["x-paystack-signature"] == expected
