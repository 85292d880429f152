"""The one way views answer with a body: data plus a human message, enveloped by the renderer."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response


class EnvelopeResponse(Response):
    """What the envelope renderer reads besides the data: the success `message`, or `enveloped`
    when the body is final as it is (an error envelope, a replay, a health check)."""

    message: str | None = None
    enveloped: bool = False


def ok(data: Any = None, message: str | None = None, status: int = 200, **kwargs: Any) -> Response:
    response = EnvelopeResponse(data, status=status, **kwargs)
    response.message = message
    return response


def created(data: Any = None, message: str | None = None, **kwargs: Any) -> Response:
    return ok(data, message, status=201, **kwargs)


def no_content() -> Response:
    return Response(status=204)
