import time

import pytest
from django.contrib.staticfiles import finders


def test_health_is_ok_without_io(client):
    # No `db` fixture: any database access here would raise.
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_checks_database_and_cache(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_ready_reports_what_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    from django.core.cache import caches

    caches._settings = caches.settings = settings.CACHES
    try:
        del caches._connections.default
    except AttributeError:
        pass
    response = client.get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["errors"]["database"] == "ok"
    assert body["errors"]["cache"].startswith("down")


@pytest.mark.django_db
def test_schema_is_openapi_and_enveloped(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "ErrorEnvelope" in schema["components"]["schemas"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_local_assets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(
    "asset",
    [
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    ],
)
def test_docs_assets_are_served_by_the_project(client, asset):
    assert finders.find(asset), asset
    response = client.get(f"/static/{asset}")
    assert response.status_code == 200


def test_ping_answers_through_drf_without_io(client):
    # No `db` fixture: any database access here would raise.
    response = client.get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.json() == {"status": "success", "message": "Pong.", "data": {"pong": True}}


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["killed", "paused"])
def test_ready_answers_within_two_seconds_naming_what_is_down(
    client, settings, own_redis_cache, fault
):
    settings.CELERY_BROKER_URL = own_redis_cache.url(1)
    assert client.get("/health/ready/").json()["checks"]["broker"] == "ok"
    if fault == "killed":
        own_redis_cache.kill()
    else:
        own_redis_cache.pause()  # connections accepted, never answered
    started = time.monotonic()
    response = client.get("/health/ready/")
    assert time.monotonic() - started < 2.0
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["errors"]["database"] == "ok"
    assert body["errors"]["cache"].startswith("down")
    assert body["errors"]["broker"].startswith("down")
    assert "cache" in body["message"] and "broker" in body["message"]


@pytest.mark.parametrize("path", ["/", "/api/", "/api/v1/"])
def test_the_roots_link_the_docs_schema_health_and_api(client, path):
    """No database: the index answers for anyone, even with a stale token."""
    response = client.get(path, HTTP_AUTHORIZATION="Bearer stale")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert body["data"] == {
        "docs": "http://testserver/api/docs/",
        "redoc": "http://testserver/api/redoc/",
        "schema": "http://testserver/api/schema/",
        "health": "http://testserver/health/",
        "ready": "http://testserver/health/ready/",
        "api": "http://testserver/api/v1/",
        "admin": "http://testserver/admin/",
    }
    assert client.get("/api/v2/").status_code == 404
