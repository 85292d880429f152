"""GET /payments/{reference}/: who sees what, and ?refresh=true asking Paystack now."""

from __future__ import annotations

import pytest

from payments.models import Payment
from payments.services import payment_initialize
from tests import factories

pytestmark = pytest.mark.django_db


def url(reference: str, query: str = "") -> str:
    return f"/api/v1/payments/{reference}/{query}"


@pytest.fixture
def started(customer, paystack_group, fake_paystack):
    return payment_initialize(group=paystack_group, email=customer.email)


def test_customer_sees_the_payment(client_for, customer, started):
    response = client_for(customer).get(url(started.reference))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data == {
        "reference": started.reference,
        "status": "pending",
        "amount": 300000,
        "currency": "NGN",
        "provider": "paystack",
        "order_group_id": str(started.group_id),
        "authorization_url": started.authorization_url,
        "paid_at": None,
        "refunds": [],
        "disputes": [],
        "created_at": data["created_at"],
    }


def test_admin_sees_it_others_do_not(client_for, admin_user, started, api_client):
    assert client_for(admin_user).get(url(started.reference)).status_code == 200
    stranger = client_for(factories.UserFactory()).get(url(started.reference))
    assert stranger.status_code == 404 and stranger.json()["code"] == "not_found"
    owner = started.group.orders.first().shop.owner
    assert client_for(owner).get(url(started.reference)).status_code == 404
    assert api_client.get(url(started.reference)).status_code == 401


def test_an_attempt_refused_by_paystack_has_a_null_authorization_url(
    client_for, customer, paystack_group, fake_paystack
):
    fake_paystack.fail_next(status=500)
    client = client_for(customer)
    assert client.post(f"/api/v1/order-groups/{paystack_group.id}/payments/").status_code == 502
    payment = Payment.objects.get()
    response = client.get(url(payment.reference))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "failed"
    assert data["authorization_url"] is None  # documented as a nullable URI, never ""


def test_unknown_and_malformed_references(client_for, customer):
    client = client_for(customer)
    assert client.get(url("NOPE-1")).json()["code"] == "not_found"
    assert client.get("/api/v1/payments/bad%20ref!/").status_code == 404


def test_refresh_verifies_and_pays(
    client_for, customer, started, fake_paystack, django_capture_on_commit_callbacks
):
    fake_paystack.pay(started.reference, webhook=False)  # the webhook was lost
    client = client_for(customer)
    assert client.get(url(started.reference)).json()["data"]["status"] == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url(started.reference, "?refresh=true"))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "success"
    assert data["paid_at"] is not None
    started.group.refresh_from_db()
    assert started.group.payment_status == "paid"


def test_refresh_of_a_paid_payment_does_not_call_paystack(
    client_for, customer, started, fake_paystack
):
    Payment.objects.filter(pk=started.pk).update(status="success")
    calls = len(fake_paystack.requests)
    response = client_for(customer).get(url(started.reference, "?refresh=true"))
    assert response.json()["data"]["status"] == "success"
    assert len(fake_paystack.requests) == calls


def test_refresh_maps_provider_failures(client_for, customer, started, fake_paystack, settings):
    client = client_for(customer)
    fake_paystack.fail_next(status=500)
    response = client.get(url(started.reference, "?refresh=true"))
    assert (response.status_code, response.json()["code"]) == (502, "payment_provider_error")
    settings.PAYSTACK_TIMEOUT = (1.0, 0.3)
    fake_paystack.timeout_next(seconds=0.8)
    response = client.get(url(started.reference, "?refresh=true"))
    assert (response.status_code, response.json()["code"]) == (504, "payment_provider_timeout")
    started.refresh_from_db()
    assert started.status == Payment.Status.PENDING


def test_refresh_must_be_a_boolean(client_for, customer, started):
    response = client_for(customer).get(url(started.reference, "?refresh=maybe"))
    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]


def test_refunds_are_listed(client_for, customer, started):
    Payment.objects.filter(pk=started.pk).update(status="success")
    started.refunds.create(amount=1000, reason="x")
    data = client_for(customer).get(url(started.reference)).json()["data"]
    assert [(r["amount"], r["status"]) for r in data["refunds"]] == [(1000, "pending")]
    assert set(data["refunds"][0]) == {"id", "amount", "status", "created_at"}
