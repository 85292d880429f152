"""The permission classes other apps use (core.permissions)."""

from __future__ import annotations

import pytest

from tests.factories import StaffFactory, UserFactory
from tests.users.conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.users.urls")]

ALLOWED = 200


@pytest.mark.parametrize(
    ("path", "who", "expected"),
    [
        ("/test/verified/", "verified", ALLOWED),
        ("/test/verified/", "unverified", (403, "email_not_verified")),
        ("/test/verified/", "staff", (403, "permission_denied")),
        ("/test/verified/", "admin", ALLOWED),
        ("/test/with-email/", "verified", ALLOWED),
        ("/test/with-email/", "unverified", ALLOWED),
        ("/test/with-email/", "staff", (403, "permission_denied")),
        ("/test/admin/", "admin", ALLOWED),
        ("/test/admin/", "verified", (403, "permission_denied")),
        ("/test/admin/", "staff", (403, "permission_denied")),
    ],
)
def test_permission_matrix(client_for, path, who, expected):
    users = {
        "verified": lambda: UserFactory(),
        "unverified": lambda: UserFactory(is_email_verified=False),
        "staff": lambda: StaffFactory(),
        "admin": lambda: UserFactory(is_staff=True, is_email_verified=False),
    }
    response = client_for(users[who]()).post(path)
    if expected == ALLOWED:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, *expected)


@pytest.mark.parametrize("path", ["/test/verified/", "/test/with-email/", "/test/admin/"])
def test_anonymous_gets_401_not_403(api_client, path):
    response = assert_error(api_client.post(path), 401, "not_authenticated")
    assert response["message"]
