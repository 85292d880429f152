import pytest

from tests.shops.helpers import build_world


@pytest.fixture
def world(db, client_for):
    return build_world(client_for)
