from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail

from tests.factories import DEFAULT_PASSWORD


def token_from_mail(message, path: str) -> str:
    """The `token` of the `{FRONTEND_URL}{path}?token=...` link in a sent message."""
    match = re.search(r"(https?://\S+" + re.escape(path) + r"\?token=\S+)", message.body)
    assert match, message.body
    return parse_qs(urlparse(match.group(1)).query)["token"][0]


@pytest.fixture
def outbox():
    """The messages sent by the e-mail tasks. Tasks are queued on commit: wrap the request in
    `django_capture_on_commit_callbacks(execute=True)` so they run as after a real commit."""
    mail.outbox.clear()
    return mail.outbox


@pytest.fixture
def login(api_client):
    """POST /auth/login/ and return the response."""

    def do(email: str, password: str = DEFAULT_PASSWORD, client=None):
        return (client or api_client).post(
            "/api/v1/auth/login/", {"email": email, "password": password}, format="json"
        )

    return do


def bearer(client, access: str):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "error", body
    assert body["code"] == code, body
    return body
