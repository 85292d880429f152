"""The Paystack client against the fake over real HTTP: shapes, auth, and failure mapping."""

from __future__ import annotations

import socket
import time

import pytest

from core.errors import PaymentProviderError, PaymentProviderTimeout
from payments.paystack import (
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    get_client,
)


def _initialize(client, reference="REF-1", amount=150000):
    return client.initialize(
        email="ada@example.com",
        amount=amount,
        reference=reference,
        currency="NGN",
        callback_url="http://frontend.test/checkout/complete",
        metadata={"order_group_id": "g-1"},
    )


def test_initialize_verify_and_refund_round_trip(fake_paystack):
    client = get_client()
    data = _initialize(client)
    assert data["reference"] == "REF-1"
    assert data["access_code"]
    assert data["authorization_url"] == f"{fake_paystack.base_url}/checkout/{data['access_code']}"

    before = client.verify("REF-1")
    assert before["status"] == "abandoned"
    assert before["amount"] == 150000

    fake_paystack.pay("REF-1", webhook=False)
    after = client.verify("REF-1")
    assert after["status"] == "success"
    assert after["currency"] == "NGN"
    assert after["metadata"] == {"order_group_id": "g-1"}

    refund = client.refund(transaction="REF-1", amount=50000)
    assert refund["status"] == "pending"
    assert refund["amount"] == 50000
    assert refund["transaction"]["reference"] == "REF-1"
    assert fake_paystack.refunds[0]["amount"] == 50000


def test_bearer_secret_is_sent_and_checked(fake_paystack, settings):
    settings.PAYSTACK_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(ProviderRejected) as caught:
        _initialize(get_client())
    assert caught.value.status_code == 502
    assert caught.value.http_status == 401
    assert "Invalid key" in caught.value.message


def test_status_false_carries_paystack_message(fake_paystack):
    client = get_client()
    _initialize(client, reference="DUP-1")
    with pytest.raises(ProviderRejected) as caught:
        _initialize(client, reference="DUP-1")
    assert caught.value.code == "payment_provider_error"
    assert "Duplicate Transaction Reference" in caught.value.message

    with pytest.raises(ProviderRejected) as caught:
        client.verify("NO-SUCH-REF")
    assert "Transaction reference not found" in caught.value.message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_provider_error(fake_paystack, status):
    fake_paystack.fail_next(status=status)
    with pytest.raises(ProviderUnavailable) as caught:
        get_client().verify("ANY")
    assert isinstance(caught.value, PaymentProviderError)
    assert caught.value.status_code == 502
    assert caught.value.code == "payment_provider_error"
    # The fault was one-off: the next call gets through.
    with pytest.raises(ProviderRejected):
        get_client().verify("ANY")


@pytest.mark.parametrize("status", [408, 429])
def test_busy_or_rate_limited_is_transient_not_a_refusal(fake_paystack, status):
    fake_paystack.fail_next(status=status)
    with pytest.raises(ProviderUnavailable) as caught:
        get_client().verify("ANY")
    assert not isinstance(caught.value, ProviderRejected)
    assert caught.value.status_code == 502


def test_read_timeout_says_the_request_may_have_been_sent(fake_paystack, settings):
    settings.PAYSTACK_TIMEOUT = (1.0, 0.3)
    fake_paystack.timeout_next(seconds=1.0)
    with pytest.raises(ProviderTimeout) as caught:
        get_client().refund(transaction="ANY", amount=100)
    assert caught.value.request_sent is True


def test_unreadable_body_is_provider_error(fake_paystack):
    fake_paystack.fail_next(status="bad_json")
    with pytest.raises(ProviderUnavailable):
        _initialize(get_client())


def test_timeout_is_provider_timeout(fake_paystack, settings):
    settings.PAYSTACK_TIMEOUT = (1.0, 0.3)
    fake_paystack.timeout_next(seconds=1.0)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        get_client().verify("ANY")
    assert time.monotonic() - started < 0.9  # the read timeout fired, not the fake's answer
    assert isinstance(caught.value, PaymentProviderTimeout)
    assert caught.value.status_code == 504
    assert caught.value.code == "payment_provider_timeout"


def test_connection_refused_is_provider_error(settings):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.PAYSTACK_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(ProviderUnavailable) as caught:
        get_client().verify("ANY")
    assert caught.value.status_code == 502


def test_reference_is_url_quoted(fake_paystack):
    # References may contain '=' and '.', which must reach Paystack intact.
    _initialize(get_client(), reference="PAY-A.B=C")
    assert get_client().verify("PAY-A.B=C")["reference"] == "PAY-A.B=C"
