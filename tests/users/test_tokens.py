from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import DEFAULT_PASSWORD, ShopFactory, StaffFactory, UserFactory
from tests.users.conftest import assert_error, bearer
from users import services
from users.models import RevokedRefreshToken, User

LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"


def me(access: str):
    return bearer(APIClient(), access).get(ME)


# --- Login ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_login_returns_tokens_and_user_and_updates_last_login(login):
    user = UserFactory(email="ada@example.com")
    assert user.last_login is None

    response = login("ADA@example.com ")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert set(data) == {"access", "refresh", "user"}
    assert data["user"]["id"] == str(user.id)
    user.refresh_from_db()
    assert user.last_login is not None
    assert timezone.now() - user.last_login < timedelta(minutes=1)
    assert me(data["access"]).json()["data"]["email"] == "ada@example.com"


@pytest.mark.django_db
def test_unverified_account_can_log_in(login):
    UserFactory(email="new@example.com", is_email_verified=False)
    response = login("new@example.com")
    assert response.status_code == 200
    assert response.json()["data"]["user"]["is_email_verified"] is False


@pytest.mark.django_db
def test_wrong_email_wrong_password_and_inactive_look_the_same(login):
    UserFactory(email="ada@example.com")
    UserFactory(email="gone@example.com", is_active=False)
    bodies = [
        assert_error(login("nobody@example.com"), 401, "invalid_credentials"),
        assert_error(login("ada@example.com", "Wrong-Password-1"), 401, "invalid_credentials"),
        assert_error(login("gone@example.com"), 401, "invalid_credentials"),
    ]
    assert bodies[0] == bodies[1] == bodies[2]


@pytest.mark.django_db
def test_login_hashes_a_password_even_for_unknown_accounts(login, monkeypatch):
    """An unknown e-mail costs a password hash too, so timing does not reveal accounts."""
    from django.contrib.auth import base_user

    calls = []
    real = base_user.make_password
    monkeypatch.setattr(
        base_user, "make_password", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    assert_error(login("nobody@example.com"), 401, "invalid_credentials")
    assert calls, "no password hash computed for an unknown account"


@pytest.mark.django_db
def test_staff_cannot_use_email_login(login):
    StaffFactory(handle="bob")
    assert_error(login("bob"), 400, "validation_error")
    assert_error(login("None"), 400, "validation_error")


@pytest.mark.django_db
def test_login_validation(api_client):
    body = assert_error(api_client.post(LOGIN, {}, format="json"), 400, "validation_error")
    assert {"email", "password"} <= set(body["errors"])


@pytest.mark.django_db
def test_login_ignores_a_stale_bearer_token(login, api_client):
    UserFactory(email="ada@example.com")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert login("ada@example.com", client=api_client).status_code == 200


# --- Access tokens -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_anonymous_gets_401(api_client):
    assert_error(api_client.get(ME), 401, "not_authenticated")


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Bearer", "Bearer a b"])
def test_malformed_access_token_is_401(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api_client.get(ME), 401, "not_authenticated")


@pytest.mark.django_db
def test_expired_access_token_is_401(customer):
    token = AccessToken.for_user(customer)
    token["ver"] = customer.token_version
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    assert_error(me(str(token)), 401, "not_authenticated")


@pytest.mark.django_db
def test_refresh_token_is_not_an_access_token(customer):
    refresh = services.tokens_for_user(user=customer)["refresh"]
    assert_error(me(refresh), 401, "not_authenticated")


@pytest.mark.django_db
def test_token_without_version_is_refused(customer):
    token = AccessToken.for_user(customer)  # no `ver` claim
    assert_error(me(str(token)), 401, "not_authenticated")


@pytest.mark.django_db
def test_token_signed_with_another_key_is_refused(customer):
    import jwt

    payload = dict(AccessToken.for_user(customer).payload, ver=0)
    forged = jwt.encode(payload, "another-secret-key-of-enough-length-000000", algorithm="HS256")
    assert_error(me(forged), 401, "not_authenticated")


@pytest.mark.django_db
def test_deactivation_revokes_every_token_at_once(customer):
    tokens = services.tokens_for_user(user=customer)
    assert me(tokens["access"]).status_code == 200
    services.user_deactivate(user=customer)
    assert_error(me(tokens["access"]), 401, "not_authenticated")
    response = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert_error(response, 400, "invalid_token")


@pytest.mark.django_db
def test_revoking_tokens_refuses_earlier_ones_only(customer):
    old = services.tokens_for_user(user=customer)
    services.user_tokens_revoke(user=customer)
    new = services.tokens_for_user(user=customer)
    assert_error(me(old["access"]), 401, "not_authenticated")
    assert me(new["access"]).status_code == 200


@pytest.mark.django_db
def test_authentication_costs_one_query(customer, django_assert_num_queries):
    access = services.tokens_for_user(user=customer)["access"]
    client = bearer(APIClient(), access)
    # One for the account (with its shop), one for its active shops in the representation.
    with django_assert_num_queries(2):
        assert client.get(ME).status_code == 200


# --- Refresh -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_refresh_rotates_and_the_old_token_is_refused(api_client, customer):
    first = services.tokens_for_user(user=customer)
    response = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    second = response.json()["data"]
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert me(second["access"]).status_code == 200

    # The old refresh token has been used: refused, and the new one keeps working.
    replay = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert_error(replay, 400, "invalid_token")
    third = api_client.post(REFRESH, {"refresh": second["refresh"]}, format="json")
    assert third.status_code == 200
    assert RevokedRefreshToken.objects.filter(user=customer).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["garbage", "a.b.c", ""])
def test_refresh_with_a_bad_token(api_client, value):
    response = api_client.post(REFRESH, {"refresh": value}, format="json")
    assert_error(response, 400, "validation_error" if value == "" else "invalid_token")


@pytest.mark.django_db
def test_refresh_with_an_access_token_is_refused(api_client, customer):
    access = services.tokens_for_user(user=customer)["access"]
    assert_error(api_client.post(REFRESH, {"refresh": access}), 400, "invalid_token")


@pytest.mark.django_db
def test_refresh_with_an_expired_token_is_refused(api_client, customer):
    token = RefreshToken.for_user(customer)
    token["ver"] = customer.token_version
    token.set_exp(from_time=timezone.now() - timedelta(days=30))
    assert_error(api_client.post(REFRESH, {"refresh": str(token)}), 400, "invalid_token")


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_have_one_winner():
    user = UserFactory()
    refresh = services.tokens_for_user(user=user)["refresh"]
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * (threads_count - 1)
    assert RevokedRefreshToken.objects.count() == 1


# --- Logout --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_logout_revokes_refresh_and_access_tokens_at_once(customer):
    tokens = services.tokens_for_user(user=customer)
    other = services.tokens_for_user(user=customer)  # another device
    client = bearer(APIClient(), tokens["access"])
    response = client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200, response.content

    assert_error(client.get(ME), 401, "not_authenticated")
    refused = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert_error(refused, 400, "invalid_token")
    # Other sessions of the account are untouched.
    assert me(other["access"]).status_code == 200


@pytest.mark.django_db
def test_logout_needs_authentication(api_client, customer):
    tokens = services.tokens_for_user(user=customer)
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert_error(response, 401, "not_authenticated")


@pytest.mark.django_db
def test_logout_with_another_accounts_refresh_token_changes_nothing(customer):
    mine = services.tokens_for_user(user=customer)
    theirs = services.tokens_for_user(user=UserFactory())
    client = bearer(APIClient(), mine["access"])
    assert_error(client.post(LOGOUT, {"refresh": theirs["refresh"]}), 400, "invalid_token")
    assert client.get(ME).status_code == 200
    assert not RevokedRefreshToken.objects.exists()


@pytest.mark.django_db
def test_logout_twice_with_the_same_refresh_token(customer):
    tokens = services.tokens_for_user(user=customer)
    first = bearer(APIClient(), tokens["access"])
    assert first.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 200
    second_access = services.tokens_for_user(user=customer)["access"]
    second = bearer(APIClient(), second_access)
    assert second.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 200
    assert_error(second.get(ME), 401, "not_authenticated")


@pytest.mark.django_db
def test_purge_task_forgets_expired_revocations(customer):
    from users.tasks import purge_expired_revoked_tokens

    now = timezone.now()
    RevokedRefreshToken.objects.create(jti="old", user=customer, expires_at=now - timedelta(1))
    RevokedRefreshToken.objects.create(jti="new", user=customer, expires_at=now + timedelta(1))
    assert purge_expired_revoked_tokens.apply().get() == 1
    assert list(RevokedRefreshToken.objects.values_list("jti", flat=True)) == ["new"]


# --- Staff of a deactivated shop -----------------------------------------------------------------
@pytest.mark.django_db
def test_staff_tokens_stop_working_when_their_shop_is_deactivated():
    staff = StaffFactory(shop=ShopFactory())
    tokens = services.tokens_for_user(user=staff)
    assert me(tokens["access"]).status_code == 200
    staff.shop.is_active = False
    staff.shop.save()
    assert_error(me(tokens["access"]), 401, "not_authenticated")
    response = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert_error(response, 400, "invalid_token")


@pytest.mark.django_db
def test_password_set_by_owner_revokes_staff_tokens():
    staff = StaffFactory()
    tokens = services.tokens_for_user(user=staff)
    services.user_password_set(user=staff, password="New-Staff-Password-7")
    assert_error(me(tokens["access"]), 401, "not_authenticated")
    staff.refresh_from_db()
    assert staff.check_password("New-Staff-Password-7")
    assert User.objects.get(pk=staff.pk).check_password(DEFAULT_PASSWORD) is False
