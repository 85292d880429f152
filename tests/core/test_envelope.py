import pytest
from django.test import override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.urls("tests.core.urls")


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "errors" in body
    return body


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/nope/", "/api/v1/nope/", "/api/v1/products/not-a-uuid/"])
def test_unknown_url_is_json_404(client, path, debug):
    with override_settings(DEBUG=debug):
        response = client.get(path)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_post_to_unknown_url_is_json_404_not_a_csrf_page(debug):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    with override_settings(DEBUG=debug):
        # No trailing slash: no route matches, and no CSRF page answers instead.
        response = client.post("/api/v1/auth/login", data="{}", content_type="application/json")
    assert_error(response, 404, "not_found")


def test_csrf_failure_is_json():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "a", "password": "b"})
    assert_error(response, 403, "permission_denied")


def test_malformed_json_is_parse_error(api_client):
    response = api_client.post("/test/boom/", data='{"a": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_wrong_method_is_405(api_client):
    response = api_client.delete("/test/boom/")
    assert_error(response, 405, "method_not_allowed")


def test_unsupported_media_type_is_415(api_client):
    response = api_client.post("/test/boom/", data="a=1", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("debug", [False, True])
def test_unhandled_exception_is_500_without_traceback(debug):
    from rest_framework.test import APIClient

    client = APIClient(raise_request_exception=False)
    with override_settings(DEBUG=debug):
        response = client.get("/test/boom/")
    body = assert_error(response, 500, "server_error")
    assert body["errors"] is None
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_success_envelope_carries_message_and_data(api_client):
    response = api_client.post("/test/boom/", {"a": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "message": "Echoed.",
        "data": {"echo": {"a": 1}},
    }


@pytest.mark.django_db
def test_paginated_list_shape_and_bounds(api_client):
    UserFactory.create_batch(25)
    body = api_client.get("/test/users/").json()
    assert body["status"] == "success"
    data = body["data"]
    assert data["count"] == 25
    assert len(data["results"]) == 20
    assert data["previous"] is None
    assert "page=2" in data["next"]

    second = api_client.get("/test/users/?page=2").json()["data"]
    assert len(second["results"]) == 5
    assert second["next"] is None

    capped = api_client.get("/test/users/?page_size=1000").json()["data"]
    assert len(capped["results"]) == 25  # at most 100 a page, so all 25 fit

    small = api_client.get("/test/users/?page_size=7").json()["data"]
    assert len(small["results"]) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["3", "0", "abc"])
def test_out_of_range_page_is_404(api_client, page):
    UserFactory.create_batch(3)
    assert_error(api_client.get(f"/test/users/?page={page}"), 404, "not_found")


def test_request_id_is_echoed_or_generated(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get("/health/", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert generated["X-Request-ID"] and generated["X-Request-ID"] != "bad id with spaces\n"
    assert len(generated["X-Request-ID"]) == 32


@pytest.mark.parametrize("fault", ["killed", "paused"])
def test_what_truly_needs_redis_answers_503_with_retry_after(api_client, own_redis_cache, fault):
    assert api_client.get("/test/needs-redis/").status_code == 200
    own_redis_cache.kill() if fault == "killed" else own_redis_cache.pause()
    response = api_client.get("/test/needs-redis/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "error" and body["code"] == "service_unavailable"


def test_domain_errors_are_answered_like_drf_refusals():
    # Services raise plain exceptions of core.errors; the handler answers them exactly as it
    # answers DRF's own (a serializer's ValidationError, a ParseError).
    import json

    from rest_framework import exceptions as drf

    from core.errors import InvalidInput, MalformedRequest
    from core.exceptions import exception_handler

    def answer(exc):
        response = exception_handler(exc, {})
        return response.status_code, json.dumps(response.data, sort_keys=True)

    errors = {"stock": ["Must be between 0 and 1000000."]}
    assert answer(InvalidInput(errors)) == answer(drf.ValidationError(errors))
    assert answer(MalformedRequest("The event has no name.")) == answer(
        drf.ParseError("The event has no name.")
    )
    assert not isinstance(InvalidInput(errors), drf.APIException)
