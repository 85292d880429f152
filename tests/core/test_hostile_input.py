"""Core defences against hostile requests: body bounds, hardened parsers, a renderer that
cannot fail on odd text, Django's suspicious-request errors as 400s, and idempotency records
that hold whatever an error message echoes."""

from __future__ import annotations

import io
import json

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from core.parsers import JSON_MAX_DEPTH, JSONParser
from core.renderers import EnvelopeRenderer
from tests.factories import AddressFactory, CartItemFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.urls("tests.core.urls")

MB = 1024 * 1024


def parse(text: str | bytes):
    raw = text.encode() if isinstance(text, str) else text
    return JSONParser().parse(io.BytesIO(raw), "application/json", {})


def test_json_parser_accepts_ordinary_documents():
    assert parse('{"a": [1, {"b": "ü€😀"}], "c": null}') == {"a": [1, {"b": "ü€😀"}], "c": None}
    nested = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    assert parse(nested) is not None


@pytest.mark.parametrize(
    "text",
    [
        "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1),
        '{"a":' * (JSON_MAX_DEPTH + 1) + "1" + "}" * (JSON_MAX_DEPTH + 1),
        "[" * 200_000 + "]" * 200_000,  # past the decoder's own recursion limit
        '"\\ud800"',
        '{"k": ["ok", "\\udc00"]}',
        '{"\\ud83d": 1}',
        "NaN",
        '{"n": 1' + "0" * 5000 + "}",
    ],
    ids=[
        "deep-array",
        "deep-object",
        "very-deep",
        "lone",
        "lone-nested",
        "lone-key",
        "nan",
        "5000",
    ],
)
def test_json_parser_refuses_hostile_documents(text):
    with pytest.raises(ParseError):
        parse(text)


def test_a_surrogate_pair_is_ordinary_text():
    assert parse('"\\ud83d\\ude00"') == "😀"


def test_renderer_escapes_text_that_utf8_cannot_encode():
    response = Response({"name": "bad \ud800 text"})
    raw = EnvelopeRenderer().render(response.data, renderer_context={"response": response})
    assert raw.isascii()
    assert json.loads(raw) == {
        "status": "success",
        "message": "OK.",
        "data": {"name": "bad \ud800 text"},
    }
    ordinary = Response({"name": "café"})
    raw = EnvelopeRenderer().render(ordinary.data, renderer_context={"response": ordinary})
    assert "café".encode() in raw  # not escaped when it need not be


def test_body_over_the_request_bound_is_refused_unread(api_client, settings):
    settings.REQUEST_BODY_MAX_SIZE = 1 * MB
    body = json.dumps({"blob": "x" * (1 * MB)})
    response = api_client.generic("POST", "/test/boom/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "status": "error",
        "code": "request_too_large",
        "message": "The request body is too large.",
        "errors": None,
    }
    assert response.has_header("X-Request-ID")
    small = api_client.post("/test/boom/", {"blob": "x" * 1000}, format="json")
    assert small.status_code == 200 and small.json()["data"]["echo"]["blob"] == "x" * 1000


def test_a_lying_content_length_does_not_break_anything(api_client):
    response = api_client.generic(
        "POST", "/test/boom/", b'{"a": 1}', content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code in (200, 400)


def test_suspicious_operation_in_a_view_is_400(api_client):
    response = api_client.get("/test/suspicious/")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_idempotent_replay_of_an_error_that_echoes_a_nul(client_for):
    """A validation message may quote a NUL from the request; PostgreSQL's jsonb cannot hold
    one. The answer is still stored and replayed, byte for byte."""
    user = UserFactory()
    CartItemFactory(cart__user=user, product=ProductFactory(stock=5))
    AddressFactory(user=user)
    client = client_for(user)
    body = {"fulfillment_method": "pickup", "payment_method": "\x00cash"}
    first = client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="nul-1")
    assert first.status_code == 400, first.content
    assert "\\u0000" in first.content.decode()
    again = client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="nul-1")
    assert again.status_code == 400
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    other = dict(body, payment_method="cash")
    reused = client.post("/api/v1/checkout/", other, format="json", HTTP_IDEMPOTENCY_KEY="nul-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
