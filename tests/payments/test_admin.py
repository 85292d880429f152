"""Django admin: payments with their refunds and webhook events inline, money read-only."""

from __future__ import annotations

import pytest

from payments.models import Payment, Refund, WebhookEvent
from tests.payments.helpers import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def payment(customer):
    group, orders, _ = make_group(customer=customer)
    payment = Payment.objects.create(
        reference="PAY-ADMIN-1", group=group, amount=300000, currency="NGN", status="success"
    )
    Refund.objects.create(payment=payment, order=orders[0], amount=1000, reason="test")
    WebhookEvent.objects.create(
        event_key="charge.success:1:PAY-ADMIN-1:success",
        event="charge.success",
        payload={"event": "charge.success", "data": {"reference": "PAY-ADMIN-1"}},
        payment=payment,
    )
    return payment


def test_payment_change_page_shows_refunds_and_events_read_only(admin_client_logged_in, payment):
    response = admin_client_logged_in.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "PAY-ADMIN-1" in html
    assert "charge.success:1:PAY-ADMIN-1:success" in html  # the event inline
    assert "1000" in html  # the refund inline
    # Money fields are not inputs.
    assert 'name="amount"' not in html
    assert 'name="refunds-0-amount"' not in html
    assert 'name="currency"' not in html


def test_money_cannot_be_changed_through_the_admin(admin_client_logged_in, payment):
    response = admin_client_logged_in.post(
        f"/admin/payments/payment/{payment.pk}/change/",
        {
            "status": "success",
            "amount": "1",
            "refunds-TOTAL_FORMS": "1",
            "refunds-INITIAL_FORMS": "1",
            "refunds-MIN_NUM_FORMS": "0",
            "refunds-MAX_NUM_FORMS": "1000",
            "refunds-0-id": str(payment.refunds.get().pk),
            "refunds-0-payment": str(payment.pk),
            "refunds-0-amount": "5",
            "webhook_events-TOTAL_FORMS": "1",
            "webhook_events-INITIAL_FORMS": "1",
            "webhook_events-MIN_NUM_FORMS": "0",
            "webhook_events-MAX_NUM_FORMS": "1000",
            "webhook_events-0-id": str(payment.webhook_events.get().pk),
            "webhook_events-0-payment": str(payment.pk),
        },
    )
    assert response.status_code in (200, 302)
    payment.refresh_from_db()
    assert payment.amount == 300000
    assert payment.refunds.get().amount == 1000


@pytest.mark.parametrize("model", ["payment", "refund", "webhookevent"])
def test_changelists_load(admin_client_logged_in, payment, model):
    response = admin_client_logged_in.get(f"/admin/payments/{model}/")
    assert response.status_code == 200
    assert admin_client_logged_in.get(f"/admin/payments/{model}/add/").status_code == 403
