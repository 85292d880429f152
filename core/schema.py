"""OpenAPI: every operation is described with the envelope and the errors it really answers with.

Built on drf-spectacular's documented extension points only: the public methods of `AutoSchema`
(`get_operation`, `get_summary`, `get_operation_id`, `resolve_serializer`), a serializer-field
extension and post-processing hooks (`SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`).

For contributors: what a new endpoint must declare
---------------------------------------------------
- `tags=[...]` and `summary="..."` in `@extend_schema` (a new tag also needs its description in
  `SPECTACULAR_SETTINGS["TAGS"]`). The operation id is made from the summary ("List a shop's
  orders" -> `list_shop_orders`); `extend_schema(operation_id=...)` overrides it.
- The error answers are derived, not written by hand:
  * a request body: `400 validation_error, parse_error`, `413 request_too_large` (an upload:
    `file_too_large`), `415 unsupported_media_type`;
  * query parameters (filters, pagination, declared parameters): `400 validation_error`;
  * a path parameter or pagination: `404 not_found`;
  * authentication classes, or a permission other than `AllowAny`: `401 not_authenticated`;
  * each permission's declared errors (`@raises(...)` on the class; an undeclared permission
    other than `AllowAny`/`IsAuthenticated` gives `403 permission_denied`);
  * throttles: `429 throttled`; always `500 server_error` and `503 service_unavailable`;
  * the **business errors** of the view method and of what it calls, declared with one line:
    `@raises(services.order_group_cancel)` (or error classes: `@raises(Conflict)`) on the view
    method, and `@raises(InvalidTransition, ...)` on the service (`core.errors.raises`).
  `tests/core/test_schema.py` checks the result, and the schemathesis run fails on any status
  an operation answers without documenting it.
- A view whose success answers are not enveloped (health checks) sets `envelope = False`; a
  DELETE that takes a body sets `delete_takes_body = True`.
- Request bodies are JSON (`application/json`) unless the view sets `parser_classes` for an
  upload. PATCH bodies carry no defaults: a generated client would send them.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.errors import ApiError, ErrorCode
from core.pagination import COUNT_EXACT_HEADER, exact_count_limit

ERROR_COMPONENT = "ErrorEnvelope"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
_STATUS_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found, or not yours",
    409: "Conflict with the current state",
    413: "Too large",
    415: "Unsupported media type",
    429: "Too many requests; see `Retry-After`",
    500: "Unexpected error",
    502: "The payment provider failed",
    503: "A service is unavailable; see `Retry-After`",
    504: "The payment provider did not answer in time",
}
_COUNT_EXACT_HEADER_SCHEMA = {
    "description": (
        f"`true` when `count` is exact; `false` when the list holds more than "
        f"{exact_count_limit():,} results and `count` is an estimate."
    ),
    "schema": {"type": "string", "enum": ["true", "false"]},
}
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_ARTICLES = {"a", "an", "the"}

Answer = tuple[int, str]  # (HTTP status, error code)


def error_codes() -> list[str]:
    """Every code of the public contract (`core.errors.ErrorCode`)."""
    return sorted({value for name, value in vars(ErrorCode).items() if name.isupper()})


def _declared(source: Any) -> list[Answer]:
    errors: tuple[type[ApiError], ...] = getattr(source, "api_errors", ())
    return [(int(error.status_code), error.code) for error in errors]


def _success_envelope(data_schema: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "status": {"type": "string", "enum": ["success"]},
        "message": {"type": "string"},
    }
    required = ["status", "message"]
    if data_schema is not None:
        properties["data"] = data_schema
        required.append("data")
    return {"type": "object", "properties": properties, "required": required}


def _words_id(summary: str) -> str:
    """`"Delete a category (admin); 409 while ..."` -> `"delete_category"` (up to the first
    `;`, `:` or `,`, without parentheses, code, possessives and articles)."""
    text = re.split(r"[;:,]", re.sub(r"\(.*?\)|`.*?`", "", summary))[0].lower()
    text = text.replace("'s", "").replace("e-mail", "email")
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in _ARTICLES]
    return "_".join(words)


class EnvelopeAutoSchema(AutoSchema):
    """Wraps 2xx bodies in `{status, message, data}` and lists the errors each operation can
    answer with (see the module docstring)."""

    def _handler(self) -> Any:
        """The view's method answering this operation (a viewset's action)."""
        return getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)

    def get_summary(self) -> str | None:
        # `extend_schema(summary=...)` wins; else the first line of the method's docstring.
        doc = get_doc(self._handler())
        return doc.splitlines()[0].rstrip(".") if doc else None

    def get_operation_id(self) -> str:
        summary = self.get_summary()
        return _words_id(summary) if summary else super().get_operation_id()

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        if self.method == "DELETE" and getattr(self.view, "delete_takes_body", False):
            serializer = self.get_request_serializer()
            if serializer is not None:
                component = self.resolve_serializer(serializer, "request")
                operation["requestBody"] = {
                    "content": {"application/json": {"schema": component.ref}},
                    "required": True,
                }
        responses = operation["responses"]
        paginated = any(
            parameter["in"] == "query" and parameter["name"] == "page"
            for parameter in operation.get("parameters", [])
        )
        for status_code, response in responses.items():
            if status_code.startswith("2"):
                self._envelope(status_code, response)
                if paginated:
                    response["headers"] = {COUNT_EXACT_HEADER: _COUNT_EXACT_HEADER_SCHEMA}
        for status_code, codes in sorted(self._error_answers(operation).items()):
            listed = ", ".join(f"`{code}`" for code in codes)
            # A description given in `extend_schema(responses=...)` is kept; the body is always
            # the error envelope.
            response = responses.setdefault(
                str(status_code),
                {"description": f"{_STATUS_TITLES.get(status_code, 'Error')}: {listed}."},
            )
            response["content"] = {"application/json": {"schema": dict(_ERROR_REF)}}
        return operation

    def _envelope(self, status_code: str, response: dict[str, Any]) -> None:
        if not getattr(self.view, "envelope", True):
            return  # health checks answer outside the envelope
        content = response.get("content")
        if content:
            for media in content.values():
                media["schema"] = _success_envelope(media.get("schema"))
        elif status_code != "204":
            # A message and no data (`OpenApiTypes.NONE`): the body is still the envelope.
            response["content"] = {"application/json": {"schema": _success_envelope(None)}}

    def _error_answers(self, operation: dict[str, Any]) -> dict[int, list[str]]:
        """Status -> codes this operation can answer with, derived from the view."""
        answers: list[Answer] = []
        body = operation.get("requestBody", {}).get("content", {})
        if body:
            answers += [(400, ErrorCode.VALIDATION_ERROR), (400, ErrorCode.PARSE_ERROR)]
            answers.append((415, ErrorCode.UNSUPPORTED_MEDIA_TYPE))
            if any(media.startswith("multipart/") for media in body):
                answers.append((413, ErrorCode.FILE_TOO_LARGE))
            answers.append((413, ErrorCode.REQUEST_TOO_LARGE))
        elif self.method in _BODY_METHODS or self.method == "DELETE":
            # No body is documented, but one can be sent: it is parsed if the view reads it.
            answers.append((413, ErrorCode.REQUEST_TOO_LARGE))
        parameters = operation.get("parameters", [])
        if any(parameter["in"] == "query" for parameter in parameters):
            answers.append((400, ErrorCode.VALIDATION_ERROR))
        if any(parameter["in"] == "path" for parameter in parameters) or any(
            parameter["in"] == "query" and parameter["name"] == "page" for parameter in parameters
        ):
            answers.append((404, ErrorCode.NOT_FOUND))
        if self.view.get_authenticators():
            answers.append((401, ErrorCode.NOT_AUTHENTICATED))
        for permission in self.view.get_permissions():
            if isinstance(permission, AllowAny):
                continue
            answers.append((401, ErrorCode.NOT_AUTHENTICATED))
            declared = _declared(permission)
            if not declared and not isinstance(permission, IsAuthenticated):
                declared = [(403, ErrorCode.PERMISSION_DENIED)]
            answers += declared
        if self.view.get_throttles():
            answers.append((429, ErrorCode.THROTTLED))
        answers += _declared(self.view)
        answers += _declared(self._handler())
        answers += [(500, ErrorCode.SERVER_ERROR), (503, ErrorCode.SERVICE_UNAVAILABLE)]
        by_status: dict[int, list[str]] = {}
        for status_code, code in answers:
            codes = by_status.setdefault(status_code, [])
            if code not in codes:
                codes.append(code)
        return by_status


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """Decimal fields (money): a decimal string whose pattern and minimum are the field's own, so
    a price that must be at least 0.01 is not documented as accepting a minus sign."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        field = self.target
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        whole = r"\d+" if field.max_whole_digits is None else rf"\d{{0,{field.max_whole_digits}}}"
        schema: dict[str, Any] = {
            "type": "string",
            "format": "decimal",
            "pattern": rf"^{sign}{whole}(?:\.\d{{0,{field.decimal_places}}})?$",
        }
        if field.min_value is not None:
            schema["minimum"] = float(field.min_value)
        if field.max_value is not None:
            schema["maximum"] = float(field.max_value)
        return schema


def add_error_component(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Post-processing hook: the shared error envelope, its `code` an enum of every code."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = {
        "type": "object",
        "description": "Every error answer (API.md §1.1).",
        "properties": {
            "status": {"type": "string", "enum": ["error"]},
            "code": {"type": "string", "enum": error_codes(), "description": "API.md §1.2."},
            "message": {"type": "string"},
            "errors": {
                "type": "object",
                "nullable": True,
                "additionalProperties": True,
                "description": (
                    "`validation_error`: `{field: [message, ...]}` (cross-field problems under "
                    "`non_field_errors`); business errors: their details (`items`, `from`/`to`/"
                    "`allowed`, ...); otherwise null."
                ),
            },
        },
        "required": ["status", "code", "message", "errors"],
    }
    return result


def strip_patch_defaults(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Post-processing hook: no default in what a PATCH body refers to. A client generated from
    the schema fills an absent field with its default and sends it, and a partial update would
    then reset fields the caller never named."""
    schemas = result.get("components", {}).get("schemas", {})
    pending = [
        media["schema"]
        for operations in result.get("paths", {}).values()
        for method, operation in operations.items()
        if method == "patch"
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[1]
            if name not in seen and name in schemas:
                seen.add(name)
                pending.append(schemas[name])
            continue
        if isinstance(node.get("type"), str):  # a schema, not a `properties` mapping
            node.pop("default", None)
        pending.extend(node.values())
    return result
