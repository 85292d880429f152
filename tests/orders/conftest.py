from __future__ import annotations

import pytest

from tests.factories import AddressFactory


@pytest.fixture
def address(customer):
    return AddressFactory(user=customer)


@pytest.fixture
def client(customer, client_for):
    return client_for(customer)
