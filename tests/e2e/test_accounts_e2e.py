"""Register -> verification mail -> verify -> log in, through gunicorn, a Celery worker on
Redis and a real SMTP server."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from core.models import SentEmail
from tests.e2e.conftest import FRONTEND_URL, message_html, message_text
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "e2e.customer@example.com"
PASSWORD = "Long-Enough-Passphrase-7"


def test_register_verify_and_log_in_through_the_stack(live_server_url, celery_worker, smtp_server):
    api = f"{live_server_url}/api/v1"
    http = requests.Session()

    response = http.post(
        f"{api}/auth/register/",
        json={"email": EMAIL, "password": PASSWORD, "first_name": "Efe", "last_name": "Udo"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["is_email_verified"] is False

    # The worker renders the mail and sends it over SMTP after the request committed.
    message = smtp_server.wait_for(lambda m: EMAIL in m["To"], timeout=30)
    text = message_text(message)
    link = re.search(r"(\S+/verify-email\?token=\S+)", text).group(1)
    assert link.startswith(f"{FRONTEND_URL}/verify-email?token=")
    assert "/verify-email?token=" in (message_html(message) or "")
    token = parse_qs(urlparse(link).query)["token"][0]
    assert EMAIL not in token

    # Logging in works before verification too, but the account says it is not verified.
    early = http.post(f"{api}/auth/login/", json={"email": EMAIL, "password": PASSWORD}, timeout=10)
    assert early.json()["data"]["user"]["is_email_verified"] is False

    verified = http.post(f"{api}/auth/verify-email/", json={"token": token}, timeout=10)
    assert verified.status_code == 200, verified.text
    tampered = http.post(f"{api}/auth/verify-email/", json={"token": token + "x"}, timeout=10)
    assert tampered.status_code == 400 and tampered.json()["code"] == "invalid_token"

    login = http.post(f"{api}/auth/login/", json={"email": EMAIL, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    tokens = login.json()["data"]
    assert tokens["user"]["is_email_verified"] is True
    auth = {"Authorization": f"Bearer {tokens['access']}"}
    me = http.get(f"{api}/users/me/", headers=auth, timeout=10)
    assert me.status_code == 200 and me.json()["data"]["email"] == EMAIL

    # Logout revokes the access token in every gunicorn worker (the denylist is in Redis).
    out = http.post(f"{api}/auth/logout/", json={"refresh": tokens["refresh"]}, headers=auth)
    assert out.status_code == 200, out.text
    for _ in range(6):
        denied = requests.get(f"{api}/users/me/", headers=auth, timeout=10)
        assert denied.status_code == 401 and denied.json()["code"] == "not_authenticated"

    # The worker wrote to the test's own database.
    user = User.objects.get(email=EMAIL)
    assert user.is_email_verified
    sent = SentEmail.objects.filter(sent_at__isnull=False)
    assert sent.filter(key__startswith=f"verify-email:{user.id}:").count() == 1
