from __future__ import annotations

import pytest

from devtools.fake_paystack import FakePaystack
from tests.payments.helpers import make_group

SECRET = "sk_test_fake_secret"  # core.settings.test's PAYSTACK_SECRET_KEY


@pytest.fixture(scope="session")
def _fake_paystack_server():
    fake = FakePaystack(secret=SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_paystack(_fake_paystack_server, settings) -> FakePaystack:
    """The fake Paystack on a free local port, reset, with the client pointed at it.

    Timeouts are short so timeout tests stay fast; webhooks go nowhere unless a test sets
    `fake_paystack.webhook_url`.
    """
    fake = _fake_paystack_server
    fake.reset()
    fake.webhook_url = None
    fake.auto_process_refunds = False
    settings.PAYSTACK_SECRET_KEY = SECRET
    settings.PAYSTACK_BASE_URL = fake.base_url
    settings.PAYSTACK_TIMEOUT = (1.0, 0.5)
    yield fake
    fake.reset()


@pytest.fixture
def paystack_group(customer):
    group, _orders, _products = make_group(customer=customer)
    return group
