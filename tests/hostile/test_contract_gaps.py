"""Small contract gaps, on every endpoint they can reach (API.md §1, §6, §16):

- an unknown object id in a path is `404 not_found` even when the body is invalid too: the
  object is looked up before the body is validated;
- a JSON body nested thousands of levels deep is `400 parse_error` everywhere, the webhook
  included; a body over the limit that is not an upload is `413 request_too_large`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.hostile.conftest import PAYSTACK_SECRET, World

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, takes a JSON body) of every operation of the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path, JSON in operation.get("requestBody", {}).get("content", {}))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


OPERATIONS = _operations()
ADMIN_PATHS = (
    "/api/v1/categories/",
    "/api/v1/users/",
    "/api/v1/payouts/run/",
    "/api/v1/shops/{shop_id}/ledger/adjustments/",
    "/api/v1/shops/{shop_id}/status/",
)
WITH_IDS = [
    (method, path, name)
    for method, path, body in OPERATIONS
    if body
    for name in re.findall(r"{(\w+)}", path)
]


def client_for(world: World, path: str) -> APIClient:
    client = APIClient()
    token = world.admin_token if path.startswith(ADMIN_PATHS) else world.owner_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def url(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def send(world: World, method: str, path: str, body: str) -> Any:
    """The body as JSON to the operation, on real objects; signed like Paystack's for the
    webhook, so that it is read past its signature."""
    signature = hmac.new(PAYSTACK_SECRET.encode(), body.encode(), hashlib.sha512).hexdigest()
    return client_for(world, path).generic(
        method,
        url(path, world.path_ids),
        body,
        content_type=JSON,
        HTTP_X_PAYSTACK_SIGNATURE=signature,
    )


@pytest.mark.parametrize(("method", "path", "unknown"), WITH_IDS)
def test_an_unknown_id_is_404_even_with_an_invalid_body(world, method, path, unknown):
    ids = dict(world.path_ids)
    ids[unknown] = "PSK-unknown" if unknown == "reference" else str(uuid.uuid4())
    client = client_for(world, path)
    for body in ("[]", '{"quantity": "many", "status": 7, "name": ""}'):
        response = client.generic(method, url(path, ids), body, content_type=JSON)
        assert response.status_code == 404, (body, response.json())
        assert response.json()["code"] == "not_found"


BODIES = sorted({(method, path) for method, path, body in OPERATIONS if body})


@pytest.mark.parametrize(("method", "path"), BODIES)
def test_deeply_nested_json_is_a_parse_error_everywhere(world, method, path):
    for depth in (33, 5000, 100_000):
        response = send(world, method, path, "[" * depth + "]" * depth)
        assert response.status_code == 400, (depth, response.content[:300])
        assert response.json()["code"] == "parse_error"
    deep_object = '{"event": "charge.success", "data": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    response = send(world, method, path, deep_object)
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize(("method", "path"), BODIES)
def test_a_body_over_the_limit_is_request_too_large(world, method, path, settings):
    big = '{"name": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024) + '"}'
    response = send(world, method, path, big)
    assert response.status_code == 413, response.content[:300]
    assert response.json()["code"] == "request_too_large"
