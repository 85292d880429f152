"""The OpenAPI schema as generated clients meet it: what each operation says it can answer, the
error envelope, request bodies a partial update can trust, names that read as words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Conflict, InvalidTransition, raises
from core.permissions import IsVerifiedAccount
from core.throttles import LoginIPThrottle

# API.md §1.2 and §16.
CONTRACT_CODES = {
    "validation_error", "parse_error", "cart_empty", "invalid_token", "not_authenticated",
    "invalid_credentials", "permission_denied", "email_not_verified", "not_found",
    "method_not_allowed", "insufficient_stock", "product_unavailable", "invalid_transition",
    "already_paid", "order_not_payable", "idempotency_key_reused", "request_in_progress",
    "conflict", "file_too_large", "unsupported_media_type", "throttled", "invalid_signature",
    "payment_provider_error", "payment_provider_timeout", "server_error",
    "amount_below_minimum", "delivery_unavailable", "request_too_large", "service_unavailable",
}  # fmt: skip
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]):
    for route, items in schema["paths"].items():
        for method, operation in items.items():
            if method in METHODS:
                yield method.upper(), route, operation


def errors_of(operation: dict[str, Any]) -> dict[str, str]:
    """Error status -> its description (which names the codes)."""
    return {
        status: answer["description"]
        for status, answer in operation["responses"].items()
        if status[0] in "45"
    }


def component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_error_envelope_has_a_code_enum_and_an_errors_schema(schema):
    envelope = schema["components"]["schemas"]["ErrorEnvelope"]
    assert CONTRACT_CODES <= set(envelope["properties"]["code"]["enum"])
    errors = envelope["properties"]["errors"]
    assert errors["type"] == "object" and errors["nullable"] is True
    assert envelope["required"] == ["status", "code", "message", "errors"]


def test_every_error_answer_is_the_error_envelope(schema):
    for method, route, operation in operations(schema):
        for status, answer in operation["responses"].items():
            if status[0] in "45":
                assert answer["content"] == {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}
                }, (method, route, status)


@pytest.mark.parametrize(
    ("method", "route", "expected"),
    [
        # A public list: a bad token, a bad filter or page, and faults; nothing else.
        ("GET", "/api/v1/products/", {"400", "401", "404", "500", "503"}),
        ("GET", "/api/v1/products/{product_id}/", {"401", "404", "500", "503"}),
        ("GET", "/health/", {"500", "503"}),
        # `?address_id=`: a malformed id, and another account's.
        ("GET", "/api/v1/cart/", {"400", "401", "403", "404", "500", "503"}),
        (
            "POST",
            "/api/v1/checkout/",
            {"400", "401", "403", "404", "409", "413", "415", "500", "503"},
        ),
        (
            "POST",
            "/api/v1/auth/login/",
            {"400", "401", "413", "415", "429", "500", "503"},
        ),
    ],
)
def test_operations_list_only_the_errors_they_can_answer(schema, method, route, expected):
    operation = schema["paths"][route][method.lower()]
    assert set(errors_of(operation)) == expected


@pytest.mark.parametrize(
    ("method", "route", "status", "codes"),
    [
        # Derived from the permission class (IsVerifiedAccount declares email_not_verified).
        ("POST", "/api/v1/checkout/", "403", ["permission_denied", "email_not_verified"]),
        # From the service (checkout_create) and the idempotency decorator.
        (
            "POST",
            "/api/v1/checkout/",
            "409",
            [
                "insufficient_stock",
                "product_unavailable",
                "delivery_unavailable",
                "idempotency_key_reused",
            ],
        ),
        ("POST", "/api/v1/checkout/", "400", ["cart_empty", "validation_error", "parse_error"]),
        ("POST", "/api/v1/checkout/", "413", ["request_too_large"]),
        ("POST", "/api/v1/auth/login/", "401", ["invalid_credentials"]),
        ("POST", "/api/v1/auth/verify-email/", "400", ["invalid_token", "validation_error"]),
        ("POST", "/api/v1/payments/paystack/webhook/", "400", ["invalid_signature"]),
        ("POST", "/api/v1/order-groups/{group_id}/payments/", "502", ["payment_provider_error"]),
        ("POST", "/api/v1/products/{product_id}/images/", "413", ["file_too_large"]),
        (
            "POST",
            "/api/v1/shops/{shop_id}/orders/{order_id}/status/",
            "409",
            ["invalid_transition"],
        ),
    ],
)
def test_error_descriptions_name_the_derived_codes(schema, method, route, status, codes):
    description = errors_of(schema["paths"][route][method.lower()])[status]
    for code in codes:
        assert f"`{code}`" in description, (status, code, description)


# A view of the kind new endpoints are: the errors come from its parts and one declaration.
class Thing(serializers.Serializer):
    name = serializers.CharField()


@raises(InvalidTransition)
def thing_service() -> None:
    """A service declaring what it raises."""


class ThingView(APIView):
    permission_classes = [IsVerifiedAccount]
    throttle_classes = [LoginIPThrottle]

    @extend_schema(summary="Move a thing", tags=["things"], request=Thing, responses=Thing)
    @raises(thing_service, Conflict)
    def post(self, request: Request, thing_id: str) -> Response:
        raise NotImplementedError


class OpenThingView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(summary="Show the open thing", tags=["things"], responses=Thing)
    def get(self, request: Request) -> Response:
        raise NotImplementedError


def test_a_new_view_gets_its_errors_from_its_parts_and_one_declaration():
    patterns = [
        path("api/v1/things/<str:thing_id>/move/", ThingView.as_view()),
        path("api/v1/things/open/", OpenThingView.as_view()),
    ]
    generated = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    moved = generated["paths"]["/api/v1/things/{thing_id}/move/"]["post"]
    assert moved["operationId"] == "move_thing"
    errors = errors_of(moved)
    assert set(errors) == {"400", "401", "403", "404", "409", "413", "415", "429", "500", "503"}
    assert "`invalid_transition`" in errors["409"] and "`conflict`" in errors["409"]
    assert "`email_not_verified`" in errors["403"]
    opened = generated["paths"]["/api/v1/things/open/"]["get"]
    assert set(errors_of(opened)) == {"500", "503"}
    assert opened["operationId"] == "show_open_thing"


def test_patch_bodies_carry_no_defaults(schema):
    """A generated client sends a property's default when the caller leaves it out: a PATCH of
    the price would reset the description and re-activate the product."""
    seen = 0
    for method, route, operation in operations(schema):
        if method != "PATCH":
            continue
        for media in operation["requestBody"]["content"].values():
            body = component(schema, media["schema"]["$ref"])
            defaults = {k: v["default"] for k, v in body["properties"].items() if "default" in v}
            assert defaults == {}, (route, defaults)
            seen += 1
    assert seen >= 8
    product = schema["components"]["schemas"]["PatchedProductUpdateRequest"]
    assert "required" not in product


def test_request_bodies_are_json_except_uploads(schema):
    for method, route, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        media_types = set(content)
        if not media_types:
            continue
        assert "application/json" in media_types or "multipart/form-data" in media_types
        if "multipart/form-data" in media_types:
            upload = component(schema, content["multipart/form-data"]["schema"]["$ref"])
            files = [p for p in upload["properties"].values() if p.get("format") == "binary"]
            assert files, (method, route)
        assert media_types <= {"application/json", "multipart/form-data"}, (method, route)
    uploads = {
        (method, route)
        for method, route, operation in operations(schema)
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert {
        ("POST", "/api/v1/products/{product_id}/images/"),
        ("PATCH", "/api/v1/shops/{shop_id}/"),
    } <= uploads


def test_every_operation_has_a_summary_a_described_tag_and_a_word_id(schema):
    described = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    used: set[str] = set()
    ids: list[str] = []
    for method, route, operation in operations(schema):
        assert operation.get("summary"), (method, route)
        assert operation.get("tags"), (method, route)
        used.update(operation["tags"])
        ids.append(operation["operationId"])
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation["operationId"])
        # "list", "create", "retrieve"... as a suffix are the generator's, not words.
        assert not re.search(
            r"_(create|retrieve|partial_update|destroy)$", operation["operationId"]
        )
    assert len(ids) == len(set(ids))
    assert used == set(described), "every tag used and described, no empty tag section"
    assert all(described.values())


def test_money_fields_state_their_minimum_and_pattern(schema):
    price = schema["components"]["schemas"]["ProductWriteRequest"]["properties"]["price"]
    assert price["minimum"] == 0.01
    assert not re.match(price["pattern"], "-1.00")
    assert re.match(price["pattern"], "1500.00")
    fee = schema["components"]["schemas"]["ShopWriteRequest"]["properties"]["delivery_fee"]
    assert fee["minimum"] == 0 and not re.match(fee["pattern"], "-5")


def test_success_answers_are_enveloped(schema):
    operation = schema["paths"]["/api/v1/auth/verify-email/"]["post"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["properties"]["status"]["enum"] == ["success"]
    assert "data" not in body["properties"]
    product = schema["paths"]["/api/v1/products/{product_id}/"]["get"]["responses"]["200"]
    data = product["content"]["application/json"]["schema"]["properties"]["data"]
    assert data == {"$ref": "#/components/schemas/Product"}


def test_docs_pages_link_nothing_outside(client):
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url).content.decode()
        links = re.findall(r"""(?:src|href)=["']([^"']+)""", page)
        assert links, url
        assert [link for link in links if re.match(r"(https?:)?//", link)] == [], url
        assert "fonts.googleapis" not in page


KEYSET_LISTS = {
    "/api/v1/products/",
    "/api/v1/order-groups/",
    "/api/v1/returns/",
    "/api/v1/shops/{shop_id}/orders/",
    "/api/v1/shops/{shop_id}/returns/",
    "/api/v1/shops/{shop_id}/products/",
    "/api/v1/shops/{shop_id}/ledger/",
}


def test_every_paginated_list_documents_its_count_header_and_keyset_lists_their_cursor(schema):
    paginated = 0
    for _method, url, operation in operations(schema):
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if "page" not in names:
            continue
        paginated += 1
        assert "X-Count-Exact" in operation["responses"]["200"]["headers"], url
        assert ("cursor" in names) == (url in KEYSET_LISTS), url
        envelope = operation["responses"]["200"]["content"]["application/json"]["schema"]
        page = component(schema, envelope["properties"]["data"]["$ref"])
        assert "estimate" in page["properties"]["count"]["description"], url
    assert paginated > 15
