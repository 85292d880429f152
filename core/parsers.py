"""Request parsers: DRF's, hardened against hostile bodies.

- JSON nested deeper than `JSON_MAX_DEPTH` levels (our bodies need three or four) is refused
  with `400 parse_error`, before any code walks it recursively; so is JSON nested so deeply that
  the decoder itself gives up, and JSON whose strings are not Unicode text (lone surrogates).
- A multipart body with more parts than Django allows (`DATA_UPLOAD_MAX_NUMBER_FIELDS`,
  `DATA_UPLOAD_MAX_NUMBER_FILES`) is `400 parse_error`, not a server error.

Sizes are bounded elsewhere: the whole body by `core.middleware.RequestBodyLimitMiddleware`,
non-file data by `DATA_UPLOAD_MAX_MEMORY_SIZE` (both answer `413 request_too_large`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.json_limits import JSON_MAX_DEPTH, json_problem


class JSONParser(parsers.JSONParser):
    max_depth = JSON_MAX_DEPTH

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        problem = json_problem(data, self.max_depth)
        if problem:
            raise ParseError(f"JSON parse error - {problem}.")
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            raise ParseError("Multipart form parse error - too many parts.") from exc
