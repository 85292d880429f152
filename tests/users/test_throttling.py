"""Rate limits of the contract, with the contract's default rates (set in core/settings/base.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, ShopFactory, StaffFactory, UserFactory
from tests.users.conftest import assert_error

pytestmark = pytest.mark.django_db


def client_from(ip: str) -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


def post(client, path, body):
    return client.post(path, body, format="json")


def assert_throttled(response):
    body = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    return body


def test_login_is_limited_to_10_a_minute_per_ip():
    UserFactory(email="ada@example.com")
    client = client_from("10.0.0.1")
    for i in range(10):
        body = {"email": f"user{i}@example.com", "password": "Wrong-Password-1"}
        assert post(client, "/api/v1/auth/login/", body).status_code == 401
    good = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    assert_throttled(post(client, "/api/v1/auth/login/", good))
    # Another client is not affected.
    assert post(client_from("10.0.0.2"), "/api/v1/auth/login/", good).status_code == 200


def test_login_is_limited_per_account_across_ips():
    UserFactory(email="ada@example.com")
    body = {"email": "ada@example.com", "password": "Wrong-Password-1"}
    for i in range(10):
        assert post(client_from(f"10.0.1.{i}"), "/api/v1/auth/login/", body).status_code == 401
    # Case and spaces do not make a new account key.
    other = {"email": " ADA@example.com", "password": DEFAULT_PASSWORD}
    assert_throttled(post(client_from("10.0.2.1"), "/api/v1/auth/login/", other))
    fine = {"email": "bob@example.com", "password": "Wrong-Password-1"}
    assert post(client_from("10.0.2.1"), "/api/v1/auth/login/", fine).status_code == 401


def test_forwarded_for_header_is_not_trusted_by_default():
    body = {"email": "x@example.com", "password": "Wrong-Password-1"}
    client = client_from("10.0.3.1")
    for i in range(10):
        body["email"] = f"x{i}@example.com"
        forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{i}"}
        assert client.post("/api/v1/auth/login/", body, format="json", **forged).status_code == 401
    body["email"] = "y@example.com"
    forged = {"HTTP_X_FORWARDED_FOR": "192.0.2.200"}
    assert_throttled(client.post("/api/v1/auth/login/", body, format="json", **forged))


def test_staff_login_is_limited_per_account():
    shop = ShopFactory(code="SHOP0001")
    StaffFactory(shop=shop, handle="tunde")
    body = {"shop_code": "SHOP0001", "handle": "tunde", "password": "Wrong-Password-1"}
    for i in range(10):
        assert (
            post(client_from(f"10.0.4.{i}"), "/api/v1/auth/staff/login/", body).status_code == 401
        )
    body["password"] = DEFAULT_PASSWORD
    assert_throttled(post(client_from("10.0.5.1"), "/api/v1/auth/staff/login/", body))


def test_staff_login_shares_the_ip_budget_of_login():
    client = client_from("10.0.6.1")
    for i in range(10):
        body = {"shop_code": "NOPE0001", "handle": f"h{i}", "password": "Wrong-Password-1"}
        assert post(client, "/api/v1/auth/staff/login/", body).status_code == 401
    login = {"email": "a@example.com", "password": "Wrong-Password-1"}
    assert_throttled(post(client, "/api/v1/auth/login/", login))


def test_register_is_limited_to_5_a_minute_per_ip():
    client = client_from("10.0.7.1")
    for i in range(5):
        body = {
            "email": f"new{i}@example.com",
            "password": DEFAULT_PASSWORD,
            "first_name": "A",
            "last_name": "B",
        }
        assert post(client, "/api/v1/auth/register/", body).status_code == 201
    body["email"] = "new9@example.com"
    assert_throttled(post(client, "/api/v1/auth/register/", body))


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/password/forgot/", "/api/v1/auth/verify-email/resend/"]
)
def test_mail_endpoints_are_limited_to_5_an_hour_per_address(path):
    UserFactory(email="ada@example.com", is_email_verified=False)
    for i in range(5):
        assert (
            post(client_from(f"10.0.8.{i}"), path, {"email": "ada@example.com"}).status_code == 202
        )
    # The same for an unknown address: the limit does not tell whether the account exists.
    for i in range(5):
        response = post(client_from(f"10.0.9.{i}"), path, {"email": "nobody@example.com"})
        assert response.status_code == 202
    assert_throttled(post(client_from("10.0.10.1"), path, {"email": "ADA@example.com"}))
    assert_throttled(post(client_from("10.0.10.1"), path, {"email": "nobody@example.com"}))
    assert post(client_from("10.0.10.1"), path, {"email": "other@example.com"}).status_code == 202


def test_rates_come_from_settings(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "register": "1/min",
        },
    }
    client = client_from("10.0.11.1")
    body = {"email": "a@example.com", "password": DEFAULT_PASSWORD, "first_name": "A"}
    body["last_name"] = "B"
    assert post(client, "/api/v1/auth/register/", body).status_code == 201
    body["email"] = "b@example.com"
    assert_throttled(post(client, "/api/v1/auth/register/", body))
