"""POST /order-groups/{id}/payments/: who may pay, what is sent to Paystack, failures."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import OrderGroup
from payments.models import Payment
from tests import factories
from tests.payments.helpers import make_group

pytestmark = pytest.mark.django_db


def url(group_id) -> str:
    return f"/api/v1/order-groups/{group_id}/payments/"


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "error" and body["code"] == code
    return body


def test_initialise_stores_attempt_and_returns_authorization(
    client_for, customer, paystack_group, fake_paystack
):
    response = client_for(customer).post(url(paystack_group.id), {}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == {
        "reference",
        "authorization_url",
        "access_code",
        "amount",
        "currency",
        "status",
    }
    assert data["amount"] == 300000  # 2 x 1500.00 NGN in kobo
    assert data["currency"] == "NGN"
    assert data["status"] == "pending"
    assert re.fullmatch(r"[A-Za-z0-9.=\-]+", data["reference"])
    assert data["authorization_url"].startswith(f"{fake_paystack.base_url}/checkout/")

    payment = Payment.objects.get(reference=data["reference"])
    assert payment.group_id == paystack_group.id
    assert payment.amount == 300000
    assert payment.access_code == data["access_code"]

    sent = fake_paystack.requests[-1]["body"]
    assert sent["amount"] == 300000
    assert sent["reference"] == data["reference"]
    assert sent["email"] == customer.email
    assert sent["currency"] == "NGN"
    assert sent["metadata"]["order_group_id"] == str(paystack_group.id)
    assert "split" not in sent  # no shop has a subaccount


def test_each_initialisation_is_a_new_attempt(client_for, customer, paystack_group, fake_paystack):
    client = client_for(customer)
    first = client.post(url(paystack_group.id), {"provider": "paystack"}, format="json")
    second = client.post(url(paystack_group.id), {}, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["reference"] != second.json()["data"]["reference"]
    assert paystack_group.payments.count() == 2


def test_split_sends_each_shop_its_total_less_commission(
    client_for, customer, fake_paystack, settings
):
    settings.SETTLEMENT_MODE = "split"
    settings.PLATFORM_COMMISSION_PERCENT = Decimal("7.5")
    with_code = factories.ShopFactory(paystack_subaccount_code="ACCT_shop_one")
    fake_paystack.subaccounts.add("ACCT_shop_one")
    without_code = factories.ShopFactory()
    group, _orders, _ = make_group(
        customer=customer,
        shops=[with_code, without_code],
        prices=[Decimal("1333.33"), Decimal("999.99")],
        quantity=1,
        delivery_fee=Decimal("500.00"),
    )
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert response.status_code == 201, response.content
    sent = fake_paystack.requests[-1]["body"]
    # Order 1 total 1833.33 -> 183333 kobo; commission 7.5% = 13749.975 -> 13750 (half-up).
    assert sent["split"] == {
        "type": "flat",
        "bearer_type": "account",
        "subaccounts": [{"subaccount": "ACCT_shop_one", "share": 183333 - 13750}],
    }
    # The attempt keeps each order's share: the ledger records it as settled to the shop.
    assert sent["amount"] == 183333 + 149999
    payment = group.payments.get()
    assert payment.split_shares == {str(_orders[0].id): 183333 - 13750}


def test_ledger_mode_sends_no_split(client_for, customer, fake_paystack, settings):
    """The default: the platform receives the whole payment, whatever subaccounts shops have."""
    assert settings.SETTLEMENT_MODE == "ledger"
    shop = factories.ShopFactory(paystack_subaccount_code="ACCT_shop_one")
    fake_paystack.subaccounts.add("ACCT_shop_one")
    group, _orders, _ = make_group(customer=customer, shops=[shop], prices=[Decimal("1500.00")])
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert response.status_code == 201, response.content
    assert "split" not in fake_paystack.requests[-1]["body"]
    assert group.payments.get().split_shares == {}


def test_idempotency_key_replays_the_first_attempt(
    client_for, customer, paystack_group, fake_paystack
):
    client = client_for(customer)
    headers = {"HTTP_IDEMPOTENCY_KEY": f"pay-{uuid.uuid4()}"}
    first = client.post(url(paystack_group.id), {}, format="json", **headers)
    again = client.post(url(paystack_group.id), {}, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert paystack_group.payments.count() == 1
    other_body = client.post(url(paystack_group.id), {"provider": "x"}, format="json", **headers)
    assert_error(other_body, 409, "idempotency_key_reused")


@pytest.mark.parametrize(
    "who", ["other_customer", "admin", "shop_owner", "anonymous"], ids=lambda w: w
)
def test_only_the_groups_customer_may_pay(
    who, api_client, client_for, admin_user, paystack_group, fake_paystack
):
    if who == "anonymous":
        response = api_client.post(url(paystack_group.id), {}, format="json")
        assert_error(response, 401, "not_authenticated")
    else:
        user = {
            "other_customer": lambda: factories.UserFactory(),
            "admin": lambda: admin_user,
            "shop_owner": lambda: paystack_group.orders.first().shop.owner,
        }[who]()
        response = client_for(user).post(url(paystack_group.id), {}, format="json")
        assert_error(response, 404, "not_found")
    assert not Payment.objects.exists()
    assert fake_paystack.requests == []


def test_unknown_and_malformed_group_ids(client_for, customer, fake_paystack):
    client = client_for(customer)
    assert_error(client.post(url(uuid.uuid4()), {}, format="json"), 404, "not_found")
    assert_error(client.post(url("not-a-uuid"), {}, format="json"), 404, "not_found")


def test_unknown_provider_is_validation_error(client_for, customer, paystack_group):
    response = client_for(customer).post(url(paystack_group.id), {"provider": "x"}, format="json")
    body = assert_error(response, 400, "validation_error")
    assert "provider" in body["errors"]


def test_paid_group_is_already_paid(client_for, customer, fake_paystack):
    group, *_ = make_group(customer=customer)
    OrderGroup.objects.filter(pk=group.pk).update(payment_status="paid", expires_at=None)
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert_error(response, 409, "already_paid")
    assert not Payment.objects.exists()


@pytest.mark.parametrize("payment_status", ["paid", "refunded", "partially_refunded"])
@pytest.mark.parametrize("state", ["cancelled", "expired"])
def test_cancelled_or_expired_group_that_was_paid_is_not_payable(
    state, payment_status, client_for, customer, fake_paystack
):
    group, *_ = make_group(customer=customer)
    changes = {"payment_status": payment_status}
    if state == "cancelled":
        changes.update(status="cancelled", expires_at=None)
    else:
        changes.update(expires_at=timezone.now() - timedelta(seconds=1))
    OrderGroup.objects.filter(pk=group.pk).update(**changes)
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert_error(response, 409, "order_not_payable")
    assert not Payment.objects.exists()
    assert fake_paystack.requests == []


@pytest.mark.parametrize("state", ["cash", "cancelled", "expired"])
def test_unpayable_groups(state, client_for, customer, fake_paystack):
    if state == "cash":
        group, *_ = make_group(customer=customer, payment_method="cash", expires_in=None)
    elif state == "cancelled":
        group, _orders, _ = make_group(customer=customer)
        OrderGroup.objects.filter(pk=group.pk).update(status="cancelled")
    else:
        group, *_ = make_group(customer=customer, expires_in=timedelta(seconds=-1))
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert_error(response, 409, "order_not_payable")
    assert not Payment.objects.exists()
    assert fake_paystack.requests == []


def test_provider_error_marks_attempt_failed(client_for, customer, paystack_group, fake_paystack):
    fake_paystack.fail_next(status=500)
    response = client_for(customer).post(url(paystack_group.id), {}, format="json")
    assert_error(response, 502, "payment_provider_error")
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED
    assert payment.amount == 300000  # stored before the call
    assert payment.authorization_url == ""


def test_provider_timeout_marks_attempt_failed(
    client_for, customer, paystack_group, fake_paystack, settings
):
    settings.PAYSTACK_TIMEOUT = (1.0, 0.3)
    fake_paystack.timeout_next(seconds=0.8)
    response = client_for(customer).post(url(paystack_group.id), {}, format="json")
    assert_error(response, 504, "payment_provider_timeout")
    assert Payment.objects.get().status == Payment.Status.FAILED


def test_provider_refusal_message_is_passed_on(
    client_for, customer, paystack_group, fake_paystack, settings
):
    settings.PAYSTACK_SECRET_KEY = "sk_test_wrong"
    response = client_for(customer).post(url(paystack_group.id), {}, format="json")
    body = assert_error(response, 502, "payment_provider_error")
    assert "Invalid key" in body["message"]
    assert Payment.objects.get().status == Payment.Status.FAILED


def test_amount_is_what_is_left_after_a_shop_cancelled(client_for, customer, fake_paystack):
    group, orders, _ = make_group(customer=customer, prices=[Decimal("1000.00"), Decimal("30.05")])
    orders[0].status = "cancelled"
    orders[0].save()
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data"]["amount"] == 6010


def test_expiry_is_checked_at_the_moment_of_paying(client_for, customer, fake_paystack):
    group, *_ = make_group(customer=customer, expires_in=timedelta(minutes=1))
    assert client_for(customer).post(url(group.id), {}, format="json").status_code == 201
    OrderGroup.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(customer).post(url(group.id), {}, format="json")
    assert_error(response, 409, "order_not_payable")


def test_attempts_per_group_are_capped(client_for, customer, paystack_group, fake_paystack):
    from payments.services.common import MAX_ATTEMPTS_PER_GROUP

    Payment.objects.bulk_create(
        Payment(
            reference=f"OLD-{i}",
            group=paystack_group,
            amount=300000,
            currency="NGN",
            status="failed",
            authorization_url=f"https://checkout.paystack.com/old{i}",
        )
        for i in range(MAX_ATTEMPTS_PER_GROUP)
    )
    response = client_for(customer).post(url(paystack_group.id), {}, format="json")
    assert_error(response, 409, "conflict")
    assert fake_paystack.requests == []
