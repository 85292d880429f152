"""Limits on parsed JSON that every reader of a request body applies (the API's parser and the
Paystack webhook, which reads its raw body itself): no deep nesting, only Unicode text. Free of
DRF, so services may use it."""

from __future__ import annotations

import json
from typing import Any

JSON_MAX_DEPTH = 32


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_problem(data: Any, limit: int) -> str | None:
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


def json_loads_checked(body: bytes | str) -> Any:
    """`json.loads`, refusing with `ValueError` what `json_problem` refuses and JSON nested so
    deeply that the decoder gives up (a `RecursionError` otherwise)."""
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise ValueError("the document is nested too deeply") from exc
    problem = json_problem(data, JSON_MAX_DEPTH)
    if problem:
        raise ValueError(problem)
    return data
