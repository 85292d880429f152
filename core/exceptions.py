"""Turns every exception a DRF view raises into the error envelope."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import RedisError
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken as JWTInvalidToken

from core.errors import ApiError, ErrorCode
from core.responses import EnvelopeResponse

logger = logging.getLogger("core.errors")

# DRF exception class -> (our code, message used when DRF's own is too technical).
_DRF_CODES: list[tuple[type[drf.APIException], str, str | None]] = [
    (drf.ParseError, ErrorCode.PARSE_ERROR, None),
    (JWTInvalidToken, ErrorCode.NOT_AUTHENTICATED, "The access token is invalid or has expired."),
    (drf.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED, None),
    (drf.AuthenticationFailed, ErrorCode.NOT_AUTHENTICATED, None),
    (drf.PermissionDenied, ErrorCode.PERMISSION_DENIED, None),
    (drf.NotFound, ErrorCode.NOT_FOUND, None),
    (drf.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED, None),
    (drf.NotAcceptable, ErrorCode.NOT_ACCEPTABLE, None),
    (drf.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE, None),
    (drf.Throttled, ErrorCode.THROTTLED, None),
]


def error_body(code: str, message: str, errors: Any = None) -> dict[str, Any]:
    return {"status": "error", "code": code, "message": message, "errors": errors}


def error_response(
    status_code: int,
    code: str,
    message: str,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = EnvelopeResponse(
        error_body(code, message, errors), status=status_code, headers=headers
    )
    response.enveloped = True
    return response


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


# Seconds a client is asked to wait before retrying a request refused for a service outage.
SERVICE_UNAVAILABLE_RETRY_AFTER = 5


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.errors)

    if isinstance(exc, drf.ValidationError):
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            ErrorCode.VALIDATION_ERROR,
            "Validation failed.",
            _field_errors(exc.detail),
        )

    if isinstance(exc, Http404):
        return error_response(status.HTTP_404_NOT_FOUND, ErrorCode.NOT_FOUND, "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(
            status.HTTP_403_FORBIDDEN,
            ErrorCode.PERMISSION_DENIED,
            "You do not have permission to perform this action.",
        )
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            ErrorCode.REQUEST_TOO_LARGE,
            "The request body is too large.",
        )
    if isinstance(exc, SuspiciousOperation):
        # What Django itself answers with 400 (too many form fields, a malformed header...).
        return error_response(
            status.HTTP_400_BAD_REQUEST, ErrorCode.VALIDATION_ERROR, "Bad request."
        )

    if isinstance(exc, drf.APIException):
        headers: dict[str, str] = {}
        # Set by DRF's APIView.handle_exception on authentication failures.
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        # The stubs omit Throttled.wait, which its __init__ sets.
        wait = exc.wait if isinstance(exc, drf.Throttled) else None  # type: ignore[attr-defined]
        if wait is not None:
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        code = next((c for cls, c, _ in _DRF_CODES if isinstance(exc, cls)), None)
        message = next((m for cls, _, m in _DRF_CODES if isinstance(exc, cls) and m), None)
        if code is None:
            code = exc.default_code if isinstance(exc.default_code, str) else "error"
        if message is None:
            message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else ""
            message = message or str(exc.default_detail)
        return error_response(exc.status_code, code, message, None, headers)

    if isinstance(exc, RedisError | OperationalError | InterfaceError):
        # Redis or the database failed (whatever degrades without Redis does so where it calls
        # it); the transaction of the request was rolled back, so a retry is safe.
        logger.warning("Service unavailable in %s: %r", context.get("view").__class__.__name__, exc)
        return error_response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            ErrorCode.SERVICE_UNAVAILABLE,
            "A service this request needs is unavailable. Try again shortly.",
            None,
            {"Retry-After": str(SERVICE_UNAVAILABLE_RETRY_AFTER)},
        )

    logger.exception("Unhandled exception in %s", context.get("view").__class__.__name__)
    return error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        ErrorCode.SERVER_ERROR,
        "Something went wrong on our side.",
    )
