"""Error codes of the public contract and the exceptions that carry them.

Business code (services, tasks, admin actions) raises these plain exceptions and knows nothing
of HTTP frameworks; ``core.exceptions.exception_handler`` is the one place that turns them, and
DRF's own exceptions, into the error envelope. No view builds an error body by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

Declared = TypeVar("Declared")


class ErrorCode:
    VALIDATION_ERROR = "validation_error"
    PARSE_ERROR = "parse_error"
    CART_EMPTY = "cart_empty"
    INVALID_TOKEN = "invalid_token"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_CREDENTIALS = "invalid_credentials"
    PERMISSION_DENIED = "permission_denied"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    INSUFFICIENT_STOCK = "insufficient_stock"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    INVALID_TRANSITION = "invalid_transition"
    ALREADY_PAID = "already_paid"
    ORDER_NOT_PAYABLE = "order_not_payable"
    AMOUNT_BELOW_MINIMUM = "amount_below_minimum"
    DELIVERY_UNAVAILABLE = "delivery_unavailable"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    REQUEST_IN_PROGRESS = "request_in_progress"
    CONFLICT = "conflict"
    FILE_TOO_LARGE = "file_too_large"
    REQUEST_TOO_LARGE = "request_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    INVALID_SIGNATURE = "invalid_signature"
    PAYMENT_PROVIDER_ERROR = "payment_provider_error"
    PAYMENT_PROVIDER_TIMEOUT = "payment_provider_timeout"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVER_ERROR = "server_error"


class ApiError(Exception):
    """Base of every business error: an HTTP status, a stable code, a message, details."""

    status_code: int = HTTPStatus.BAD_REQUEST
    code: str = ErrorCode.VALIDATION_ERROR
    message: str = "The request could not be processed."

    def __init__(self, message: str | None = None, *, errors: Any = None) -> None:
        self.message = message or self.message
        self.errors = errors
        super().__init__(self.message)


class InvalidInput(ApiError):
    """Input a service refuses, by field (`{"field": ["message"]}`): answered exactly like a
    serializer's refusal."""

    message = "Validation failed."

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message, errors=errors)


class MalformedRequest(ApiError):
    """A body that cannot be read at all (not JSON, not the expected shape)."""

    code = ErrorCode.PARSE_ERROR
    message = "Malformed request."


class CartEmpty(ApiError):
    code = ErrorCode.CART_EMPTY
    message = "The cart is empty."


class InvalidToken(ApiError):
    code = ErrorCode.INVALID_TOKEN
    message = "The token is invalid or has expired."


class InvalidCredentials(ApiError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = ErrorCode.INVALID_CREDENTIALS
    message = "Invalid credentials."


class EmailNotVerified(ApiError):
    status_code = HTTPStatus.FORBIDDEN
    code = ErrorCode.EMAIL_NOT_VERIFIED
    message = "Verify your e-mail address first."


class NotFound(ApiError):
    status_code = HTTPStatus.NOT_FOUND
    code = ErrorCode.NOT_FOUND
    message = "Not found."


class PermissionDenied(ApiError):
    status_code = HTTPStatus.FORBIDDEN
    code = ErrorCode.PERMISSION_DENIED
    message = "You do not have permission to perform this action."


class Conflict(ApiError):
    status_code = HTTPStatus.CONFLICT
    code = ErrorCode.CONFLICT
    message = "The request conflicts with the current state."


class InsufficientStock(Conflict):
    code = ErrorCode.INSUFFICIENT_STOCK

    def __init__(self, items: list[dict[str, Any]], message: str | None = None) -> None:
        count = len(items)
        default = f"Not enough stock for {count} item{'s' if count != 1 else ''}."
        super().__init__(message or default, errors={"items": items})


class ProductUnavailable(Conflict):
    code = ErrorCode.PRODUCT_UNAVAILABLE

    def __init__(self, items: list[dict[str, Any]], message: str | None = None) -> None:
        count = len(items)
        default = f"{count} product{'s are' if count != 1 else ' is'} not available."
        super().__init__(message or default, errors={"items": items})


class DeliveryUnavailable(Conflict):
    code = ErrorCode.DELIVERY_UNAVAILABLE

    def __init__(self, shops: list[dict[str, Any]], message: str | None = None) -> None:
        count = len(shops)
        default = f"{count} shop{'s do' if count != 1 else ' does'} not deliver to this address."
        super().__init__(message or default, errors={"shops": shops})


class InvalidTransition(Conflict):
    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, *, from_status: str, to_status: str, allowed: list[str]) -> None:
        super().__init__(
            f"Cannot move from '{from_status}' to '{to_status}'.",
            errors={"from": from_status, "to": to_status, "allowed": allowed},
        )


class AlreadyPaid(Conflict):
    code = ErrorCode.ALREADY_PAID
    message = "This order has already been paid."


class OrderNotPayable(Conflict):
    code = ErrorCode.ORDER_NOT_PAYABLE
    message = "This order cannot be paid."


class AmountBelowMinimum(Conflict):
    code = ErrorCode.AMOUNT_BELOW_MINIMUM
    message = "The amount is below the payment provider's minimum."


class IdempotencyKeyReused(Conflict):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    message = "This Idempotency-Key was used with a different request."


class RequestInProgress(Conflict):
    code = ErrorCode.REQUEST_IN_PROGRESS
    message = "A request with this Idempotency-Key is still in progress."


class FileTooLarge(ApiError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = ErrorCode.FILE_TOO_LARGE
    message = "The file is too large."


class UnsupportedMediaType(ApiError):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    message = "Unsupported media type."


class InvalidSignature(ApiError):
    code = ErrorCode.INVALID_SIGNATURE
    message = "Invalid signature."


class PaymentProviderError(ApiError):
    status_code = HTTPStatus.BAD_GATEWAY
    code = ErrorCode.PAYMENT_PROVIDER_ERROR
    message = "The payment provider could not process the request."


class PaymentProviderTimeout(ApiError):
    status_code = HTTPStatus.GATEWAY_TIMEOUT
    code = ErrorCode.PAYMENT_PROVIDER_TIMEOUT
    message = "The payment provider did not answer in time."


def raises(*sources: type[ApiError] | Callable[..., Any]) -> Callable[[Declared], Declared]:
    """Declare the business errors a service, a view method or a permission class may raise.

    The OpenAPI schema lists them among the operation's answers (``core.schema``). A source is an
    error class, or a function or class that carries its own declaration, whose errors are taken
    over: ``@raises(services.order_group_cancel)`` on a view method says "whatever that service
    declares". Declarations add up (a subclass keeps its base's). Nothing changes at run time.
    """

    def declare(target: Declared) -> Declared:
        declared = list(getattr(target, "api_errors", ()))
        for source in sources:
            if isinstance(source, type) and issubclass(source, ApiError):
                declared.append(source)
            elif hasattr(source, "api_errors"):
                declared.extend(source.api_errors)
            else:
                raise TypeError(f"{source!r} is neither an ApiError nor declares its errors.")
        setattr(target, "api_errors", tuple(dict.fromkeys(declared)))  # noqa: B010
        return target

    return declare
