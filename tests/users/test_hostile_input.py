"""Wrong types, wrong shapes and oversized values get the error envelope, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC_POSTS = [
    "/api/v1/auth/register/",
    "/api/v1/auth/verify-email/",
    "/api/v1/auth/verify-email/resend/",
    "/api/v1/auth/login/",
    "/api/v1/auth/staff/login/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/password/forgot/",
    "/api/v1/auth/password/reset/",
]
BAD_BODIES = [
    [],
    [1, 2],
    "text",
    5,
    None,
    {
        "email": {"a": 1},
        "password": 5,
        "token": [1],
        "refresh": {"x": 1},
        "shop_code": 1,
        "handle": None,
        "new_password": True,
    },
    {"email": "a@b.c" * 100, "token": "x" * 5000, "refresh": "y" * 5000, "password": "p" * 500},
]


@pytest.mark.parametrize("path", PUBLIC_POSTS)
def test_public_endpoints_answer_bad_bodies_with_400(path):
    client = APIClient(raise_request_exception=False)
    for i, body in enumerate(BAD_BODIES):
        response = client.post(path, body, format="json", REMOTE_ADDR=f"10.9.0.{i}")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == "validation_error", (body, response.content)
    response = client.post(path, data="{bad", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_account_endpoints_answer_bad_bodies_with_400(client_for):
    client = client_for(UserFactory())
    for body in [[], "x", {"first_name": {"a": 1}}, {"phone": 123}, {"first_name": "x" * 500}]:
        response = client.patch("/api/v1/users/me/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    for body in [[], {"password": None}]:
        response = client.delete("/api/v1/users/me/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    for body in [[], {"country": 5}, {"full_name": ["x"]}]:
        response = client.post("/api/v1/addresses/", body, format="json")
        assert response.status_code == 400, (body, response.content)


@pytest.mark.parametrize(
    ("query", "status"),
    [({"page": "x"}, 404), ({"page": "99"}, 404), ({"page_size": "100000"}, 200)],
)
def test_user_list_paging_input(client_for, admin_user, query, status):
    response = client_for(admin_user).get("/api/v1/users/", query)
    assert response.status_code == status, response.content
