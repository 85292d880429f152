"""A local stand-in for Paystack, for development and tests (never used in production).

It speaks the parts of Paystack's API the project calls, with Paystack's JSON shapes, status
codes and error bodies (devtools/README.md names the documentation page of each shape):

- ``POST /transaction/initialize``, ``GET /transaction/verify/{reference}``, ``POST /refund``;
- Transfers: ``GET /bank``, ``GET /bank/resolve``, ``POST /transferrecipient``,
  ``POST /transfer`` and ``GET /transfer/verify/{reference}``, with the ``transfer.success``,
  ``transfer.failed`` and ``transfer.reversed`` webhooks (all the API checks
  ``Authorization: Bearer <secret>``);
- ``GET /checkout/{access_code}``: the page behind ``authorization_url``, with a "Pay" button
  (a form POST to ``/checkout/{access_code}/pay``) that marks the transaction paid, POSTs a
  correctly signed ``charge.success`` webhook to the configured URL, then redirects to the
  transaction's callback URL;
- test controls under ``/_control/`` (no authentication: bind it to 127.0.0.1 only):
  ``POST /_control/reset``; ``POST /_control/fail`` ``{"count": 1, "status": 500}`` (the next
  API calls fail; ``"status": "bad_json"`` answers an unreadable body);
  ``POST /_control/timeout`` ``{"count": 1, "seconds": 12}`` (the next API calls answer only
  after a delay, and do nothing); ``POST /_control/amount`` ``{"amount": 100, "reference": null}``
  (the next payment, or that reference's, is charged this amount in kobo);
  ``POST /_control/pay`` ``{"reference": ..., "webhook": true, "amount": null}``;
  ``POST /_control/webhook`` ``{"reference": ..., "event": "charge.success"}`` (send, or send
  again, the event for a transaction); ``GET /_control/refunds``; ``GET /_control/transactions``;
  ``GET /_control/webhooks`` (deliveries made); ``POST /_control/refunds/{id}/processed`` or
  ``.../failed``, ``.../processing``, ``.../pending``, ``.../needs-attention`` (move a refund
  and send its webhook); ``POST /_control/dashboard_refund`` ``{"reference", "amount"}`` (a
  refund made on Paystack's dashboard, with its webhook); ``POST /_control/dispute``
  ``{"reference", "event": "charge.dispute.create", "id": null}``; ``POST
  /_control/subaccounts`` ``{"code": "ACCT_..."}`` (a subaccount initialisation accepts);
  ``POST /_control/config`` ``{"webhook_url": ..., "auto_process_refunds": true,
  "transfer_status": "pending" | "otp" | "success", "auto_settle_transfers": true}``;
  ``POST /_control/accounts`` ``{"bank_code", "account_number", "account_name"}`` (an account
  ``/bank/resolve`` knows; ``058``/``0123456789`` is known from the start);
  ``GET /_control/transfers``; ``POST /_control/transfers/{reference}/success`` (or ``failed``,
  ``reversed``: move a transfer and send its webhook). ``/_control/timeout`` also takes
  ``"act": true``: the call is carried out, and answered only after the delay (the outcome a
  caller that gave up cannot know).

Run it with ``python -m devtools.fake_paystack --port 8100 --webhook-url http://.../webhook/``,
or in-process: ``FakePaystack(secret=...).start()`` serves on a free port in a thread.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

# Paystack's smallest charge per currency, in the subunit (see devtools/README.md).
MINIMUM_AMOUNT = {"NGN": 5000, "GHS": 10, "USD": 200}
REFUND_STATUSES = ("pending", "processing", "processed", "failed", "needs-attention")
TRANSFER_OUTCOMES = ("success", "failed", "reversed")
# A few Nigerian banks, as `GET /bank` lists them (name, slug, code, longcode).
BANKS = (
    ("Access Bank", "access-bank", "044", "044150149"),
    ("First Bank of Nigeria", "first-bank-of-nigeria", "011", "011151003"),
    ("Guaranty Trust Bank", "guaranty-trust-bank", "058", "058152036"),
    ("Kuda Bank", "kuda-bank", "50211", ""),
    ("United Bank For Africa", "united-bank-for-africa", "033", "033153513"),
    ("Zenith Bank", "zenith-bank", "057", "057150013"),
)
# The account `/bank/resolve` knows from the start (for the walkthrough).
DEMO_ACCOUNT = ("058", "0123456789", "ADA OBI STORES")


def sign(secret: str, body: bytes) -> str:
    """Paystack's ``x-paystack-signature``: HMAC-SHA512 of the raw body keyed with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class _Fault:
    kind: str  # "error" | "timeout"
    status: int | str = 500
    seconds: float = 0.0
    act: bool = False  # a timeout that still carries the call out


class FakePaystack:
    def __init__(
        self,
        *,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        public_url: str | None = None,
        auto_process_refunds: bool = False,
        subaccounts: tuple[str, ...] = (),
    ) -> None:
        self.secret = secret
        self._known_subaccounts = tuple(subaccounts)
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        self.auto_process_refunds = auto_process_refunds
        self._public_url = public_url
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- lifecycle --------------------------------------------------------------------------
    def bind(self) -> ThreadingHTTPServer:
        server = _Server((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        return server

    def start(self) -> FakePaystack:
        """Serve in a background thread (port 0 picks a free port)."""
        server = self.bind()
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-paystack", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the current thread until interrupted (binds first unless `bind` was called)."""
        server = self._server or self.bind()
        server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        return self._public_url or f"http://{self.host}:{self.port}"

    # --- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.transactions: dict[str, dict[str, Any]] = {}
            self.access_codes: dict[str, str] = {}
            self.refunds: list[dict[str, Any]] = []
            self.webhooks: list[dict[str, Any]] = []
            self.requests: list[dict[str, Any]] = []
            self._faults: list[_Fault] = []
            self._amount_overrides: dict[str, int] = {}
            self.subaccounts: set[str] = set(self._known_subaccounts)
            self.accounts: dict[tuple[str, str], str] = {DEMO_ACCOUNT[:2]: DEMO_ACCOUNT[2]}
            self.recipients: dict[str, dict[str, Any]] = {}
            self.transfers: dict[str, dict[str, Any]] = {}
            self.transfer_status = "pending"
            self.auto_settle_transfers = False
            self._next_id = 1000

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def fail_next(self, count: int = 1, status: int | str = 500) -> None:
        """The next `count` API calls fail with `status` (or ``"bad_json"``)."""
        with self._lock:
            self._faults.extend(_Fault("error", status=status) for _ in range(count))

    def timeout_next(self, count: int = 1, seconds: float = 12.0, *, act: bool = False) -> None:
        """The next `count` API calls answer only after `seconds`; they change nothing, unless
        `act` (then the call is carried out first, and its answer comes late)."""
        with self._lock:
            self._faults.extend(_Fault("timeout", seconds=seconds, act=act) for _ in range(count))

    def charge_amount(self, amount: int, reference: str | None = None) -> None:
        """Charge `amount` kobo (not the initialised amount) for the next payment or `reference`."""
        with self._lock:
            self._amount_overrides[reference or "*"] = int(amount)

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    # --- API behaviour ----------------------------------------------------------------------
    def initialize(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        email = body.get("email")
        try:
            amount = int(body.get("amount"))
        except (TypeError, ValueError):
            amount = 0
        if not email or not isinstance(email, str):
            return 400, {"status": False, "message": "Invalid Email Address Passed"}
        currency = str(body.get("currency") or "NGN").upper()
        if amount <= 0 or amount < MINIMUM_AMOUNT.get(currency, 1):
            return 400, {"status": False, "message": "Invalid Amount Sent"}
        split = body.get("split") if isinstance(body.get("split"), dict) else {}
        for share in split.get("subaccounts") or []:
            code = share.get("subaccount") if isinstance(share, dict) else None
            with self._lock:
                known = code in self.subaccounts
            if not known:
                return 400, {"status": False, "message": "Invalid Subaccount"}
        reference = body.get("reference") or secrets.token_hex(8)
        with self._lock:
            if reference in self.transactions:
                return 400, {"status": False, "message": "Duplicate Transaction Reference"}
            access_code = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
            self.transactions[reference] = {
                "id": self._new_id(),
                "domain": "test",
                "status": "abandoned",
                "reference": reference,
                "amount": amount,
                "currency": currency,
                "message": None,
                "gateway_response": "The transaction was not completed",
                "paid_at": None,
                "created_at": _now(),
                "channel": "card",
                "metadata": body.get("metadata") or "",
                "customer": {"email": email},
                "split": body.get("split") or {},
                "callback_url": body.get("callback_url") or "",
                "access_code": access_code,
                "refunded": 0,
            }
            self.access_codes[access_code] = reference
        return 200, {
            "status": True,
            "message": "Authorization URL created",
            "data": {
                "authorization_url": f"{self.base_url}/checkout/{access_code}",
                "access_code": access_code,
                "reference": reference,
            },
        }

    def verify(self, reference: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            transaction = self.transactions.get(reference)
            if transaction is None:
                return 400, {"status": False, "message": "Transaction reference not found"}
            data = self._public_transaction(transaction)
        return 200, {"status": True, "message": "Verification successful", "data": data}

    def refund(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        key = str(body.get("transaction") or "")
        with self._lock:
            transaction = self.transactions.get(key) or next(
                (t for t in self.transactions.values() if str(t["id"]) == key), None
            )
            if transaction is None:
                return 404, {"status": False, "message": "Transaction not found"}
            if transaction["status"] != "success":
                return 400, {"status": False, "message": "Transaction has not been paid"}
            remaining = transaction["amount"] - transaction["refunded"]
            try:
                amount = int(body["amount"]) if body.get("amount") is not None else remaining
            except (TypeError, ValueError):
                return 400, {"status": False, "message": "Invalid amount"}
            if remaining <= 0:
                return 400, {"status": False, "message": "Transaction has been fully reversed"}
            if amount <= 0 or amount > remaining:
                return 400, {
                    "status": False,
                    "message": "Refund amount cannot be greater than the unrefunded amount",
                }
            transaction["refunded"] += amount
            refund = self._new_refund(transaction, amount, refunded_by="marketplace")
        if self.auto_process_refunds and self.webhook_url:
            threading.Thread(
                target=self.settle_refund, args=(refund["id"], "processed"), daemon=True
            ).start()
        return 200, {
            "status": True,
            "message": "Refund has been queued for processing",
            "data": {
                "transaction": {
                    "id": transaction["id"],
                    "reference": transaction["reference"],
                    "amount": transaction["amount"],
                    "currency": transaction["currency"],
                },
                "integration": 1,
                "deducted_amount": 0,
                "channel": None,
                "merchant_note": "",
                "customer_note": "",
                "status": "pending",
                "refunded_by": "marketplace",
                "expected_at": _now(),
                "currency": refund["currency"],
                "domain": "test",
                "amount": amount,
                "fully_deducted": False,
                "id": refund["id"],
                "createdAt": refund["created_at"],
                "updatedAt": refund["created_at"],
            },
        }

    def _new_refund(
        self, transaction: dict[str, Any], amount: int, *, refunded_by: str
    ) -> dict[str, Any]:
        # `transaction_reference` is the fake's own bookkeeping (for its events and controls):
        # Paystack's refund objects carry only the transaction's numeric id.
        refund = {
            "id": self._new_id(),
            "transaction": transaction["id"],
            "transaction_reference": transaction["reference"],
            "amount": amount,
            "currency": transaction["currency"],
            "status": "pending",
            "refunded_by": refunded_by,
            "created_at": _now(),
        }
        self.refunds.append(refund)
        return refund

    @staticmethod
    def _public_refund(refund: dict[str, Any]) -> dict[str, Any]:
        """A refund as ``GET /refund`` and ``GET /refund/{id}`` show it."""
        return {
            "integration": 1,
            "transaction": refund["transaction"],
            "dispute": None,
            "settlement": None,
            "id": refund["id"],
            "domain": "test",
            "currency": refund["currency"],
            "amount": refund["amount"],
            "status": refund["status"],
            "refunded_at": refund["created_at"] if refund["status"] == "processed" else None,
            "refunded_by": refund["refunded_by"],
            "customer_note": "",
            "merchant_note": "",
            "deducted_amount": 0,
            "fully_deducted": False,
            "createdAt": refund["created_at"],
        }

    def fetch_refund(self, refund_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            refund = next((r for r in self.refunds if str(r["id"]) == refund_id), None)
            if refund is None:
                return 404, {"status": False, "message": "Refund not found"}
            data = self._public_refund(refund)
        return 200, {"status": True, "message": "Refund retrieved", "data": data}

    def list_refunds(self, transaction: str) -> tuple[int, dict[str, Any]]:
        """``GET /refund?transaction=``: by the transaction's numeric id only (a reference
        matches nothing, as at Paystack)."""
        with self._lock:
            found = [
                self._public_refund(r) for r in self.refunds if str(r["transaction"]) == transaction
            ]
        meta = {"total": len(found), "perPage": 100, "page": 1}
        return 200, {"status": True, "message": "Refunds retrieved", "data": found, "meta": meta}

    # --- transfers ----------------------------------------------------------------------------
    def list_banks(self, country: str) -> tuple[int, dict[str, Any]]:
        banks = []
        if country.lower() in ("", "nigeria"):
            banks = [
                {
                    "name": name,
                    "slug": slug,
                    "code": code,
                    "longcode": longcode,
                    "gateway": None,
                    "pay_with_bank": False,
                    "active": True,
                    "country": "Nigeria",
                    "currency": "NGN",
                    "type": "nuban",
                    "is_deleted": False,
                    "id": index,
                    "createdAt": "2016-07-14T10:04:29.000Z",
                    "updatedAt": "2020-02-18T08:06:44.000Z",
                }
                for index, (name, slug, code, longcode) in enumerate(BANKS, start=1)
            ]
        meta = {"next": None, "previous": None, "perPage": 100}
        return 200, {"status": True, "message": "Banks retrieved", "data": banks, "meta": meta}

    def resolve_account(self, account_number: str, bank_code: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            name = self.accounts.get((bank_code, account_number))
        if name is None:
            return 422, {
                "status": False,
                "message": "Could not resolve account name. Check parameters or try again.",
            }
        bank_id = next((i for i, b in enumerate(BANKS, start=1) if b[2] == bank_code), 0)
        return 200, {
            "status": True,
            "message": "Account number resolved",
            "data": {"account_number": account_number, "account_name": name, "bank_id": bank_id},
        }

    def create_recipient(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        number = str(body.get("account_number") or "")
        code = str(body.get("bank_code") or "")
        bank = next((b for b in BANKS if b[2] == code), None)
        if body.get("type") != "nuban" or bank is None or not number:
            return 400, {"status": False, "message": "Invalid recipient details"}
        with self._lock:
            # Paystack returns the existing recipient for an account it already has.
            existing = next(
                (
                    r
                    for r in self.recipients.values()
                    if r["details"]["account_number"] == number
                    and r["details"]["bank_code"] == code
                ),
                None,
            )
            recipient = existing or {
                "active": True,
                "createdAt": _now(),
                "currency": str(body.get("currency") or "NGN"),
                "domain": "test",
                "id": self._new_id(),
                "integration": 1,
                "name": str(body.get("name") or ""),
                "recipient_code": f"RCP_{secrets.token_hex(8)}",
                "type": "nuban",
                "updatedAt": _now(),
                "is_deleted": False,
                "details": {
                    "authorization_code": None,
                    "account_number": number,
                    "account_name": self.accounts.get((code, number)),
                    "bank_code": code,
                    "bank_name": bank[0],
                },
            }
            self.recipients[recipient["recipient_code"]] = recipient
        status = 200 if existing else 201
        message = "Transfer recipient created successfully"
        return status, {"status": True, "message": message, "data": dict(recipient)}

    def transfer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            amount = int(body.get("amount"))
        except (TypeError, ValueError):
            amount = 0
        reference = str(body.get("reference") or "")
        with self._lock:
            recipient = self.recipients.get(str(body.get("recipient") or ""))
            if recipient is None:
                return 400, {"status": False, "message": "Invalid transfer recipient"}
            if body.get("source") != "balance" or amount <= 0:
                return 400, {"status": False, "message": "Invalid amount or source"}
            if reference in self.transfers:
                return 400, {"status": False, "message": "Duplicate Transfer Reference"}
            transfer = {
                "integration": 1,
                "domain": "test",
                "amount": amount,
                "currency": str(body.get("currency") or "NGN"),
                "source": "balance",
                "source_details": None,
                "reason": str(body.get("reason") or ""),
                "recipient": recipient,
                "status": self.transfer_status,
                "failures": None,
                "transfer_code": f"TRF_{secrets.token_hex(8)}",
                "titan_code": None,
                "transferred_at": _now() if self.transfer_status == "success" else None,
                "id": self._new_id(),
                "reference": reference or secrets.token_hex(10),
                "createdAt": _now(),
                "updatedAt": _now(),
            }
            self.transfers[transfer["reference"]] = transfer
            data = {**transfer, "recipient": recipient["id"]}
        if self.auto_settle_transfers and self.webhook_url and transfer["status"] == "pending":
            threading.Thread(
                target=self.settle_transfer, args=(transfer["reference"], "success"), daemon=True
            ).start()
        return 200, {"status": True, "message": "Transfer has been queued", "data": data}

    def verify_transfer(self, reference: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            transfer = self.transfers.get(reference)
            if transfer is None:
                return 404, {"status": False, "message": "Transfer not found"}
            data = dict(transfer)
        return 200, {"status": True, "message": "Transfer retrieved", "data": data}

    def settle_transfer(self, reference: str, outcome: str = "success") -> int | None:
        """Move a transfer to `outcome` (``success``, ``failed``, ``reversed``) and send
        ``transfer.<outcome>`` with the transfer object, as Paystack does."""
        if outcome not in TRANSFER_OUTCOMES:
            raise ValueError(f"unknown transfer outcome {outcome!r}")
        with self._lock:
            transfer = self.transfers[reference]
            transfer["status"] = outcome
            transfer["updatedAt"] = _now()
            if outcome == "success":
                transfer["transferred_at"] = _now()
            data = self.transfer_event_data(transfer)
        return self.send_event(f"transfer.{outcome}", data)

    @staticmethod
    def transfer_event_data(transfer: dict[str, Any]) -> dict[str, Any]:
        """The `data` of a ``transfer.*`` event: the transfer with its recipient, the
        integration as an object, and the session."""
        return {
            **{k: v for k, v in transfer.items() if k not in ("createdAt", "updatedAt")},
            "integration": {"id": 1, "is_live": False, "business_name": "Fake Marketplace"},
            "session": {"provider": None, "id": None},
            "created_at": transfer["createdAt"],
            "updated_at": transfer["updatedAt"],
        }

    def _public_transaction(self, transaction: dict[str, Any]) -> dict[str, Any]:
        hidden = {"callback_url", "access_code", "refunded"}
        return {k: v for k, v in transaction.items() if k not in hidden}

    # --- payment and webhooks ---------------------------------------------------------------
    def pay(
        self, reference: str, *, webhook: bool = True, amount: int | None = None
    ) -> dict[str, Any]:
        """Mark the transaction paid (like a customer completing the checkout page)."""
        with self._lock:
            transaction = self.transactions[reference]
            if transaction["status"] != "success":
                override = self._amount_overrides.pop(reference, None)
                if override is None:
                    override = self._amount_overrides.pop("*", None)
                if amount is not None:
                    override = amount
                if override is not None:
                    transaction["amount"] = override
                transaction.update(status="success", paid_at=_now(), gateway_response="Successful")
            data = self._public_transaction(transaction)
        if webhook:
            self.send_event("charge.success", data)
        return data

    def send_charge_event(self, reference: str, event: str = "charge.success") -> int | None:
        with self._lock:
            data = self._public_transaction(self.transactions[reference])
        return self.send_event(event, data)

    def settle_refund(self, refund_id: int, status: str = "processed") -> int | None:
        """Move a refund to `status` (``pending``, ``processing``, ``processed``, ``failed`` or
        ``needs-attention``) and send ``refund.<status>``, shaped as Paystack's events are."""
        if status not in REFUND_STATUSES:
            raise ValueError(f"unknown refund status {status!r}")
        with self._lock:
            refund = next(r for r in self.refunds if r["id"] == int(refund_id))
            if status == "failed" and refund["status"] != "failed":
                transaction = self.transactions[refund["transaction_reference"]]
                transaction["refunded"] -= refund["amount"]
            refund["status"] = status
            data = self.refund_event_data(refund)
        return self.send_event(f"refund.{status}", data)

    def refund_from_dashboard(
        self, reference: str, amount: int, status: str = "processed"
    ) -> dict[str, Any]:
        """A refund made on Paystack's dashboard (not through the API): it has a Paystack id
        the project was never given, and its event is sent like any other."""
        with self._lock:
            transaction = self.transactions[reference]
            transaction["refunded"] += amount
            refund = self._new_refund(transaction, int(amount), refunded_by="dashboard")
        self.settle_refund(refund["id"], status)
        return refund

    @staticmethod
    def refund_event_data(refund: dict[str, Any]) -> dict[str, Any]:
        """The `data` of a ``refund.*`` event about `refund` in its current status."""
        # Paystack's refund events carry no refund id, the amount as a string, and a
        # refund_reference only once the refund is processed or failed.
        settled = refund["status"] in ("processed", "failed")
        return {
            "status": refund["status"],
            "transaction_reference": refund["transaction_reference"],
            "refund_reference": f"RF{refund['id']}" if settled else None,
            "amount": str(refund["amount"]),
            "currency": refund["currency"],
            "processor": "fake",
            "customer": {"email": None, "first_name": None, "last_name": None},
            "integration": 1,
            "domain": "test",
        }

    def dispute(
        self,
        reference: str,
        event: str = "charge.dispute.create",
        *,
        dispute_id: int | None = None,
        status: str | None = None,
        refund_amount: int | None = None,
    ) -> dict[str, Any]:
        """Send a ``charge.dispute.*`` event about the transaction (Paystack's dispute object);
        returns the event's data (pass its id again for ``remind`` / ``resolve``)."""
        resolving = event == "charge.dispute.resolve"
        with self._lock:
            transaction = self._public_transaction(self.transactions[reference])
            dispute_id = dispute_id or self._new_id()
        data = {
            "id": dispute_id,
            "refund_amount": refund_amount,
            "currency": transaction["currency"],
            "status": status or ("resolved" if resolving else "awaiting-merchant-feedback"),
            "resolution": "merchant-accepted" if resolving else None,
            "domain": "test",
            "transaction": transaction,
            "category": "chargeback",
            "merchant_bears_loss": False,
            "evidence": None,
            "due_at": "2030-01-10T12:00:00.000Z",
            "resolved_at": _now() if resolving else None,
            "created_at": _now(),
        }
        self.send_event(event, data)
        return data

    def event_body(self, event: str, data: dict[str, Any]) -> tuple[bytes, str]:
        """A webhook body and its signature, as Paystack would POST them."""
        body = json.dumps({"event": event, "data": data}, separators=(",", ":")).encode()
        return body, sign(self.secret, body)

    def send_event(self, event: str, data: dict[str, Any]) -> int | None:
        """POST a signed event to the webhook URL; returns the HTTP status (None if unreachable)."""
        if not self.webhook_url:
            return None
        body, signature = self.event_body(event, data)
        request = urllib.request.Request(
            self.webhook_url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "x-paystack-signature": signature},
        )
        status: int | None
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError):
            status = None
        with self._lock:
            self.webhooks.append({"event": event, "data": data, "status_code": status})
        return status


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops connections when concurrency tests send many
    # requests at once, and the client then sees a connect timeout that Paystack never caused.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakePaystack/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakePaystack:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and the command print what matters

    # --- helpers ----------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    @staticmethod
    def _parse(raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _html(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/html; charset=utf-8")

    def _authorised(self) -> bool:
        expected = f"Bearer {self.fake.secret}"
        given = self.headers.get("Authorization", "")
        return bool(self.fake.secret) and hmac.compare_digest(given.encode(), expected.encode())

    def _api(self, handler) -> None:
        """Runs an API endpoint: faults first, then the bearer check, then the work."""
        fault = self.fake._take_fault()
        if fault is not None and fault.kind == "timeout":
            if fault.act and self._authorised():
                status, payload = handler()
                time.sleep(fault.seconds)
                self._json(status, payload)
                return
            time.sleep(fault.seconds)
            self._json(504, {"status": False, "message": "Timed out"})
            return
        if fault is not None:
            if fault.status == "bad_json":
                self._send(200, b"<html>not json", "text/html")
            else:
                self._json(int(fault.status), {"status": False, "message": "Server error"})
            return
        if not self._authorised():
            self._json(401, {"status": False, "message": "Invalid key"})
            return
        status, payload = handler()
        self._json(status, payload)

    # --- routing ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        parts = [p for p in path.split("/") if p]
        fake = self.fake
        if parts[:2] == ["transaction", "verify"] and len(parts) == 3:
            reference = unquote(parts[2])
            with fake._lock:
                fake.requests.append({"method": "GET", "path": path})
            self._api(lambda: fake.verify(reference))
        elif parts[:1] == ["refund"] and len(parts) <= 2:
            query = urlsplit(self.path).query
            with fake._lock:
                fake.requests.append({"method": "GET", "path": path, "query": query})
            if len(parts) == 2:
                refund_id = unquote(parts[1])
                self._api(lambda: fake.fetch_refund(refund_id))
            else:
                query = parse_qs(urlsplit(self.path).query)
                transaction = (query.get("transaction") or [""])[0]
                self._api(lambda: fake.list_refunds(transaction))
        elif parts == ["bank"] or parts == ["bank", "resolve"]:
            query = parse_qs(urlsplit(self.path).query)
            with fake._lock:
                fake.requests.append({"method": "GET", "path": path, "query": query})
            if parts == ["bank"]:
                country = (query.get("country") or [""])[0]
                self._api(lambda: fake.list_banks(country))
            else:
                number = (query.get("account_number") or [""])[0]
                code = (query.get("bank_code") or [""])[0]
                self._api(lambda: fake.resolve_account(number, code))
        elif parts[:2] == ["transfer", "verify"] and len(parts) == 3:
            reference = unquote(parts[2])
            with fake._lock:
                fake.requests.append({"method": "GET", "path": path})
            self._api(lambda: fake.verify_transfer(reference))
        elif parts == ["_control", "transfers"]:
            with fake._lock:
                self._json(200, list(fake.transfers.values()))
        elif parts[:1] == ["checkout"] and len(parts) == 2:
            self._checkout_page(parts[1])
        elif parts == ["_control", "refunds"]:
            with fake._lock:
                self._json(200, list(fake.refunds))
        elif parts == ["_control", "transactions"]:
            with fake._lock:
                self._json(200, [fake._public_transaction(t) for t in fake.transactions.values()])
        elif parts == ["_control", "webhooks"]:
            with fake._lock:
                self._json(200, list(fake.webhooks))
        elif parts == ["_control", "requests"]:
            with fake._lock:
                self._json(200, list(fake.requests))
        else:
            self._json(404, {"status": False, "message": "Not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        parts = [p for p in path.split("/") if p]
        fake = self.fake
        # Always read the whole body first so a keep-alive connection stays usable.
        body = self._parse(self._read_body())
        if parts in (["transaction", "initialize"], ["refund"]):
            with fake._lock:
                fake.requests.append({"method": "POST", "path": path, "body": body})
            action = fake.initialize if parts[0] == "transaction" else fake.refund
            self._api(lambda: action(body))
        elif parts in (["transferrecipient"], ["transfer"]):
            with fake._lock:
                fake.requests.append({"method": "POST", "path": path, "body": body})
            action = fake.create_recipient if parts[0] == "transferrecipient" else fake.transfer
            self._api(lambda: action(body))
        elif parts[:1] == ["checkout"] and len(parts) == 3 and parts[2] == "pay":
            self._checkout_pay(parts[1])
        elif parts[:1] == ["_control"]:
            self._control(parts[1:], body)
        else:
            self._json(404, {"status": False, "message": "Not found"})

    # --- checkout page ----------------------------------------------------------------------
    def _transaction_for_code(self, code: str) -> dict[str, Any] | None:
        with self.fake._lock:
            reference = self.fake.access_codes.get(code)
            return self.fake.transactions.get(reference) if reference else None

    def _checkout_page(self, code: str) -> None:
        transaction = self._transaction_for_code(code)
        if transaction is None:
            self._html(404, "<!doctype html><title>Not found</title><p>Unknown checkout.</p>")
            return
        amount = f"{transaction['amount'] / 100:,.2f}"
        paid = transaction["status"] == "success"
        action = f"/checkout/{quote(code)}/pay"
        button = (
            "<p>This transaction is paid.</p>"
            if paid
            else f'<form method="post" action="{html.escape(action)}">'
            '<button type="submit" name="pay" value="1">Pay</button></form>'
        )
        self._html(
            200,
            "<!doctype html><html><head><meta charset='utf-8'><title>Fake Paystack checkout"
            "</title></head><body><h1>Fake Paystack</h1>"
            f"<p>Reference: <code>{html.escape(transaction['reference'])}</code></p>"
            f"<p>Amount: {html.escape(transaction['currency'])} {amount}</p>"
            f"<p>Customer: {html.escape(transaction['customer']['email'])}</p>"
            f"{button}</body></html>",
        )

    def _checkout_pay(self, code: str) -> None:
        transaction = self._transaction_for_code(code)
        if transaction is None:
            self._html(404, "<!doctype html><title>Not found</title><p>Unknown checkout.</p>")
            return
        reference = transaction["reference"]
        if transaction["status"] != "success":
            self.fake.pay(reference, webhook=True)
        callback = transaction.get("callback_url")
        if not callback:
            self._html(200, "<!doctype html><title>Paid</title><p>Payment successful.</p>")
            return
        scheme, netloc, path, query, fragment = urlsplit(callback)
        params = parse_qs(query)
        params.update({"trxref": [reference], "reference": [reference]})
        location = urlunsplit((scheme, netloc, path, urlencode(params, doseq=True), fragment))
        self._send(303, b"", "text/plain", headers={"Location": location})

    # --- controls ---------------------------------------------------------------------------
    def _control(self, parts: list[str], body: dict[str, Any]) -> None:
        fake = self.fake
        try:
            if parts == ["reset"]:
                fake.reset()
                self._json(200, {"ok": True})
            elif parts == ["fail"]:
                status = body.get("status", 500)
                status = status if status == "bad_json" else int(status)
                fake.fail_next(int(body.get("count", 1)), status)
                self._json(200, {"ok": True})
            elif parts == ["timeout"]:
                fake.timeout_next(
                    int(body.get("count", 1)),
                    float(body.get("seconds", 12)),
                    act=bool(body.get("act", False)),
                )
                self._json(200, {"ok": True})
            elif parts == ["amount"]:
                fake.charge_amount(int(body["amount"]), body.get("reference"))
                self._json(200, {"ok": True})
            elif parts == ["pay"]:
                amount = body.get("amount")
                data = fake.pay(
                    str(body["reference"]),
                    webhook=bool(body.get("webhook", True)),
                    amount=int(amount) if amount is not None else None,
                )
                self._json(200, data)
            elif parts == ["webhook"]:
                status = fake.send_charge_event(
                    str(body["reference"]), str(body.get("event", "charge.success"))
                )
                self._json(200, {"status_code": status})
            elif parts == ["config"]:
                if "webhook_url" in body:
                    fake.webhook_url = body["webhook_url"] or None
                if "auto_process_refunds" in body:
                    fake.auto_process_refunds = bool(body["auto_process_refunds"])
                if "transfer_status" in body:
                    if body["transfer_status"] not in ("pending", "otp", "success"):
                        raise ValueError("transfer_status: pending, otp or success")
                    fake.transfer_status = body["transfer_status"]
                if "auto_settle_transfers" in body:
                    fake.auto_settle_transfers = bool(body["auto_settle_transfers"])
                self._json(200, {"ok": True})
            elif parts == ["accounts"]:
                with fake._lock:
                    key = (str(body["bank_code"]), str(body["account_number"]))
                    fake.accounts[key] = str(body["account_name"])
                self._json(200, {"ok": True})
            elif len(parts) == 3 and parts[0] == "transfers" and parts[2] in TRANSFER_OUTCOMES:
                status = fake.settle_transfer(unquote(parts[1]), parts[2])
                self._json(200, {"status_code": status})
            elif len(parts) == 3 and parts[0] == "refunds" and parts[2] in REFUND_STATUSES:
                status = fake.settle_refund(int(parts[1]), parts[2])
                self._json(200, {"status_code": status})
            elif parts == ["dashboard_refund"]:
                status = str(body.get("status", "processed"))
                refund = fake.refund_from_dashboard(
                    str(body["reference"]), int(body["amount"]), status
                )
                self._json(200, refund)
            elif parts == ["dispute"]:
                refund_amount = body.get("refund_amount")
                dispute = fake.dispute(
                    str(body["reference"]),
                    str(body.get("event", "charge.dispute.create")),
                    dispute_id=int(body["id"]) if body.get("id") else None,
                    status=body.get("status"),
                    refund_amount=int(refund_amount) if refund_amount is not None else None,
                )
                self._json(200, dispute)
            elif parts == ["subaccounts"]:
                with fake._lock:
                    fake.subaccounts.add(str(body["code"]))
                self._json(200, {"ok": True})
            else:
                self._json(404, {"status": False, "message": "Unknown control"})
        except (KeyError, ValueError, TypeError, StopIteration) as exc:
            self._json(400, {"status": False, "message": f"Bad control request: {exc!r}"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fake_paystack",
        description="Serve a fake Paystack (initialize, verify, refund, a checkout page with a "
        "Pay button, test controls under /_control/). Point PAYSTACK_BASE_URL at it.",
    )
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="Where signed webhooks are POSTed, e.g. "
        "http://127.0.0.1:8000/api/v1/payments/paystack/webhook/",
    )
    parser.add_argument(
        "--secret",
        default=os.environ.get("PAYSTACK_SECRET_KEY"),
        help="Secret key (default: the PAYSTACK_SECRET_KEY environment variable).",
    )
    parser.add_argument(
        "--public-url", default=None, help="Base of authorization URLs (default: own address)."
    )
    parser.add_argument(
        "--auto-process-refunds",
        action="store_true",
        help="Settle every refund at once and send refund.processed.",
    )
    parser.add_argument(
        "--auto-settle-transfers",
        action="store_true",
        help="Complete every transfer at once and send transfer.success.",
    )
    parser.add_argument(
        "--subaccount",
        action="append",
        default=[],
        help="A subaccount code the fake knows (repeatable); others are refused like Paystack.",
    )
    options = parser.parse_args(argv)
    if not options.secret:
        parser.error("set PAYSTACK_SECRET_KEY or pass --secret")
    fake = FakePaystack(
        secret=options.secret,
        host=options.host,
        port=options.port,
        webhook_url=options.webhook_url,
        public_url=options.public_url,
        auto_process_refunds=options.auto_process_refunds,
        subaccounts=tuple(options.subaccount),
    )
    fake.auto_settle_transfers = options.auto_settle_transfers
    try:
        fake.bind()
    except OSError as exc:
        print(f"Cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    print(
        f"Fake Paystack on http://{fake.host}:{fake.port} "
        f"(webhooks -> {options.webhook_url or 'nowhere'})",
        flush=True,
    )
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
