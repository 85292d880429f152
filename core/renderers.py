"""Wraps every successful DRF response in the success envelope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer

_DEFAULT_MESSAGES = {200: "OK.", 201: "Created.", 202: "Accepted."}


class EnvelopeRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        try:
            return self._render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A string that is not Unicode text (a lone surrogate echoed from a request) cannot
            # be written as UTF-8: write it escaped (`\udXXX`), pure ASCII, rather than fail.
            return AsciiEnvelopeRenderer()._render(data, accepted_media_type, renderer_context)

    def _render(
        self,
        data: Any,
        accepted_media_type: str | None,
        renderer_context: Mapping[str, Any] | None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is None or getattr(response, "enveloped", False):
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code == 204:
            return b""
        body: dict[str, Any] = {
            "status": "success",
            "message": getattr(response, "message", None)
            or _DEFAULT_MESSAGES.get(response.status_code, "OK."),
        }
        if data is not None:
            body["data"] = data
        return super().render(body, accepted_media_type, renderer_context)


class AsciiEnvelopeRenderer(EnvelopeRenderer):
    ensure_ascii = True
