from __future__ import annotations

import time

import pytest
from django.core import signing

from core.models import SentEmail
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.users.conftest import assert_error, token_from_mail
from users.models import User
from users.tokens import EMAIL_VERIFICATION, signed_token_make

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"
RESEND = "/api/v1/auth/verify-email/resend/"
USER_KEYS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "is_email_verified",
    "is_platform_admin",
    "role",
    "shops_owned",
    "staff_of",
    "handle",
    "date_joined",
}


def register_body(**overrides):
    body = {
        "email": "Amaka.Obi@Example.com",
        "password": DEFAULT_PASSWORD,
        "first_name": "Amaka",
        "last_name": "Obi",
        "phone": "+2348012345678",
    }
    body.update(overrides)
    return body


def test_register_creates_unverified_account_and_mails_a_link(
    api_client, outbox, django_capture_on_commit_callbacks, settings
):
    settings.FRONTEND_URL = "https://shop.example.test"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(REGISTER, register_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == USER_KEYS
    assert data["email"] == "amaka.obi@example.com"  # stored lower-case
    assert data["is_email_verified"] is False
    assert data["role"] == "customer"
    assert data["shops_owned"] == [] and data["staff_of"] is None and data["handle"] is None
    assert "password" not in data
    user = User.objects.get(email="amaka.obi@example.com")
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.password != DEFAULT_PASSWORD

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["amaka.obi@example.com"]
    assert "https://shop.example.test/verify-email?token=" in message.body
    html = message.alternatives[0]
    assert html[1] == "text/html" and "/verify-email?token=" in html[0]
    token = token_from_mail(message, "/verify-email")
    assert "amaka" not in token.lower() and "example" not in token.lower()


def test_full_flow_register_mail_verify_login(
    api_client, outbox, django_capture_on_commit_callbacks, login
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, register_body(), format="json")
    token = token_from_mail(outbox[0], "/verify-email")

    response = api_client.post(VERIFY, {"token": token}, format="json")
    assert response.status_code == 200, response.content
    assert User.objects.get(email="amaka.obi@example.com").is_email_verified is True
    # Verifying twice is harmless.
    assert api_client.post(VERIFY, {"token": token}, format="json").status_code == 200

    response = login("amaka.obi@example.com")
    assert response.status_code == 200
    assert response.json()["data"]["user"]["is_email_verified"] is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short1"}, "password"),
        ({"password": "password123"}, "password"),  # common
        ({"password": "84736251947"}, "password"),  # all digits
        ({"password": "amaka.obi.example"}, "password"),  # too similar to the e-mail
        ({"email": "not-an-email"}, "email"),
        ({"phone": "08012345678"}, "phone"),  # not E.164
        ({"phone": "+0123456789"}, "phone"),
        ({"first_name": ""}, "first_name"),
        ({"email": None}, "email"),
        ({"password": ["a", "list"]}, "password"),
    ],
)
def test_register_validation(api_client, overrides, field):
    response = api_client.post(REGISTER, register_body(**overrides), format="json")
    body = assert_error(response, 400, "validation_error")
    assert field in body["errors"]
    assert not User.objects.exists()


def test_register_missing_fields(api_client):
    body = assert_error(api_client.post(REGISTER, {}, format="json"), 400, "validation_error")
    assert {"email", "password", "first_name", "last_name"} <= set(body["errors"])


def test_register_phone_is_optional(api_client):
    body = register_body()
    del body["phone"]
    response = api_client.post(REGISTER, body, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["phone"] == ""


def test_register_taken_email_is_conflict_whatever_the_case(api_client):
    UserFactory(email="amaka.obi@example.com")
    response = api_client.post(REGISTER, register_body(email="AMAKA.OBI@example.com"))
    body = assert_error(response, 409, "conflict")
    assert "email" in body["errors"]
    assert User.objects.count() == 1


def test_register_ignores_protected_fields(api_client):
    response = api_client.post(
        REGISTER,
        register_body(is_staff=True, is_superuser=True, is_email_verified=True, token_version=9),
        format="json",
    )
    assert response.status_code == 201
    user = User.objects.get()
    assert not user.is_staff and not user.is_superuser and not user.is_email_verified
    assert user.token_version == 0


def test_verify_rejects_tampered_token(api_client):
    user = UserFactory(is_email_verified=False)
    token = signed_token_make(purpose=EMAIL_VERIFICATION, user=user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in [tampered, "garbage", "a:b:c", ""]:
        response = api_client.post(VERIFY, {"token": bad}, format="json")
        if bad == "":
            assert_error(response, 400, "validation_error")
        else:
            assert_error(response, 400, "invalid_token")
    user.refresh_from_db()
    assert user.is_email_verified is False


def test_verify_rejects_expired_token(api_client, monkeypatch):
    user = UserFactory(is_email_verified=False)
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 24 * 3600 - 60)
    token = signed_token_make(purpose=EMAIL_VERIFICATION, user=user)
    monkeypatch.setattr(signing.time, "time", real_time)

    assert_error(api_client.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")
    user.refresh_from_db()
    assert user.is_email_verified is False


def test_verify_token_of_a_reset_purpose_is_refused(api_client):
    from users.tokens import PASSWORD_RESET

    user = UserFactory(is_email_verified=False)
    token = signed_token_make(purpose=PASSWORD_RESET, user=user)
    assert_error(api_client.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")


def test_verify_token_of_a_deactivated_account_is_refused(api_client):
    user = UserFactory(is_email_verified=False, is_active=False)
    token = signed_token_make(purpose=EMAIL_VERIFICATION, user=user)
    assert_error(api_client.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")


def test_resend_answers_202_the_same_for_every_address(
    api_client, outbox, django_capture_on_commit_callbacks
):
    unverified = UserFactory(email="new@example.com", is_email_verified=False)
    UserFactory(email="done@example.com", is_email_verified=True)
    bodies = []
    for email in ["new@example.com", "done@example.com", "nobody@example.com"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(RESEND, {"email": email}, format="json")
        assert response.status_code == 202
        bodies.append(response.json())
    assert bodies[0] == bodies[1] == bodies[2]
    # Only the unverified account gets a mail.
    assert [m.to for m in outbox] == [[unverified.email]]
    token = token_from_mail(outbox[0], "/verify-email")
    assert api_client.post(VERIFY, {"token": token}, format="json").status_code == 200


def test_resend_validates_the_address(api_client):
    assert_error(api_client.post(RESEND, {"email": "nope"}, format="json"), 400, "validation_error")


def test_verification_mail_is_sent_once_per_token(django_capture_on_commit_callbacks, outbox):
    """The e-mail task is idempotent: running it again for the same token sends nothing."""
    from core.tasks import send_email

    user = UserFactory(is_email_verified=False)
    kwargs = {
        "to": user.email,
        "subject": "Confirm your e-mail address",
        "template": "verify_email",
        "context": {"first_name": "A", "link": "http://x/verify-email?token=t", "hours": 24},
        "key": f"verify-email:{user.id}:abc",
    }
    assert send_email.apply(kwargs=kwargs).get() is True
    assert send_email.apply(kwargs=kwargs).get() is False
    assert len(outbox) == 1
    assert SentEmail.objects.filter(key=kwargs["key"], sent_at__isnull=False).count() == 1
