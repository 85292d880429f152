"""Hostile bodies and query strings on real endpoints: refused cleanly, in the envelope, with
nothing written. Never a 500, never a database error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from carts.models import CartItem
from orders.models import OrderGroup
from products.models import Product, ProductImage
from shops.models import DeliveryZone, Shop
from tests.hostile.conftest import World, png_bytes
from users.models import Address, User

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
JSON = "application/json"


def assert_error(response: Any, status: int, code: str | set[str]) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"status", "code", "message", "errors"}, body
    assert body["status"] == "error"
    codes = {code} if isinstance(code, str) else code
    assert body["code"] in codes, body
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def owner(world: World) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.owner_token}")
    return client


@pytest.fixture
def admin(world: World) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.admin_token}")
    return client


def json_posts(world: World) -> dict[str, str]:
    """The main write endpoints, by name."""
    ids = world.path_ids
    return {
        "register": "/api/v1/auth/register/",
        "product create": f"/api/v1/shops/{ids['shop_id']}/products/",
        "cart add": "/api/v1/cart/items/",
        "checkout": "/api/v1/checkout/",
        "address create": "/api/v1/addresses/",
        "inventory": f"/api/v1/products/{ids['product_id']}/inventory/",
    }


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Product.objects.count(),
        CartItem.objects.count(),
        OrderGroup.objects.count(),
        Address.objects.count(),
        Shop.objects.count(),
        DeliveryZone.objects.count(),
    )


# --- Size -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3 * MB, 10 * MB], ids=["3MB", "10MB"])
def test_big_json_bodies_are_413(world, owner, size):
    before = counts()
    for name, path in json_posts(world).items():
        body = json.dumps({"email": "big@example.com", "name": "x", "note": "n" * size})
        response = owner.generic("POST", path, body, content_type=JSON)
        assert_error(response, 413, "request_too_large")
        assert response.has_header("X-Request-ID"), name
    assert counts() == before


def test_a_10mb_body_is_refused_unread(world, owner, settings):
    """Over REQUEST_BODY_MAX_SIZE the body is not even parsed: no view runs, so it does not
    matter whether it is well-formed."""
    body = b"{" + b"x" * (10 * MB)
    path = json_posts(world)["checkout"]
    assert_error(owner.generic("POST", path, body, content_type=JSON), 413, "request_too_large")
    settings.REQUEST_BODY_MAX_SIZE = 20 * MB  # only DATA_UPLOAD_MAX_MEMORY_SIZE left
    assert_error(owner.generic("POST", path, body, content_type=JSON), 413, "request_too_large")


def test_a_10mb_image_upload_is_413(world, owner):
    url = f"/api/v1/products/{world.path_ids['product_id']}/images/"
    before = ProductImage.objects.count()
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * (10 * MB), "image/png")
    assert_error(
        owner.post(url, {"image": big}, format="multipart"),
        413,
        {"request_too_large", "file_too_large"},
    )
    # Under the request bound but over the image limit: the image's own 413.
    over = SimpleUploadedFile("over.png", png_bytes() + b"\0" * (5 * MB + 10), "image/png")
    assert_error(owner.post(url, {"image": over}, format="multipart"), 413, "file_too_large")
    assert ProductImage.objects.count() == before
    image = SimpleUploadedFile("ok.png", png_bytes(), "image/png")
    ok = owner.post(url, {"image": image}, format="multipart")
    assert ok.status_code == 201, ok.content


def test_a_10mb_shop_logo_is_413(world, owner):
    url = f"/api/v1/shops/{world.path_ids['shop_id']}/"
    for size in (10 * MB, 5 * MB + 10):
        logo = SimpleUploadedFile("logo.png", png_bytes() + b"\0" * size, "image/png")
        response = owner.patch(url, {"logo": logo}, format="multipart")
        assert_error(response, 413, {"request_too_large", "file_too_large"})
    assert not Shop.objects.get(id=world.path_ids["shop_id"]).logo


def test_a_big_form_field_next_to_an_image_is_413(world, owner):
    url = f"/api/v1/products/{world.path_ids['product_id']}/images/"
    image = SimpleUploadedFile("a.png", png_bytes(), "image/png")
    response = owner.post(url, {"image": image, "extra": "y" * (3 * MB)}, format="multipart")
    assert_error(response, 413, "request_too_large")


def test_too_many_form_parts_are_400(world, owner):
    data = {f"f{i}": "1" for i in range(1500)}
    for method, path in [
        ("PATCH", f"/api/v1/shops/{world.path_ids['shop_id']}/"),
        ("POST", f"/api/v1/products/{world.path_ids['product_id']}/images/"),
    ]:
        response = owner.generic(
            method, path, encode_multipart(BOUNDARY, data), content_type=MULTIPART_CONTENT
        )
        assert_error(response, 400, "parse_error")

    files = {
        f"image{i}": SimpleUploadedFile(f"{i}.png", png_bytes(), "image/png") for i in range(20)
    }
    response = owner.post(
        f"/api/v1/products/{world.path_ids['product_id']}/images/", files, format="multipart"
    )
    assert_error(response, 400, "parse_error")


def test_multipart_is_refused_where_no_file_is_uploaded(owner):
    """JSON endpoints take JSON only (API.md §1): a form body is `415`, as the schema says."""
    response = owner.generic(
        "POST",
        "/api/v1/cart/items/",
        encode_multipart(BOUNDARY, {"quantity": "1"}),
        content_type=MULTIPART_CONTENT,
    )
    assert_error(response, 415, "unsupported_media_type")


# --- Shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "body", "code"),
    [
        ("nested 100000 deep", "[" * 100_000 + "]" * 100_000, "parse_error"),
        ("objects 5000 deep", '{"a":' * 5000 + "1" + "}" * 5000, "parse_error"),
        ("nested 40 deep", '{"product_id":' + "[" * 40 + "]" * 40 + "}", "parse_error"),
        ("array", "[1, 2, 3]", "validation_error"),
        ("string", '"text"', "validation_error"),
        ("number", "5", "validation_error"),
        ("null", "null", "validation_error"),
        ("not utf-8", b'{"name": "\xff\xfe\xfa"}', "parse_error"),
        ("latin-1 bytes", b'{"name": "caf\xe9"}', "parse_error"),
        ("NaN", '{"quantity": NaN, "price": NaN, "stock": NaN}', "parse_error"),
        ("Infinity", '{"quantity": Infinity, "price": -Infinity}', "parse_error"),
        ("5000-digit integer", '{"quantity": 1' + "0" * 5000 + "}", "parse_error"),
        ("lone surrogate", '{"name": "ab\\ud800", "email": "\\udfff@x.io"}', "parse_error"),
        ("lone surrogate key", '{"\\ud800": 1}', "parse_error"),
        ("truncated", '{"name": "x"', "parse_error"),
        ("empty object twice", "{}{}", "parse_error"),
    ],
)
def test_malformed_json_is_400(world, owner, label, body, code):
    before = counts()
    for name, path in json_posts(world).items():
        response = owner.generic("POST", path, body, content_type=JSON)
        assert_error(response, 400, code)
    assert counts() == before


def test_json_at_the_depth_limit_is_parsed(world, owner):
    """32 levels parse (then fail validation like any wrong type); 33 do not."""
    ok = '{"product_id":' + "[" * 31 + "]" * 31 + "}"
    assert_error(
        owner.generic("POST", "/api/v1/cart/items/", ok, content_type=JSON), 400, "validation_error"
    )
    deep = '{"product_id":' + "[" * 32 + "]" * 32 + "}"
    assert_error(
        owner.generic("POST", "/api/v1/cart/items/", deep, content_type=JSON), 400, "parse_error"
    )


def test_wrong_content_types_are_415(world, owner):
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""]:
        response = owner.generic(
            "POST", "/api/v1/cart/items/", b"quantity=1", content_type=content_type
        )
        assert_error(response, 415, "unsupported_media_type")


# --- Values, field by field, from the schema ----------------------------------------------------


def _json_operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, schema name, properties) of every operation that takes a JSON object."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            ref = content.get(JSON, {}).get("schema", {}).get("$ref")
            if not ref:
                continue
            name = ref.rsplit("/", 1)[1]
            found.append((method.upper(), path, name, components[name].get("properties", {})))
    return found


JSON_OPERATIONS = _json_operations()
# Only platform admins reach these serializers.
ADMIN_ONLY = {
    "/api/v1/categories/",
    "/api/v1/categories/{category_id}/",
    "/api/v1/shops/{shop_id}/ledger/adjustments/",
    "/api/v1/payouts/run/",
    "/api/v1/shops/{shop_id}/status/",
}


def _path(path: str, world: World) -> str:
    for name, value in world.path_ids.items():
        path = path.replace("{" + name + "}", value)
    return path


def _bad_values(prop: dict[str, Any]) -> list[Any]:
    """Values that must never get past validation for a property of this schema."""
    values: list[Any] = [{"nested": ["x"]}, ["x", "y"]]
    kind = prop.get("type")
    if kind == "string" and "enum" not in prop and prop.get("format") != "uuid":
        values += ["x" * 20_000, "a\x00b"]
    if kind == "string" and prop.get("format") == "decimal":
        values += ["1e400", "NaN", "-Infinity", "9" * 40]
    if kind == "integer":
        values += [10**30, -(10**30), "12abc", 1.5]
    if "enum" in prop:
        values += ["not-a-choice", "\x00"]
    if prop.get("format") == "uuid":
        values += ["not-a-uuid", "\x00"]
    if prop.get("format") in ("date", "date-time"):
        values += ["0000-00-00", "99999-01-01", "2024-02-30"]
    return values


@pytest.mark.parametrize(
    ("method", "path", "component", "properties"),
    JSON_OPERATIONS,
    ids=[f"{m} {p}" for m, p, _, _ in JSON_OPERATIONS],
)
def test_every_field_refuses_hostile_values(
    world, owner, admin, method, path, component, properties
):
    """Each documented body field, alone, with values no field should accept: a 400 that names
    the field (or a business 400 such as `invalid_token`), never a 500, nothing written."""
    client = admin if path in ADMIN_ONLY else owner
    url = _path(path, world)
    before = counts()
    for field, prop in properties.items():
        if prop.get("readOnly"):
            continue
        for value in _bad_values(prop):
            response = client.generic(method, url, json.dumps({field: value}), content_type=JSON)
            assert response.status_code == 400, (
                field,
                value if len(str(value)) < 80 else "...",
                response.content[:300],
            )
            body = response.json()
            if body["code"] == "validation_error":
                assert field in body["errors"] or "non_field_errors" in body["errors"], (
                    field,
                    body,
                )
    assert counts() == before


# --- Query strings ------------------------------------------------------------------------------


def list_urls(world: World) -> list[str]:
    ids = world.path_ids
    return [
        "/api/v1/products/",
        f"/api/v1/shops/{ids['shop_id']}/products/",
        "/api/v1/shops/",
        "/api/v1/categories/",
        "/api/v1/users/",
        "/api/v1/addresses/",
        "/api/v1/order-groups/",
        f"/api/v1/shops/{ids['shop_id']}/orders/",
        f"/api/v1/shops/{ids['shop_id']}/staff/",
        "/api/v1/returns/",
        f"/api/v1/shops/{ids['shop_id']}/returns/",
    ]


GARBAGE_QUERIES = [
    "page=1&page=2&page=x",
    "page=0",
    "page=-1",
    "page=99999999999999999999999999",
    "page_size=0",
    "page_size=-5",
    "page_size=1e9",
    "page_size=100000&page_size=3",
    "page=%00&page_size=%00",
    "search=" + "s" * 5000,
    "search=%00",
    "search=%ff%fe",
    "search=a&search=b&search=" + "%25" * 100,
    "shop=not-a-uuid&category=%00&min_price=abc&max_price=1e400&in_stock=maybe",
    "min_price=NaN&max_price=-Infinity",
    "min_price=99999999999999999999999999&max_price=-99999999999999999999",
    "ordering=zz&ordering=-price&ordering=" + "-" * 100,
    "status=nope&status=%00",
    "role=zz&role=admin",
    "parent=x&parent=00000000-0000-0000-0000-000000000000",
    "created_after=3668-07-30T09:41:22-23:58&created_before=0001-01-01T00:00:00%2B05:00",
    "include_inactive=maybe&include_inactive=true",
    "category=" + "c" * 3000,
    "%00=%00&" + "&".join(f"k{i}=v" for i in range(500)),
]


@pytest.mark.parametrize("query", GARBAGE_QUERIES)
def test_garbage_query_strings_on_lists(world, owner, admin, query):
    for url in list_urls(world):
        client = admin if url == "/api/v1/users/" else owner
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 400, 404), (
            url,
            response.status_code,
            response.content[:300],
        )
        body = response.json()
        if response.status_code == 200:
            assert body["status"] == "success"
            assert {"count", "next", "previous", "results"} <= set(body["data"])
            assert len(body["data"]["results"]) <= 100
        else:
            assert body["status"] == "error" and body["code"] in ("validation_error", "not_found")
