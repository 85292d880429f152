from __future__ import annotations

import threading
import time

import pytest
from django.core import signing
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.users.conftest import assert_error, bearer, token_from_mail
from users import services
from users.models import User
from users.tokens import PASSWORD_RESET, signed_token_make

FORGOT = "/api/v1/auth/password/forgot/"
RESET = "/api/v1/auth/password/reset/"
CHANGE = "/api/v1/users/me/password/"
ME = "/api/v1/users/me/"
NEW_PASSWORD = "Brand-New-Passphrase-42"


def request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(FORGOT, {"email": email}, format="json")


# --- Forgot --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_forgot_answers_the_same_and_mails_only_existing_accounts(
    api_client, outbox, django_capture_on_commit_callbacks, settings
):
    settings.FRONTEND_URL = "https://shop.example.test"
    user = UserFactory(email="ada@example.com")
    UserFactory(email="gone@example.com", is_active=False)
    known = request_reset(api_client, "Ada@Example.com", django_capture_on_commit_callbacks)
    unknown = request_reset(api_client, "nobody@example.com", django_capture_on_commit_callbacks)
    inactive = request_reset(api_client, "gone@example.com", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == inactive.status_code == 202
    assert known.json() == unknown.json() == inactive.json()
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == [user.email]
    assert "https://shop.example.test/reset-password?token=" in message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    token = token_from_mail(message, "/reset-password")
    assert "ada" not in token.lower() and "example" not in token.lower()


@pytest.mark.django_db
def test_forgot_validates_the_address(api_client):
    assert_error(api_client.post(FORGOT, {"email": "x"}, format="json"), 400, "validation_error")


# --- Reset ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_reset_from_the_mail_sets_the_password_once_and_revokes_tokens(
    api_client, outbox, django_capture_on_commit_callbacks, login
):
    user = UserFactory(email="ada@example.com", is_email_verified=False)
    old_tokens = services.tokens_for_user(user=user)
    request_reset(api_client, "ada@example.com", django_capture_on_commit_callbacks)
    token = token_from_mail(outbox[0], "/reset-password")

    response = api_client.post(RESET, {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.content

    # The token works once.
    again = api_client.post(RESET, {"token": token, "new_password": "Another-Passphrase-43"})
    assert_error(again, 400, "invalid_token")

    assert_error(login("ada@example.com"), 401, "invalid_credentials")
    assert login("ada@example.com", NEW_PASSWORD).status_code == 200
    # Every earlier token of the account is revoked.
    assert_error(bearer(APIClient(), old_tokens["access"]).get(ME), 401, "not_authenticated")
    refresh = api_client.post("/api/v1/auth/token/refresh/", {"refresh": old_tokens["refresh"]})
    assert_error(refresh, 400, "invalid_token")
    # Following the mailed link proves the address.
    user.refresh_from_db()
    assert user.is_email_verified is True


@pytest.mark.django_db
def test_reset_with_a_weak_password_keeps_the_token_usable(api_client):
    user = UserFactory()
    token = signed_token_make(purpose=PASSWORD_RESET, user=user)
    response = api_client.post(RESET, {"token": token, "new_password": "12345678"})
    body = assert_error(response, 400, "validation_error")
    assert "new_password" in body["errors"]
    assert api_client.post(RESET, {"token": token, "new_password": NEW_PASSWORD}).status_code == 200


@pytest.mark.django_db
def test_reset_token_expires_after_an_hour(api_client, monkeypatch):
    user = UserFactory()
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 3600 - 60)
    token = signed_token_make(purpose=PASSWORD_RESET, user=user)
    monkeypatch.setattr(signing.time, "time", real_time)
    response = api_client.post(RESET, {"token": token, "new_password": NEW_PASSWORD})
    assert_error(response, 400, "invalid_token")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_reset_token_dies_when_the_password_changes_otherwise(api_client):
    user = UserFactory()
    token = signed_token_make(purpose=PASSWORD_RESET, user=user)
    services.user_password_set(user=user, password="Changed-Elsewhere-77")
    response = api_client.post(RESET, {"token": token, "new_password": NEW_PASSWORD})
    assert_error(response, 400, "invalid_token")


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "x:y:z", "eyJ1IjoiMSJ9:1abc:sig"])
def test_reset_with_a_bad_token(api_client, token):
    response = api_client.post(RESET, {"token": token, "new_password": NEW_PASSWORD})
    assert_error(response, 400, "invalid_token")


@pytest.mark.django_db
def test_reset_validation(api_client):
    body = assert_error(api_client.post(RESET, {}, format="json"), 400, "validation_error")
    assert {"token", "new_password"} <= set(body["errors"])


@pytest.mark.django_db(transaction=True)
def test_concurrent_resets_with_one_token_have_one_winner():
    user = UserFactory()
    token = signed_token_make(purpose=PASSWORD_RESET, user=user)
    count = 6
    barrier = threading.Barrier(count)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def worker(i: int):
        try:
            barrier.wait()
            password = f"Racing-Passphrase-{i}x"
            response = APIClient().post(
                RESET, {"token": token, "new_password": password}, format="json"
            )
            with lock:
                results.append((response.status_code, password))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [password for status, password in results if status == 200]
    assert len(winners) == 1
    assert sorted(status for status, _ in results) == [200] + [400] * (count - 1)
    assert User.objects.get(pk=user.pk).check_password(winners[0])


# --- Change --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_change_password_revokes_old_tokens_and_returns_new_ones(customer, login):
    old = services.tokens_for_user(user=customer)
    client = bearer(APIClient(), old["access"])
    response = client.post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.content
    new = response.json()["data"]

    assert_error(client.get(ME), 401, "not_authenticated")
    assert bearer(APIClient(), new["access"]).get(ME).status_code == 200
    assert login(customer.email, NEW_PASSWORD).status_code == 200
    assert_error(login(customer.email), 401, "invalid_credentials")


@pytest.mark.django_db
def test_change_password_needs_the_current_one(client_for, customer):
    response = client_for(customer).post(
        CHANGE, {"current_password": "Not-The-Password-1", "new_password": NEW_PASSWORD}
    )
    body = assert_error(response, 400, "validation_error")
    assert "current_password" in body["errors"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_change_password_runs_the_validators(client_for, customer):
    response = client_for(customer).post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": "password"}
    )
    body = assert_error(response, 400, "validation_error")
    assert "new_password" in body["errors"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_change_password_needs_authentication(api_client):
    response = api_client.post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_error(response, 401, "not_authenticated")
