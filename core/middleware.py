"""Request ids for every log line, and JSON errors for whatever escapes a non-DRF view."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from core.errors import ErrorCode
from core.exceptions import error_body
from core.logging import request_id_var

logger = logging.getLogger("core.errors")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIDMiddleware:
    """Keeps a well-formed incoming ``X-Request-ID`` (or makes one) and echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


class RequestBodyLimitMiddleware:
    """Refuses a body whose `Content-Length` is over `REQUEST_BODY_MAX_SIZE` before reading it.

    JSON and form fields are held to the smaller `DATA_UPLOAD_MAX_MEMORY_SIZE` when parsed;
    this bound covers what that one does not: uploaded files, which Django would otherwise
    stream to disk whatever their size before a view could refuse them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = getattr(settings, "REQUEST_BODY_MAX_SIZE", None)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return json_error(413, ErrorCode.REQUEST_TOO_LARGE, "The request body is too large.")
        return self.get_response(request)


class JSONExceptionMiddleware:
    """Answers exceptions from non-DRF views with the error envelope, DEBUG on or off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse:
        if isinstance(exception, Http404):
            return json_error(404, ErrorCode.NOT_FOUND, "Not found.")
        if isinstance(exception, PermissionDenied):
            return json_error(403, ErrorCode.PERMISSION_DENIED, "Permission denied.")
        if isinstance(exception, RequestDataTooBig):
            return json_error(413, ErrorCode.REQUEST_TOO_LARGE, "The request body is too large.")
        if isinstance(exception, SuspiciousOperation):
            return json_error(400, ErrorCode.VALIDATION_ERROR, "Bad request.")
        logger.exception("Unhandled exception on %s %s", request.method, request.path)
        return json_error(500, ErrorCode.SERVER_ERROR, "Something went wrong on our side.")
