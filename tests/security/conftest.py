from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from devtools.fake_paystack import FakePaystack
from tests.security.world import World, build_world


@pytest.fixture(scope="session")
def _security_paystack():
    fake = FakePaystack(secret=django_settings.PAYSTACK_SECRET_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def world(db, settings, _security_paystack) -> World:
    """One world per test; payment initialisation talks to the local fake Paystack."""
    _security_paystack.reset()
    settings.PAYSTACK_BASE_URL = _security_paystack.base_url
    return build_world()
