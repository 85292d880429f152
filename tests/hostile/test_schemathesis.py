"""Property-based run of schemathesis against our own OpenAPI schema, in process (WSGI).

Every operation of `/api/schema/` gets generated requests (valid and invalid ones), sent as a
verified customer who owns a shop (admins for the admin-only operations), with the path ids of
real objects so that requests reach past the 404s. Each answer must:
- not be a 5xx,
- be documented (status code, content type, body schema),
- be our envelope when it has a body, and have no body when it is a 204.

Each example runs in a savepoint that is rolled back, with the cache (throttles, token
denylist) cleared, so examples do not leak into each other and rates are never tripped.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.wsgi import application
from payments.models import WebhookEvent

pytestmark = pytest.mark.django_db

# Per operation. Raise it for a deeper local run: HOSTILE_MAX_EXAMPLES=200 pytest tests/hostile
MAX_EXAMPLES = int(os.environ.get("HOSTILE_MAX_EXAMPLES", "25"))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# Operations that only platform admins may call: run them as an admin to reach their code.
ADMIN_OPERATIONS = {
    ("GET", "/api/v1/users/"),
    ("POST", "/api/v1/categories/"),
    ("PATCH", "/api/v1/categories/{category_id}/"),
    ("DELETE", "/api/v1/categories/{category_id}/"),
    ("POST", "/api/v1/shops/{shop_id}/ledger/adjustments/"),
    ("POST", "/api/v1/payouts/run/"),
    ("POST", "/api/v1/shops/{shop_id}/status/"),
}
WEBHOOK = ("POST", "/api/v1/payments/paystack/webhook/")


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """As Django's test client does: the end of a request must not close the connection that
    holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Body fields that name other objects: a well-formed id is swapped for a real one, so that the
# request goes past "not found" into the code behind it; malformed values are left as generated.
BODY_IDS = {
    "product_id": "product_id",
    "shipping_address_id": "address_id",
    "parent_id": "category_id",
}


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def use_real_ids(case: Any, world: Any) -> None:
    for name in case.path_parameters or {}:
        if name in world.path_ids:
            case.path_parameters[name] = world.path_ids[name]
    if isinstance(case.body, dict):
        for field, name in BODY_IDS.items():
            if _is_uuid(case.body.get(field)):
                case.body[field] = world.path_ids[name]
        ids = case.body.get("category_ids")
        if isinstance(ids, list) and ids and all(_is_uuid(i) for i in ids):
            case.body["category_ids"] = [world.path_ids["category_id"]]


def envelope_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every body is our envelope; every 204 is empty."""
    content = response.content
    if response.status_code == 204:
        assert not content, f"204 with a body: {content[:200]!r}"
        return None
    assert content, f"{response.status_code} without a body"
    content_type = next(
        (str(value) for name, value in response.headers.items() if name.lower() == "content-type"),
        "",
    )
    if response.status_code == 200 and "text/csv" in content_type:
        return None  # a file (a statement, an export), not an envelope
    body = json.loads(content)
    assert isinstance(body, dict), f"body is not an object: {content[:200]!r}"
    if case.path.startswith("/health/") and case.method == "GET" and response.status_code < 300:
        # Health checks answer outside the envelope, for load balancers.
        assert body.get("status") == "ok", body
        return None
    if response.status_code < 400:
        assert body.get("status") == "success", body
        assert isinstance(body.get("message"), str) and body["message"], body
        assert set(body) <= {"status", "message", "data"}, body
    else:
        assert body.get("status") == "error", body
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("message"), str) and body["message"], body
        assert set(body) == {"status", "code", "message", "errors"}, body
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    envelope_conformance,
]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, world):
    key = (case.method.upper(), case.path)
    use_real_ids(case, world)
    token = world.admin_token if key in ADMIN_OPERATIONS else world.owner_token
    cache.clear()
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        webhook_events = WebhookEvent.objects.count()
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)
    if key == WEBHOOK:
        # No generated body carries a valid signature: all are refused, none is recorded.
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_signature", response.text
        assert webhook_events == 0
