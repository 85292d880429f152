"""A request whose database connection is terminated answers `503 service_unavailable` (with
`Retry-After`), writes nothing, and a retry with the same `Idempotency-Key` runs."""

from __future__ import annotations

import pytest
from django.db import connection

from orders.models import OrderGroup
from products.models import Product
from tests.factories import ProductFactory, UserFactory
from tests.faults import terminate_this_connection
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.django_db(transaction=True)  # the connection really ends

PICKUP_CASH = {"fulfillment_method": "pickup", "payment_method": "cash"}


def test_checkout_on_a_terminated_connection_answers_503_and_a_retry_runs(client_for):
    buyer = UserFactory()
    product = ProductFactory(stock=5)
    fill_cart(buyer, [(product, 2)])
    client = client_for(buyer)

    terminate_this_connection()
    response = client.post("/api/v1/checkout/", PICKUP_CASH, format="json",
                           HTTP_IDEMPOTENCY_KEY="blip")  # fmt: skip
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"

    connection.close()  # what the next request does with a connection that failed
    assert not OrderGroup.objects.exists()
    assert Product.objects.get(id=product.id).stock == 5

    again = client.post("/api/v1/checkout/", PICKUP_CASH, format="json",
                        HTTP_IDEMPOTENCY_KEY="blip")  # fmt: skip
    assert again.status_code == 201, again.content
    assert Product.objects.get(id=product.id).stock == 3
