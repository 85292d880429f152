"""The one client for Paystack's HTTP API.

It owns the base URL, the secret key, the timeouts and the mapping of every failure to our
error codes: connection errors, 5xx answers, ``408``/``429`` (Paystack busy or rate limiting
us) and unreadable bodies become
``502 payment_provider_error`` (:class:`ProviderUnavailable`), timeouts become
``504 payment_provider_timeout`` (:class:`ProviderTimeout`), and Paystack's own refusals
(``"status": false``) become ``502 payment_provider_error`` carrying Paystack's message
(:class:`ProviderRejected`). The first two are transient (worth retrying); a refusal is not.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

from core.errors import PaymentProviderError, PaymentProviderTimeout
from payments import decisions

logger = logging.getLogger(__name__)


class ProviderUnavailable(PaymentProviderError):
    """Paystack could not be reached, failed (5xx), asked us to come back later (408, 429) or
    answered something unreadable. Nothing is known about the request's object: retry later."""


class ProviderTimeout(PaymentProviderTimeout):
    """Paystack did not answer within the configured timeouts.

    `request_sent` is False only when the connection could not even be opened (the request
    never left); otherwise Paystack may have acted on it and the outcome is unknown.
    """

    def __init__(self, message: str | None = None, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class ProviderRejected(PaymentProviderError):
    """Paystack answered ``"status": false``; its message is passed on.

    `http_status` tells a refusal of the request itself (400, 404: e.g. an unknown reference)
    from a refusal of our credentials (401, 403), which says nothing about the transaction.
    """

    def __init__(self, message: str | None = None, *, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status


# Answers that are not a verdict on the request: Paystack is busy or rate limiting us.
RETRY_LATER_STATUSES = frozenset({408, 429})

# Failures worth retrying later; a rejection is Paystack's considered answer.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (ProviderUnavailable, ProviderTimeout)

_sessions = threading.local()


def _session() -> requests.Session:
    # One pooled session per thread: gunicorn threads, Celery workers and test threads never
    # share a connection pool.
    session = getattr(_sessions, "session", None)
    if session is None:
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "marketplace/1.0"})
        _sessions.session = session
    return session


class PaystackClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        secret_key: str | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        self.base_url = (base_url or settings.PAYSTACK_BASE_URL).rstrip("/")
        self.secret_key = secret_key if secret_key is not None else settings.PAYSTACK_SECRET_KEY
        self.timeout = tuple(timeout or getattr(settings, "PAYSTACK_TIMEOUT", (3, 10)))

    # --- endpoints --------------------------------------------------------------------------
    def initialize(
        self,
        *,
        email: str,
        amount: int,
        reference: str,
        currency: str,
        callback_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        split: dict[str, Any] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """``POST /transaction/initialize``: ``{authorization_url, access_code, reference}``.

        `deadline` bounds the whole call in seconds (connect + read), below the usual timeouts.
        """
        body: dict[str, Any] = {
            "email": email,
            "amount": amount,
            "reference": reference,
            "currency": currency,
        }
        if callback_url:
            body["callback_url"] = callback_url
        if metadata:
            body["metadata"] = metadata
        if split:
            body["split"] = split
        timeout = None
        if deadline is not None:
            connect = min(self.timeout[0], deadline / 2)
            timeout = (connect, max(min(self.timeout[1], deadline - connect), 0.1))
        return self._call("POST", "/transaction/initialize", json=body, timeout=timeout)

    def verify(self, reference: str) -> dict[str, Any]:
        """``GET /transaction/verify/{reference}``: the transaction as Paystack knows it."""
        return self._call("GET", f"/transaction/verify/{requests.utils.quote(reference, safe='')}")

    def refund(self, *, transaction: str, amount: int) -> dict[str, Any]:
        """``POST /refund`` of `amount` kobo of the transaction with reference `transaction`."""
        return self._call("POST", "/refund", json={"transaction": transaction, "amount": amount})

    def fetch_refund(self, refund_id: str) -> dict[str, Any]:
        """``GET /refund/{id}``: one refund as Paystack knows it."""
        return self._call("GET", f"/refund/{requests.utils.quote(refund_id, safe='')}")

    def list_refunds(self, *, transaction: str) -> list[dict[str, Any]]:
        """``GET /refund?transaction=<id>``: the refunds of one transaction, by Paystack's
        numeric transaction id (a reference matches nothing)."""
        data = self._request("GET", "/refund", params={"transaction": transaction, "perPage": 100})
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    # --- transfers (payouts) ---------------------------------------------------------------
    def list_banks(self, *, country: str = "nigeria") -> list[dict[str, Any]]:
        """``GET /bank?country=``: the banks Paystack can pay into (every page)."""
        banks: list[dict[str, Any]] = []
        params: dict[str, Any] = {"country": country, "perPage": 100, "use_cursor": "true"}
        for _ in range(20):  # at most 2,000 banks: Paystack's list is a few hundred
            payload = self._envelope("GET", "/bank", params=params)
            data = payload.get("data")
            banks += [b for b in data if isinstance(b, dict)] if isinstance(data, list) else []
            meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
            cursor = meta.get("next")
            if not cursor:
                break
            params = {**params, "next": cursor}
        return banks

    def resolve_account(self, *, account_number: str, bank_code: str) -> dict[str, Any]:
        """``GET /bank/resolve``: `{account_number, account_name, bank_id}`."""
        return self._call_params(
            "/bank/resolve", {"account_number": account_number, "bank_code": bank_code}
        )

    def create_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> dict[str, Any]:
        """``POST /transferrecipient`` of a Nigerian bank account (`type: nuban`)."""
        body = {
            "type": "nuban",
            "name": name,
            "account_number": account_number,
            "bank_code": bank_code,
            "currency": currency,
        }
        return self._call("POST", "/transferrecipient", json=body)

    def transfer(
        self, *, amount: int, recipient: str, reference: str, reason: str, currency: str
    ) -> dict[str, Any]:
        """``POST /transfer`` from the balance: `{transfer_code, status, reference, ...}`;
        `status` is `pending`, `success`, or `otp` (Paystack waits for a one-time password)."""
        body = {
            "source": "balance",
            "amount": amount,
            "recipient": recipient,
            "reference": reference,
            "reason": reason,
            "currency": currency,
        }
        return self._call("POST", "/transfer", json=body)

    def verify_transfer(self, reference: str) -> dict[str, Any]:
        """``GET /transfer/verify/{reference}``: the transfer as Paystack knows it."""
        return self._call("GET", f"/transfer/verify/{requests.utils.quote(reference, safe='')}")

    # --- plumbing ---------------------------------------------------------------------------
    def _call_params(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        data = self._request("GET", path, params=params)
        return data if isinstance(data, dict) else {}

    def _envelope(self, method: str, path: str, *, params: dict[str, Any]) -> dict[str, Any]:
        """The whole answer (`data` and `meta`), for the lists that page."""
        return self._request(method, path, params=params, whole=True)

    def _call(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        """An endpoint whose `data` is an object (`{}` when Paystack sends anything else)."""
        data = self._request(method, path, json=json, timeout=timeout)
        return data if isinstance(data, dict) else {}

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: tuple[float, float] | None = None,
        whole: bool = False,
    ) -> Any:
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self.secret_key}"}
        try:
            response = _session().request(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                timeout=timeout or self.timeout,
            )
        except requests.Timeout as exc:
            logger.warning("Paystack %s %s timed out: %s", method, path, exc)
            sent = not isinstance(exc, requests.ConnectTimeout)
            raise ProviderTimeout(request_sent=sent) from exc
        except requests.RequestException as exc:
            logger.warning("Paystack %s %s failed: %s", method, path, exc)
            raise ProviderUnavailable() from exc

        if response.status_code >= 500 or response.status_code in RETRY_LATER_STATUSES:
            logger.warning("Paystack %s %s answered %s", method, path, response.status_code)
            raise ProviderUnavailable()
        try:
            payload = response.json()
        except ValueError as exc:
            logger.warning("Paystack %s %s answered unreadable JSON", method, path)
            raise ProviderUnavailable() from exc
        if not isinstance(payload, dict):
            raise ProviderUnavailable()

        if payload.get("status") is not True or response.status_code >= 400:
            message = payload.get("message")
            text = message if isinstance(message, str) and message else "Request refused."
            logger.info("Paystack %s %s refused: %s", method, path, text)
            raise ProviderRejected(
                f"The payment provider refused the request: {text[:200]}",
                http_status=response.status_code,
            )

        return payload if whole else payload.get("data")


# --- Circuit breaker for initialisation ----------------------------------------------------------
# Initialisation runs in web workers: while Paystack keeps failing, answering 502/504 at once
# keeps them free. The state lives in the cache (shared by every worker); a cache that cannot
# be reached leaves the breaker closed (Paystack is called as usual).
BREAKER_FAILURES_KEY = "paystack:initialize:failures"
BREAKER_OPEN_KEY = "paystack:initialize:open"


def breaker_check() -> None:
    """Raise at once, without calling Paystack, while the breaker is open."""
    try:
        kind = cache.get(BREAKER_OPEN_KEY)
    except Exception:
        logger.warning("Paystack breaker: cache unreachable, breaker left closed", exc_info=True)
        return
    if kind == "timeout":
        raise ProviderTimeout("The payment provider is not answering; try again shortly.")
    if kind:
        raise ProviderUnavailable("The payment provider is failing; try again shortly.")


def breaker_record(*, error: Exception | None) -> None:
    """Count a transient failure of Paystack (opening the breaker after
    ``PAYSTACK_BREAKER_THRESHOLD`` in a row), or reset the count after a success."""
    cooldown = settings.PAYSTACK_BREAKER_COOLDOWN
    try:
        if error is None:
            cache.delete(BREAKER_FAILURES_KEY)
            return
        cache.add(BREAKER_FAILURES_KEY, 0, timeout=cooldown)
        failures = cache.incr(BREAKER_FAILURES_KEY)
        threshold = settings.PAYSTACK_BREAKER_THRESHOLD
        if decisions.breaker_opens(failures=failures, threshold=threshold):
            kind = "timeout" if isinstance(error, ProviderTimeout) else "error"
            cache.set(BREAKER_OPEN_KEY, kind, timeout=cooldown)
            cache.delete(BREAKER_FAILURES_KEY)
            logger.warning("Paystack breaker open for %ss after %s failures", cooldown, failures)
    except Exception:
        logger.warning("Paystack breaker: cache unreachable, failure not counted", exc_info=True)


def get_client() -> PaystackClient:
    """A client configured from the current settings (read at call time)."""
    return PaystackClient()
