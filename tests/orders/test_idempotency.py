"""`Idempotency-Key` on checkout (core/idempotency.py), and the purge of expired keys."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from carts.models import CartItem
from core import idempotency
from core.idempotency import idempotency_keys_purge
from core.locks import session_lock_try
from core.models import IdempotencyKey
from core.tasks import purge_expired_idempotency_keys
from orders import views as order_views
from orders.models import OrderGroup
from products.models import Product
from tests.factories import AddressFactory, ProductFactory, UserFactory
from tests.orders.helpers import assert_error, checkout, fill_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(customer):
    product = ProductFactory(stock=10)
    fill_cart(customer, [(product, 2)])
    return product


def test_replay_returns_the_first_response_and_creates_nothing(client, address, product):
    first = checkout(client, address=address, idempotency_key="order-1")
    assert first.status_code == 201
    again = checkout(client, address=address, idempotency_key="order-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert OrderGroup.objects.count() == 1
    assert Product.objects.get(id=product.id).stock == 8
    row = IdempotencyKey.objects.get(key="order-1")
    assert row.state == "completed" and row.response_status == 201
    assert row.scope == "POST /api/v1/checkout/"


def test_same_key_other_body_is_reused(client, address, product):
    assert checkout(client, address=address, idempotency_key="k").status_code == 201
    response = checkout(client, fulfillment="pickup", idempotency_key="k")
    assert_error(response, 409, "idempotency_key_reused")


def test_same_key_on_another_endpoint_is_reused(client, address, product):
    group_id = checkout(client, address=address, idempotency_key="k").json()["data"]["id"]
    response = client.post(
        f"/api/v1/order-groups/{group_id}/cancel/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert_error(response, 409, "idempotency_key_reused")
    assert OrderGroup.objects.get(id=group_id).status == "pending"


@contextmanager
def key_held_elsewhere(user, key: str) -> Iterator[None]:
    """The key's lock held by another database connection, as by a request still running."""
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            assert session_lock_try(idempotency._lock_name(user, key))
            taken.set()
            done.wait(30)
        finally:
            connection.close()  # the database releases the lock with the connection

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        done.set()
        thread.join(10)


def in_progress_row(customer, address, key: str) -> IdempotencyKey:
    body = {
        "fulfillment_method": "delivery",
        "payment_method": "paystack",
        "shipping_address_id": str(address.id),
    }
    return IdempotencyKey.objects.create(
        user=customer,
        key=key,
        scope="POST /api/v1/checkout/",
        request_hash=idempotency.request_fingerprint(body),
        expires_at=timezone.now() + timedelta(hours=24),
    )


@pytest.mark.skipif(connection.vendor == "sqlite", reason="no session locks")
def test_key_still_in_progress_is_409(client, customer, address, product):
    in_progress_row(customer, address, "busy")
    with key_held_elsewhere(customer, "busy"):
        assert_error(
            checkout(client, address=address, idempotency_key="busy"), 409, "request_in_progress"
        )
    assert not OrderGroup.objects.exists()


@pytest.mark.skipif(connection.vendor == "sqlite", reason="no session locks")
def test_key_of_a_request_whose_connection_died_is_taken_over_at_once(
    client, customer, address, product
):
    # Claimed a moment ago by a request whose worker was killed: its lock went with its
    # connection, so a retry runs now rather than after IDEMPOTENCY_STALE_SECONDS.
    in_progress_row(customer, address, "orphan")
    with key_held_elsewhere(customer, "other-key"):
        response = checkout(client, address=address, idempotency_key="orphan")
    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="orphan").state == "completed"
    assert checkout(client, address=address, idempotency_key="orphan").json() == response.json()


def test_abandoned_in_progress_key_is_taken_over(client, customer, address, product):
    row = IdempotencyKey.objects.create(
        user=customer,
        key="stale",
        scope="POST /api/v1/checkout/",
        request_hash="x" * 64,
        expires_at=timezone.now() + timedelta(hours=24),
    )
    IdempotencyKey.objects.filter(id=row.id).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert checkout(client, address=address, idempotency_key="stale").status_code == 201


def test_expired_key_is_replaced(client, customer, address, product):
    assert checkout(client, address=address, idempotency_key="old").status_code == 201
    IdempotencyKey.objects.filter(key="old").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    fill_cart(customer, [(ProductFactory(), 1)])
    response = checkout(client, fulfillment="pickup", idempotency_key="old")
    assert response.status_code == 201
    assert OrderGroup.objects.count() == 2
    assert IdempotencyKey.objects.filter(key="old").count() == 1


def test_business_errors_are_stored_and_replayed(client, customer, address):
    first = checkout(client, address=address, idempotency_key="e")
    assert_error(first, 400, "cart_empty")
    fill_cart(customer, [(ProductFactory(), 1)])
    again = checkout(client, address=address, idempotency_key="e")
    assert again.status_code == 400
    assert again.json() == first.json()
    assert not OrderGroup.objects.exists()


def test_server_error_frees_the_key_for_a_retry(client, address, product, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(order_views, "checkout_create", boom)
    assert_error(checkout(client, address=address, idempotency_key="r"), 500, "server_error")
    assert not IdempotencyKey.objects.filter(key="r").exists()
    monkeypatch.undo()
    assert checkout(client, address=address, idempotency_key="r").status_code == 201


def test_checkout_and_its_stored_answer_commit_together(client, address, product, monkeypatch):
    # Checkout stores its answer in its own transaction (`idempotent(atomic=True)`): when that
    # fails, the checkout is undone with it, and the key is free for a retry.
    real_finish = idempotency._finish
    calls = []

    def failing_once(**kwargs):
        calls.append(kwargs["response"].status_code)
        if len(calls) == 1:
            raise RuntimeError("could not store the answer")
        return real_finish(**kwargs)

    monkeypatch.setattr(idempotency, "_finish", failing_once)
    assert_error(checkout(client, address=address, idempotency_key="k"), 500, "server_error")
    assert calls == [201, 500]
    assert not OrderGroup.objects.exists()
    assert Product.objects.get(id=product.id).stock == 10
    assert CartItem.objects.filter(product=product).exists()
    assert not IdempotencyKey.objects.filter(key="k").exists()
    monkeypatch.undo()
    assert checkout(client, address=address, idempotency_key="k").status_code == 201
    assert Product.objects.get(id=product.id).stock == 8
    assert IdempotencyKey.objects.get(key="k").state == "completed"


def test_keys_belong_to_one_account(client, client_for, address, product):
    assert checkout(client, address=address, idempotency_key="shared").status_code == 201
    other = UserFactory()
    fill_cart(other, [(ProductFactory(), 1)])
    response = checkout(
        client_for(other), address=AddressFactory(user=other), idempotency_key="shared"
    )
    assert response.status_code == 201
    assert OrderGroup.objects.count() == 2


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "é"])
def test_malformed_key_is_400(client, address, product, key):
    response = client.post(
        "/api/v1/checkout/",
        {"fulfillment_method": "pickup", "payment_method": "cash"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert_error(response, 400, "validation_error")
    assert not OrderGroup.objects.exists()


def test_purge_deletes_only_expired_keys(customer):
    now = timezone.now()
    for n, delta in enumerate([-2, -1, 1]):
        IdempotencyKey.objects.create(
            user=customer,
            key=f"k{n}",
            scope="s",
            request_hash="h",
            expires_at=now + timedelta(hours=delta),
        )
    assert purge_expired_idempotency_keys.delay().get() == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k2"]
    assert idempotency_keys_purge(now=now + timedelta(hours=2)) == 1
