"""Health checks and the JSON answers Django gives outside DRF views."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ErrorCode
from core.exceptions import error_response
from core.middleware import json_error
from core.responses import EnvelopeResponse, ok


class HealthView(APIView):
    """Liveness: answers without touching the database, the cache or the broker."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    envelope = False
    throttle_classes: list[Any] = []

    @extend_schema(
        tags=["operations"],
        summary="Check liveness",
        responses=inline_serializer("Health", {"status": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        response = EnvelopeResponse({"status": "ok"})
        response.enveloped = True
        return response


class IndexView(APIView):
    """`/`, `/api/` and `/api/v1/`: where to start (the docs, the schema, health, the API root).
    For people finding their way, so not part of the schema."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        links = {
            name: request.build_absolute_uri(reverse(url_name))
            for name, url_name in [
                ("docs", "swagger-ui"),
                ("redoc", "redoc"),
                ("schema", "schema"),
                ("health", "health"),
                ("ready", "health-ready"),
                ("api", "api-root"),
                ("admin", "admin:index"),
            ]
        }
        return ok(links, "Marketplace API. The docs are at /api/docs/.")


class RedocView(SpectacularRedocView):
    """ReDoc (from drf-spectacular-sidecar) on a page that loads nothing from outside: no Google
    Fonts (core/templates/core/redoc.html), and a Content Security Policy that keeps the browser
    from fetching ReDoc's own logo off its CDN."""

    template_name = "core/redoc.html"
    content_security_policy = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:"
    )

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = self.content_security_policy
        return response


class PingView(APIView):
    """A fixed, tiny answer through the whole DRF stack and no I/O: the throughput ceiling
    that the benchmarks compare real endpoints against."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        tags=["operations"],
        summary="Ping the API",
        responses=inline_serializer("Pong", {"pong": serializers.BooleanField()}),
    )
    def get(self, request: Request) -> Response:
        return ok({"pong": True}, "Pong.")


# The checks run side by side, each in a thread of its own, and the answer waits this long at
# most: a hung dependency is reported down instead of holding the probe (and its worker).
READY_DEADLINE = 1.5


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread's own connection


def _check_cache() -> None:
    cache.set("health:ready", "1", 5)
    if cache.get("health:ready") != "1":
        raise RuntimeError("cache did not return the value written")


def _check_broker() -> None:
    if not settings.CELERY_BROKER_URL:
        return
    from core.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=READY_DEADLINE)


def _run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    results: dict[str, str] = {}
    lock = threading.Lock()

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
            result = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            result = f"down: {exc.__class__.__name__}"
        with lock:
            results[name] = result

    threads = [
        threading.Thread(target=run, args=item, name=f"ready-{item[0]}", daemon=True)
        for item in checks.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + READY_DEADLINE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        return {name: results.get(name, "down: timed out") for name in checks}


class ReadinessView(APIView):
    """Readiness: the database, the cache and (when configured) the Celery broker answer."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    envelope = False
    throttle_classes: list[Any] = []

    @extend_schema(
        tags=["operations"],
        summary="Check readiness",
        responses={
            200: inline_serializer(
                "Readiness", {"status": serializers.CharField(), "checks": serializers.DictField()}
            ),
            503: OpenApiResponse(
                description="`service_unavailable`: something is down; `errors` has each check."
            ),
        },
    )
    def get(self, request: Request) -> Response:
        results = _run_checks(
            {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
        )
        down = [name for name, result in results.items() if result != "ok"]
        if down:
            return error_response(
                503, ErrorCode.SERVICE_UNAVAILABLE, f"Unavailable: {', '.join(down)}.", results
            )
        response = EnvelopeResponse({"status": "ok", "checks": results})
        response.enveloped = True
        return response


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return json_error(404, ErrorCode.NOT_FOUND, "Not found.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """Only cookie-authenticated forms (the admin) use CSRF; the API authenticates with tokens."""
    return json_error(403, ErrorCode.PERMISSION_DENIED, "CSRF verification failed.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(400, ErrorCode.VALIDATION_ERROR, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(403, ErrorCode.PERMISSION_DENIED, "Permission denied.")


def server_error(request: HttpRequest) -> JsonResponse:
    return json_error(500, ErrorCode.SERVER_ERROR, "Something went wrong on our side.")
