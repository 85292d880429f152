"""OpenAPI: every operation is described with the envelope it really answers with."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema

ERROR_COMPONENT = "ErrorEnvelope"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
_ERROR_DESCRIPTIONS = {
    "400": "Invalid request (`validation_error`, `parse_error`, ...).",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "Not found, or not yours.",
    "405": "Method not allowed.",
    "409": "Conflict with the current state.",
    "413": "Body or file too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests; see `Retry-After`.",
    "500": "Unexpected error.",
}


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


class EnvelopeAutoSchema(AutoSchema):
    """Wraps 2xx bodies in `{status, message, data}` and documents the error envelope."""

    # Views that answer outside the envelope (health checks) set `envelope = False`.
    def _is_enveloped(self) -> bool:
        return getattr(self.view, "envelope", True)

    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: str,
        media_types: Any = None,
        direction: str = "response",
    ) -> dict[str, Any]:
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        for media in response.get("content", {}).values():
            if not status_code.startswith("2"):
                # Errors always use the error envelope, even from views that answer outside
                # the success envelope (health checks).
                media["schema"] = dict(_ERROR_REF)
            elif self._is_enveloped():
                media["schema"] = _success_envelope(media.get("schema"))
        return response

    def _get_request_body(self, direction: Literal["request", "response"] = "request") -> Any:
        # drf-spectacular documents bodies for POST, PUT and PATCH only; a view whose DELETE
        # takes one (`DELETE /users/me/` checks the password) sets `delete_takes_body = True`.
        if self.method == "DELETE" and getattr(self.view, "delete_takes_body", False):
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in _ERROR_DESCRIPTIONS.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": dict(_ERROR_REF)}},
                },
            )
        return responses


def add_error_component(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the shared error envelope schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["error"]},
            "code": {"type": "string"},
            "message": {"type": "string"},
            "errors": {"nullable": True},
        },
        "required": ["status", "code", "message", "errors"],
    }
    return result
