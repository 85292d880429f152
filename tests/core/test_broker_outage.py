"""A broker that cannot be reached after a commit never turns committed work into a 500: the
order stands, the account exists, and the lost message is logged."""

from __future__ import annotations

import json
import logging
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from core.celery import app
from devtools.fake_paystack import sign
from orders.models import OrderGroup
from payments.models import WebhookEvent
from payments.webhooks import webhook_events_unprocessed
from products.models import Product
from tests.factories import DEFAULT_PASSWORD, ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import fill_cart
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)  # real commits, real on_commit hooks


@pytest.fixture
def broker_down():
    """Celery publishing for real (not eagerly) to a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, f"redis://127.0.0.1:{port}/0"
    app._after_fork()  # forget the connections made so far, as Celery does in a new process
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    app._after_fork()


def test_checkout_is_placed_when_the_broker_is_down(client_for, broker_down, caplog):
    buyer = UserFactory()
    shop = ShopFactory(low_stock_threshold=5)
    product = ProductFactory(shop=shop, stock=6)  # falls to the threshold: an alert too
    fill_cart(buyer, [(product, 1)])
    with caplog.at_level(logging.ERROR):
        response = client_for(buyer).post(
            "/api/v1/checkout/",
            {"fulfillment_method": "pickup", "payment_method": "cash"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="outage-1",
        )
    assert response.status_code == 201, response.content
    assert OrderGroup.objects.filter(id=response.json()["data"]["id"]).exists()
    assert Product.objects.get(id=product.id).stock == 5
    lost = [r for r in caplog.records if "on_commit()" in r.getMessage()]
    assert len(lost) == 2  # the order e-mails and the low-stock alert, each logged
    replay = client_for(buyer).post(
        "/api/v1/checkout/",
        {"fulfillment_method": "pickup", "payment_method": "cash"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="outage-1",
    )
    assert replay.status_code == 201 and replay.json() == response.json()  # the key kept it


def test_registration_stands_when_the_broker_is_down(api_client, broker_down, caplog):
    with caplog.at_level(logging.ERROR):
        response = api_client.post(
            "/api/v1/auth/register/",
            {
                "email": "outage@example.com",
                "password": DEFAULT_PASSWORD,
                "first_name": "Ada",
                "last_name": "Obi",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert User.objects.filter(email="outage@example.com").exists()
    assert any("on_commit()" in r.getMessage() for r in caplog.records)


def test_a_stored_webhook_event_is_answered_200_when_the_broker_is_down(
    api_client, broker_down, caplog, settings
):
    body = json.dumps({"event": "charge.success", "data": {"reference": "outage-ref"}}).encode()
    with caplog.at_level(logging.ERROR):
        response = api_client.generic(
            "POST",
            "/api/v1/payments/paystack/webhook/",
            body,
            content_type="application/json",
            HTTP_X_PAYSTACK_SIGNATURE=sign(settings.PAYSTACK_SECRET_KEY, body),
        )
    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get(event="charge.success")
    assert event.processed_at is None
    assert any("stored but not queued" in r.getMessage() for r in caplog.records)
    # Not yet a minute old: left to its own task; after a minute the sweep takes it.
    assert webhook_events_unprocessed() == []
    later = timezone.now() + timedelta(minutes=1, seconds=1)
    assert webhook_events_unprocessed(now=later) == [event.pk]
