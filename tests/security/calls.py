"""How the security tests call an endpoint: which objects fill the path, and a valid body for
each endpoint, so that a caller who is allowed gets the success status (not a 400)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from devtools.fake_paystack import sign
from tests.factories import DEFAULT_PASSWORD, AddressFactory, CartFactory, CartItemFactory
from tests.security.routes import API_PREFIX, path_params
from tests.security.world import World, png_upload
from users.models import User
from users.tokens import EMAIL_VERIFICATION, PASSWORD_RESET, signed_token_make

NEW_PASSWORD = "Quiet-Lantern-Harbour-42"


def csv_upload() -> SimpleUploadedFile:
    """A catalogue file of one valid row."""
    header = "product_name,sku,price,stock"
    return SimpleUploadedFile(
        "catalogue.csv", f"{header}\nMatrix import,MATRIX-1,10.00,2\n".encode(), "text/csv"
    )


@dataclass
class Call:
    """One request's body and headers (the path is filled separately)."""

    data: Any = None
    format: str = "json"  # "json", "multipart" or "raw" (bytes sent as they are)
    headers: dict[str, str] = field(default_factory=dict)


Builder = Callable[[World, User | None], Call]

# Which of the world's objects fills each path parameter (the "own" objects).
PATH_OBJECTS: dict[str, Callable[[World], object]] = {
    "shop_id": lambda w: w.shop.id,
    "user_id": lambda w: w.staff.id,
    "product_id": lambda w: w.product.id,
    "image_id": lambda w: w.image.id,
    "variant_id": lambda w: w.product.variants.get().id,
    "category_id": lambda w: w.category.id,
    "address_id": lambda w: w.address.id,
    "item_id": lambda w: w.cart_item.id,
    "group_id": lambda w: w.group.id,
    "order_id": lambda w: w.order.id,
    "reference": lambda w: w.payment.reference,
    "return_id": lambda w: w.ret.id,
    "zone_id": lambda w: w.zone.id,
    "code": lambda w: "NG",
    "review_id": lambda w: w.review.id,
}

# Endpoints that need another of the world's objects than the one `PATH_OBJECTS` names.
ENDPOINT_OBJECTS: dict[str, dict[str, Callable[[World], object]]] = {
    # Returns and partial refunds are for completed orders.
    "POST /orders/{order_id}/returns/": {"order_id": lambda w: w.completed_order.id},
    "POST /shops/{shop_id}/orders/{order_id}/refunds/": {
        "order_id": lambda w: w.completed_order.id
    },
}


def fill(route: str, values: dict[str, object]) -> str:
    """The URL of `route` (relative to /api/v1) with its parameters replaced by `values`."""
    path = API_PREFIX.rstrip("/") + route
    for name in path_params(route):
        path = path.replace("{" + name + "}", str(values[name]))
    return path


def own_objects(endpoint: str, world: World) -> dict[str, object]:
    """The world's objects that fill the path of `endpoint` ("METHOD /route")."""
    route = endpoint.split(" ", 1)[1]
    values = {name: PATH_OBJECTS[name](world) for name in path_params(route)}
    values.update({name: get(world) for name, get in ENDPOINT_OBJECTS.get(endpoint, {}).items()})
    return values


def own_path(endpoint: str, world: World) -> str:
    return fill(endpoint.split(" ", 1)[1], own_objects(endpoint, world))


def _completed_line(world: World) -> dict[str, object]:
    [line] = world.completed_order.items.all()
    return {"order_item_id": str(line.id), "quantity": 1}


def _json(data: dict[str, Any]) -> Builder:
    return lambda world, user: Call(data=data)


def _logout(world: World, user: User | None) -> Call:
    role = next((r for r, u in world.users.items() if u is not None and u == user), "customer")
    return Call(data={"refresh": world.tokens[role]["refresh"]})


def _own_cart_and_address(world: World, user: User | None) -> Call:
    """Checkout needs a cart and, for delivery, an address of the caller: made for the caller
    inside its rolled-back transaction (the customer already has both)."""
    address_id = world.address.id
    if user is not None and user != world.customer and user.email:
        cart = CartFactory(user=user)
        CartItemFactory(cart=cart, product=world.product, quantity=1)
        address_id = AddressFactory(user=user).id
    return Call(
        data={
            "fulfillment_method": "delivery",
            "shipping_address_id": str(address_id),
            "payment_method": "paystack",
        }
    )


def _webhook(world: World, user: User | None) -> Call:
    body = json.dumps(
        {
            "event": "charge.success",
            "data": {
                "id": 4242,
                "reference": world.payment.reference,
                "status": "success",
                "amount": world.payment.amount,
                "currency": world.payment.currency,
            },
        }
    ).encode()
    signature = sign(settings.PAYSTACK_SECRET_KEY, body)
    return Call(data=body, format="raw", headers={"HTTP_X_PAYSTACK_SIGNATURE": signature})


# "METHOD /route" -> the body (and headers) of a valid request.
REQUESTS: dict[str, Builder] = {
    "POST /shops/{shop_id}/ledger/adjustments/": _json({"amount": "-10.00", "note": "Fee."}),
    "PUT /shops/{shop_id}/payout-account/": _json(
        {"bank_code": "058", "account_number": "0123456789"}
    ),
    "POST /payouts/run/": _json({}),
    "POST /auth/register/": _json(
        {
            "email": "newcomer@example.com",
            "password": NEW_PASSWORD,
            "first_name": "Nkem",
            "last_name": "Eze",
        }
    ),
    "POST /auth/verify-email/": lambda w, u: Call(
        data={"token": signed_token_make(purpose=EMAIL_VERIFICATION, user=w.unverified)}
    ),
    "POST /auth/verify-email/resend/": lambda w, u: Call(data={"email": w.unverified.email}),
    "POST /auth/login/": lambda w, u: Call(
        data={"email": w.customer.email, "password": DEFAULT_PASSWORD}
    ),
    "POST /auth/staff/login/": lambda w, u: Call(
        data={"shop_code": w.shop.code, "handle": w.staff.handle, "password": DEFAULT_PASSWORD}
    ),
    "POST /auth/token/refresh/": lambda w, u: Call(
        data={"refresh": w.tokens["customer"]["refresh"]}
    ),
    "POST /auth/logout/": _logout,
    "POST /auth/password/forgot/": lambda w, u: Call(data={"email": w.customer.email}),
    "POST /auth/password/reset/": lambda w, u: Call(
        data={
            "token": signed_token_make(purpose=PASSWORD_RESET, user=w.customer),
            "new_password": NEW_PASSWORD,
        }
    ),
    "PATCH /users/me/": _json({"first_name": "Renamed"}),
    "DELETE /users/me/": _json({"password": DEFAULT_PASSWORD}),
    "POST /users/me/password/": _json(
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    ),
    "POST /addresses/": _json(
        {
            "full_name": "Ada Obi",
            "phone": "+2348012345678",
            "line1": "1 Broad St",
            "city": "Lagos",
            "state": "Lagos",
        }
    ),
    "PATCH /addresses/{address_id}/": _json({"city": "Abuja"}),
    "POST /shops/": _json({"name": "Matrix Emporium", "description": "New."}),
    "PATCH /shops/{shop_id}/": _json({"description": "Updated."}),
    "POST /shops/{shop_id}/staff/": _json(
        {"handle": "newhand", "password": NEW_PASSWORD, "first_name": "Ife", "last_name": "Ola"}
    ),
    "PATCH /shops/{shop_id}/staff/{user_id}/": _json({"first_name": "Renamed"}),
    "POST /shops/{shop_id}/staff/{user_id}/password/": _json({"new_password": NEW_PASSWORD}),
    "POST /shops/{shop_id}/delivery-zones/": _json(
        {"name": "Matrix zone", "states": ["NG-KN"], "fee": "100.00", "days_min": 1, "days_max": 2}
    ),
    "PATCH /shops/{shop_id}/delivery-zones/{zone_id}/": _json({"fee": "200.00"}),
    "POST /categories/": _json({"name": "Matrix category"}),
    "PATCH /categories/{category_id}/": _json({"name": "Renamed category"}),
    "POST /shops/{shop_id}/products/": _json(
        {"name": "Matrix lamp", "price": "2500.00", "stock": 3}
    ),
    "PATCH /products/{product_id}/": _json({"description": "Updated."}),
    "POST /products/{product_id}/images/": lambda w, u: Call(
        data={"image": png_upload()}, format="multipart"
    ),
    "POST /products/{product_id}/inventory/": _json({"action": "add", "quantity": 2}),
    "POST /products/{product_id}/variants/": _json(
        {"sku": "MATRIX-V", "options": {}, "price": "10.00"}
    ),
    "PATCH /products/{product_id}/variants/{variant_id}/": _json({"price": "2600.00"}),
    "POST /variants/{variant_id}/inventory/": _json({"action": "add", "quantity": 2}),
    "POST /shops/{shop_id}/products/import/": lambda w, u: Call(
        data={"file": csv_upload()}, format="multipart"
    ),
    "POST /cart/items/": lambda w, u: Call(data={"product_id": str(w.product.id), "quantity": 1}),
    "PATCH /cart/items/{item_id}/": _json({"quantity": 3}),
    "POST /checkout/": _own_cart_and_address,
    "POST /order-groups/{group_id}/cancel/": _json({"reason": "Changed my mind."}),
    "POST /order-groups/{group_id}/payments/": _json({"provider": "paystack"}),
    "POST /shops/{shop_id}/orders/{order_id}/status/": _json(
        {"status": "cancelled", "note": "Out of stock."}
    ),
    "POST /payments/paystack/webhook/": _webhook,
    "POST /orders/{order_id}/returns/": lambda w, u: Call(
        data={"items": [_completed_line(w)], "reason": "damaged"}
    ),
    "POST /shops/{shop_id}/returns/{return_id}/status/": _json({"status": "approved"}),
    "POST /shops/{shop_id}/orders/{order_id}/refunds/": lambda w, u: Call(
        data={"items": [_completed_line(w)], "reason": "Scratched."}
    ),
    "POST /shops/{shop_id}/status/": _json({"status": "suspended", "note": "Checks pending."}),
    "POST /products/{product_id}/reviews/": _json({"rating": 5, "title": "Great", "body": "Ok"}),
    "PATCH /reviews/{review_id}/": _json({"rating": 3, "title": "Edited"}),
    "POST /reviews/{review_id}/reply/": _json({"body": "Thank you!"}),
    "POST /wishlist/": lambda w, u: Call(data={"product_id": str(w.product.id)}),
}


def build_call(endpoint: str, world: World, user: User | None) -> Call:
    builder = REQUESTS.get(endpoint)
    return builder(world, user) if builder else Call()


def client_for_role(world: World, role: str) -> APIClient:
    client = APIClient()
    tokens = world.tokens.get(role)
    if tokens is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def send(client: APIClient, method: str, path: str, call: Call):
    kwargs: dict[str, Any] = dict(call.headers)
    if call.format == "raw":
        return client.generic(method, path, call.data, content_type="application/json", **kwargs)
    if call.data is not None:
        kwargs["data"] = call.data
        kwargs["format"] = call.format
    return getattr(client, method.lower())(path, **kwargs)
