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

JSON_MAX_DEPTH = 32


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem(data: Any, limit: int) -> str | None:
    """What is wrong with parsed JSON, if anything: nesting deeper than `limit` levels, or a
    string that is not Unicode text (a lone surrogate such as `"\\ud800"`, valid JSON that no
    database column, log line or response can encode). An iterative walk: no recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _is_text(value):
                return "a string is not valid Unicode text (unpaired surrogate)"
            continue
        if isinstance(value, dict):
            if not all(_is_text(key) for key in value):
                return "a key is not valid Unicode text (unpaired surrogate)"
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return f"the document is nested more than {limit} levels"
        stack.extend((child, depth + 1) for child in children)
    return None


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
        problem = _problem(data, self.max_depth)
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
