"""Every endpoint of the public API, read from the URL conf itself (not from a list kept by
hand), so that a new endpoint shows up in the security matrix on its own."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

API_PREFIX = "/api/v1/"
IGNORED_METHODS = {"options", "head"}

_ROUTE_PARAM = re.compile(r"<(?:[^>:]+:)?(\w+)>")


def _regex_template(regex: str) -> str:
    """`^payments/(?P<reference>[A-Z]{1,9})/$` -> `payments/{reference}/` (nested groups too)."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out: list[str] = []
    index = 0
    while index < len(regex):
        match = re.match(r"\(\?P<(\w+)>", regex[index:])
        if match is None:
            char = regex[index]
            if char == "\\" and index + 1 < len(regex):
                out.append(regex[index + 1])
                index += 2
                continue
            out.append(char)
            index += 1
            continue
        out.append("{" + match.group(1) + "}")
        depth, index = 1, index + match.end()
        while depth:
            char = regex[index]
            if char == "\\":
                index += 2
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            index += 1
    return "".join(out)


def _template(pattern: RoutePattern | RegexPattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAM.sub(r"{\1}", str(pattern))
    return _regex_template(str(pattern))


def _walk(patterns: list, prefix: str) -> Iterator[tuple[str, object]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _template(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _template(entry.pattern), entry.callback


def view_methods(callback: object) -> list[str]:
    """The HTTP methods the view answers (its handlers), without OPTIONS and HEAD."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:  # a plain function view: not part of the API
        return []
    return sorted(
        name.upper()
        for name in view_class.http_method_names
        if name not in IGNORED_METHODS and hasattr(view_class, name)
    )


def api_endpoints() -> list[tuple[str, str]]:
    """Every (route template, method) under /api/v1/, the route relative to that prefix, e.g.
    ("/cart/items/{item_id}/", "PATCH"), sorted."""
    found: set[tuple[str, str]] = set()
    for route, callback in _walk(get_resolver().url_patterns, "/"):
        if route.startswith(API_PREFIX):
            route = route.removeprefix(API_PREFIX.rstrip("/"))
            found.update((route, method) for method in view_methods(callback))
    return sorted(found)


def path_params(route: str) -> list[str]:
    return re.findall(r"{(\w+)}", route)
