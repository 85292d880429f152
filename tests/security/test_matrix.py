"""The security matrix: every endpoint and method of /api/v1/, read from
the URL conf, called by every role, gets exactly the documented answer; and every object-level
endpoint answers a caller from another tenant with 404 and changes nothing.

The project's authorisation rule: no token, or a revoked one -> 401 `not_authenticated`; signed
in but not allowed -> 403 `permission_denied` (`email_not_verified` where a verified e-mail is
needed); an object of another tenant, or a shop the caller is not a member of -> 404 `not_found`
(scope before lookup). The authentication endpoints (register, login, ...) and the Paystack
webhook do not read the Authorization header at all, so a revoked token does not matter there.
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from carts.models import Cart, CartItem, WishlistItem
from core.models import IdempotencyKey
from orders.models import Order, OrderEvent, OrderGroup, OrderItem, Return, ReturnEvent, ReturnItem
from payments.models import (
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    RefundItem,
    ShopBalance,
    WebhookEvent,
)
from products.models import Category, InventoryMovement, Product, ProductImage, ProductVariant
from reviews.models import Review
from shops.models import DeliveryZone, Shop, ShopStatusEvent
from tests.security.calls import (
    PATH_OBJECTS,
    REQUESTS,
    build_call,
    client_for_role,
    fill,
    own_objects,
    own_path,
    send,
)
from tests.security.routes import api_endpoints, path_params
from tests.security.world import ROLES, World
from users.models import Address, RevokedRefreshToken, User

pytestmark = pytest.mark.django_db

DEFAULT_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
EMAIL_NOT_VERIFIED = "403v"

# "METHOD /route" (relative to /api/v1) -> the expected status of each role, in the order of
# ROLES: anonymous, unverified account, customer (verified), owner of shop A, staff of shop A,
# other_owner (owner of shop B), deactivated staff of shop A (token issued before the
# deactivation), admin. Path parameters name shop A's objects and the customer's objects.
# 401 is `not_authenticated`, 403 `permission_denied`, 403v `email_not_verified`, 404 `not_found`.
# A revoked token is refused wherever one is read, public reads included ("401: an invalid,
# expired or revoked access token").
# fmt: off
EXPECTED: dict[str, str] = {
    #                                                     anon unvr cust ownr staf othr deac admn
    # --- operations: the throughput reference, no authentication at all
    "GET /ping/":                                        "200  200  200  200  200  200  200  200",
    # --- the API root: links to the docs, for anyone
    "GET /":                                             "200  200  200  200  200  200  200  200",

    # --- authentication: for anyone; these views ignore any Authorization header
    "POST /auth/register/":                              "201  201  201  201  201  201  201  201",
    "POST /auth/verify-email/":                          "200  200  200  200  200  200  200  200",
    "POST /auth/verify-email/resend/":                   "202  202  202  202  202  202  202  202",
    "POST /auth/login/":                                 "200  200  200  200  200  200  200  200",
    "POST /auth/staff/login/":                           "200  200  200  200  200  200  200  200",
    "POST /auth/token/refresh/":                         "200  200  200  200  200  200  200  200",
    "POST /auth/password/forgot/":                       "202  202  202  202  202  202  202  202",
    "POST /auth/password/reset/":                        "200  200  200  200  200  200  200  200",
    "POST /auth/logout/":                                "401  200  200  200  200  200  401  200",

    # --- the caller's own account
    "GET /users/me/":                                    "401  200  200  200  200  200  401  200",
    "PATCH /users/me/":                                  "401  200  200  200  200  200  401  200",
    # "account with an e-mail": shop staff cannot close their account (their owner does).
    "DELETE /users/me/":                                 "401  204  204  204  403  204  401  204",
    "POST /users/me/password/":                          "401  200  200  200  200  200  401  200",
    "GET /users/":                                       "401  403  403  403  403  403  401  200",

    # --- addresses: "owner only". Another account's address is 404 for everyone, admins
    # included (the contract names no admin access; admins see addresses in Django admin).
    "GET /addresses/":                                   "401  200  200  200  403  200  401  200",
    "POST /addresses/":                                  "401  201  201  201  403  201  401  201",
    "GET /addresses/{address_id}/":                      "401  404  200  404  403  404  401  404",
    "PATCH /addresses/{address_id}/":                    "401  404  200  404  403  404  401  404",
    "DELETE /addresses/{address_id}/":                   "401  404  204  404  403  404  401  404",

    # --- shops and staff. A revoked token is refused even on public reads (401 covers "an
    # invalid, expired or revoked access token" wherever one is sent).
    "GET /shops/":                                       "200  200  200  200  200  200  401  200",
    "POST /shops/":                                      "401  403v 201  201  403  201  401  201",
    "GET /shops/{shop_id}/":                             "200  200  200  200  200  200  401  200",
    "PATCH /shops/{shop_id}/":                           "401  404  404  200  403  404  401  200",
    "DELETE /shops/{shop_id}/":                          "401  404  404  204  403  404  401  204",
    "GET /shops/{shop_id}/staff/":                       "401  404  404  200  403  404  401  200",
    "POST /shops/{shop_id}/staff/":                      "401  404  404  201  403  404  401  201",
    # {user_id} is the "staff" role itself: a member may read their own entry.
    "GET /shops/{shop_id}/staff/{user_id}/":             "401  404  404  200  200  404  401  200",
    "PATCH /shops/{shop_id}/staff/{user_id}/":           "401  404  404  200  403  404  401  200",
    "DELETE /shops/{shop_id}/staff/{user_id}/":          "401  404  404  204  403  404  401  204",
    "POST /shops/{shop_id}/staff/{user_id}/password/":   "401  404  404  200  403  404  401  200",
    # Shop approval: admins only; the owner and staff are members but not allowed (403).
    "POST /shops/{shop_id}/status/":                     "401  404  404  403  403  404  401  200",
    # Delivery zones: public reads like the shop's; writes for the owner and admins.
    "GET /shops/{shop_id}/delivery-zones/":              "200  200  200  200  200  200  401  200",
    "POST /shops/{shop_id}/delivery-zones/":             "401  404  404  201  403  404  401  201",
    "GET /shops/{shop_id}/delivery-zones/{zone_id}/":    "200  200  200  200  200  200  401  200",
    "PATCH /shops/{shop_id}/delivery-zones/{zone_id}/":  "401  404  404  200  403  404  401  200",
    "DELETE /shops/{shop_id}/delivery-zones/{zone_id}/": "401  404  404  204  403  404  401  204",

    # --- reference lists (ISO 3166): for anyone; these views ignore any Authorization header
    "GET /countries/":                                   "200  200  200  200  200  200  200  200",
    "GET /countries/{code}/states/":                     "200  200  200  200  200  200  200  200",

    # --- catalogue. GET /categories/{id}/ is an addition to the contract (public, like the list).
    "GET /categories/":                                  "200  200  200  200  200  200  401  200",
    "POST /categories/":                                 "401  403  403  403  403  403  401  201",
    "GET /categories/{category_id}/":                    "200  200  200  200  200  200  401  200",
    "PATCH /categories/{category_id}/":                  "401  403  403  403  403  403  401  200",
    "DELETE /categories/{category_id}/":                 "401  403  403  403  403  403  401  204",
    "GET /products/":                                    "200  200  200  200  200  200  401  200",
    "GET /products/{product_id}/":                       "200  200  200  200  200  200  401  200",
    "PATCH /products/{product_id}/":                     "401  404  404  200  200  404  401  200",
    "DELETE /products/{product_id}/":                    "401  404  404  204  204  404  401  204",
    "POST /products/{product_id}/images/":               "401  404  404  201  201  404  401  201",
    "DELETE /products/{product_id}/images/{image_id}/":  "401  404  404  204  204  404  401  204",
    "GET /products/{product_id}/inventory/":             "401  404  404  200  200  404  401  200",
    "POST /products/{product_id}/inventory/":            "401  404  404  200  200  404  401  200",
    "GET /shops/{shop_id}/products/":                    "200  200  200  200  200  200  401  200",
    "POST /shops/{shop_id}/products/":                   "401  404  404  201  201  404  401  201",
    # Variants: {variant_id} is the default variant of {product_id}, a product without options,
    # which has exactly that one variant: adding one or deleting it is a 409 for its members.
    "POST /products/{product_id}/variants/":             "401  404  404  409  409  404  401  409",
    "PATCH /products/{product_id}/variants/{variant_id}/":
                                                         "401  404  404  200  200  404  401  200",
    "DELETE /products/{product_id}/variants/{variant_id}/":
                                                         "401  404  404  409  409  404  401  409",
    "GET /variants/{variant_id}/inventory/":             "401  404  404  200  200  404  401  200",
    "POST /variants/{variant_id}/inventory/":            "401  404  404  200  200  404  401  200",
    "GET /shops/{shop_id}/products/export/":             "401  404  404  200  200  404  401  200",
    "POST /shops/{shop_id}/products/import/":            "401  404  404  200  200  404  401  200",

    # --- reviews. Only a verified buyer (a completed order containing the product: the
    # customer) reviews; no one else bought it (403). {review_id} is the customer's review of
    # another product of shop A: its author edits it (an admin only hides or shows: rewriting
    # it is 403) and deletes it (admins too); the shop's members reply; anyone else gets 404.
    "GET /products/{product_id}/reviews/":               "200  200  200  200  200  200  401  200",
    "POST /products/{product_id}/reviews/":              "401  403  201  403  403  403  401  403",
    "PATCH /reviews/{review_id}/":                       "401  404  200  404  404  404  401  403",
    "DELETE /reviews/{review_id}/":                      "401  404  204  404  404  404  401  204",
    "POST /reviews/{review_id}/reply/":                  "401  404  404  201  201  404  401  201",

    # --- cart: any account with an e-mail has one; shop staff have none. {item_id} is the
    # customer's line: 404 for every other account. The contract gives admins no access to
    # another account's cart, so they get 404 too.
    "GET /cart/":                                        "401  200  200  200  403  200  401  200",
    "DELETE /cart/":                                     "401  204  204  204  403  204  401  204",
    "POST /cart/items/":                                 "401  201  201  201  403  201  401  201",
    "PATCH /cart/items/{item_id}/":                      "401  404  200  404  403  404  401  404",
    "DELETE /cart/items/{item_id}/":                     "401  404  204  404  403  404  401  404",

    # --- wishlist: accounts with an e-mail, like the cart. The customer saved the product
    # already (adding it again is a no-op: 200); {product_id} on DELETE names an entry of the
    # caller's own wishlist: only the customer has one.
    "GET /wishlist/":                                    "401  200  200  200  403  200  401  200",
    "POST /wishlist/":                                   "401  201  200  201  403  201  401  201",
    "DELETE /wishlist/{product_id}/":                    "401  404  204  404  403  404  401  404",

    # --- checkout and orders ({group_id}: the customer's group; {order_id}: its order in shop A)
    "POST /checkout/":                                   "401  403v 201  201  403  201  401  201",
    "GET /order-groups/":                                "401  200  200  200  403  200  401  200",
    "GET /order-groups/{group_id}/":                     "401  404  200  404  403  404  401  200",
    "POST /order-groups/{group_id}/cancel/":             "401  404  200  404  403  404  401  200",
    "GET /shops/{shop_id}/orders/":                      "401  404  404  200  200  404  401  200",
    "GET /shops/{shop_id}/orders/{order_id}/":           "401  404  404  200  200  404  401  200",
    "POST /shops/{shop_id}/orders/{order_id}/status/":   "401  404  404  200  200  404  401  200",

    # --- payments. Only the customer pays ("Who: the customer"): an admin gets 404 like any
    # other account, as paying someone else's order is not an admin action.
    "POST /order-groups/{group_id}/payments/":           "401  404  201  404  403  404  401  404",
    "GET /payments/{reference}/":                        "401  404  200  404  403  404  401  200",
    # Paystack's calls: the signature is the only proof; any Authorization header is ignored.
    "POST /payments/paystack/webhook/":                  "200  200  200  200  200  200  200  200",

    # --- returns ({order_id}: the customer's completed order in shop A; {return_id}: its
    # requested return). Only its customer returns an order: anyone else's is not found.
    "POST /orders/{order_id}/returns/":                  "401  404  201  404  404  404  401  404",
    "GET /returns/":                                     "401  200  200  200  403  200  401  200",
    "GET /returns/{return_id}/":                         "401  404  200  200  200  404  401  200",
    "GET /shops/{shop_id}/returns/":                     "401  404  404  200  200  404  401  200",
    "POST /shops/{shop_id}/returns/{return_id}/status/": "401  404  404  200  200  404  401  200",
    "POST /shops/{shop_id}/orders/{order_id}/refunds/":  "401  404  404  201  201  404  401  201",

    # --- settlement: the balance for members, the money's detail for the owner, adjustments
    # for admins (a shop's non-members get 404 first: scope before lookup).
    "GET /shops/{shop_id}/balance/":                     "401  404  404  200  200  404  401  200",
    "GET /shops/{shop_id}/ledger/":                      "401  404  404  200  403  404  401  200",
    "POST /shops/{shop_id}/ledger/adjustments/":         "401  404  404  403  403  404  401  201",
    "GET /shops/{shop_id}/statement/":                   "401  404  404  200  403  404  401  200",
    "GET /shops/{shop_id}/payout-account/":              "401  404  404  200  403  404  401  200",
    "PUT /shops/{shop_id}/payout-account/":              "401  404  404  200  403  404  401  200",
    "GET /shops/{shop_id}/payouts/":                     "401  404  404  200  403  404  401  200",
    "GET /banks/":                                       "401  200  200  200  200  200  401  200",
    "POST /payouts/run/":                                "401  403  403  403  403  403  401  202",
}
# fmt: on

ENDPOINTS = [f"{method} {route}" for route, method in api_endpoints()]


def split(endpoint: str) -> tuple[str, str]:
    method, route = endpoint.split(" ", 1)
    return method, route


def parse_expected(cell: str) -> tuple[int, str | None]:
    if cell == EMAIL_NOT_VERIFIED:
        return 403, "email_not_verified"
    status = int(cell)
    return status, DEFAULT_CODES.get(status)


def envelope_problem(response, status: int, code: str | None) -> str | None:
    """What is wrong with the response, or None: status, envelope, error code, never a 5xx."""
    got = response.status_code
    head = response.content[:300]
    if got >= 500:
        return f"server error {got}: {head!r}"
    if got != status:
        return f"expected {status}, got {got}: {head!r}"
    if status == 204:
        return None if response.content == b"" else f"204 with a body: {head!r}"
    if status == 200 and response["Content-Type"].startswith("text/csv"):
        return None  # a file, not an envelope
    body = response.json()
    if status < 300:
        if body.get("status") != "success" or not isinstance(body.get("message"), str):
            return f"not a success envelope: {head!r}"
        return None
    if set(body) != {"status", "code", "message", "errors"} or body["status"] != "error":
        return f"not an error envelope: {head!r}"
    if not isinstance(body["message"], str) or not body["message"]:
        return f"error without a message: {head!r}"
    if code is not None and body["code"] != code:
        return f"expected code {code}, got {body['code']}"
    return None


def test_every_endpoint_has_an_entry_and_every_entry_an_endpoint():
    assert len(ENDPOINTS) > 50  # the URL conf was really read
    missing = sorted(set(ENDPOINTS) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(ENDPOINTS))
    assert not missing, f"endpoints without an entry in EXPECTED: {missing}"
    assert not stale, f"entries in EXPECTED for no endpoint: {stale}"
    for endpoint, row in EXPECTED.items():
        cells = row.split()
        assert len(cells) == len(ROLES), endpoint
        for cell in cells:
            parse_expected(cell)


def test_request_bodies_and_path_objects_name_real_endpoints():
    assert not set(REQUESTS) - set(ENDPOINTS), "request bodies for no endpoint"
    params = {name for endpoint in ENDPOINTS for name in path_params(endpoint)}
    assert params <= set(PATH_OBJECTS), f"path parameters with no object: {params}"


ALL_ROWS = sorted(set(ENDPOINTS) | set(EXPECTED))


@pytest.mark.parametrize("endpoint", ALL_ROWS)
def test_matrix(world: World, endpoint: str):
    assert endpoint in ENDPOINTS, "EXPECTED names an endpoint the URL conf does not have"
    assert endpoint in EXPECTED, "a new endpoint needs its row in EXPECTED"
    method, _route = split(endpoint)
    path = own_path(endpoint, world)
    failures = []
    for role, cell in zip(ROLES, EXPECTED[endpoint].split(), strict=True):
        cache.clear()  # throttle counters, token denylist, cached pages: per role
        # Each role in a transaction of its own, rolled back: roles do not see each other.
        with transaction.atomic():
            call = build_call(endpoint, world, world.user(role))
            response = send(client_for_role(world, role), method, path, call)
            transaction.set_rollback(True)
        problem = envelope_problem(response, *parse_expected(cell))
        if problem:
            failures.append(f"{role}: {problem}")
    assert not failures, "\n".join([f"{method} {path}", *failures])


# --- Another tenant's ids ----------------------------------------------------------------------

# Path parameters naming a shop's data, and a customer's data. Categories are the platform's,
# not a tenant's (admin-only writes, public reads): their endpoints have no tenant to cross.
SHOP_DATA = {
    "shop_id",
    "user_id",
    "product_id",
    "image_id",
    "variant_id",
    "order_id",
    "zone_id",
    "return_id",
}
# A return is its shop's and its customer's: both kinds of foreign caller aim at it.
CUSTOMER_DATA = {"address_id", "item_id", "group_id", "reference", "review_id", "return_id"}
PLATFORM_DATA = {"category_id", "code"}

# Object-level reads that anyone may make on an active object (the matrix covers them).
PUBLIC_READS = {
    "GET /shops/{shop_id}/": "an active shop is public",
    "GET /shops/{shop_id}/products/": "an active shop's catalogue is public",
    "GET /shops/{shop_id}/delivery-zones/": "an active shop's delivery zones are public",
    "GET /shops/{shop_id}/delivery-zones/{zone_id}/": "an active shop's delivery zones are public",
}
# Object-level calls on a public object that are refused with 403 to those not allowed (the
# object is public: its existence is no secret).
PUBLIC_TARGETS = {
    "GET /products/{product_id}/reviews/": "a public product's reviews are public",
    "POST /products/{product_id}/reviews/": "a public product is reviewed by its buyers",
}
# Where a path parameter names the caller's own entry rather than the object itself.
OWN_ENTRIES = {
    "DELETE /wishlist/{product_id}/": "the product names an entry of the caller's wishlist",
}
# Where a public read has a members-only variant, the foreign caller aims at that one.
FOREIGN_OBJECTS = {
    "GET /products/{product_id}/": {"product_id": lambda w: w.inactive_product.id},
}

SNAPSHOT_MODELS = [
    User,
    Address,
    RevokedRefreshToken,
    Shop,
    DeliveryZone,
    Category,
    Product,
    Product.categories.through,
    ProductImage,
    ProductVariant,
    InventoryMovement,
    Cart,
    CartItem,
    WishlistItem,
    Review,
    ShopStatusEvent,
    OrderGroup,
    Order,
    OrderItem,
    OrderEvent,
    Return,
    ReturnItem,
    ReturnEvent,
    Payment,
    Refund,
    RefundItem,
    WebhookEvent,
    LedgerEntry,
    ShopBalance,
    Payout,
    PayoutAccount,
    IdempotencyKey,
]


def snapshot() -> dict[str, list]:
    """Every row of every table the API writes, and the names of the stored files."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }
    media = settings.MEDIA_ROOT
    files = media.rglob("*") if media.exists() else []
    rows["files"] = sorted(str(path.relative_to(media)) for path in files)
    return rows


def object_endpoints() -> list[str]:
    """Endpoints whose path names a tenant's object, less the public reads."""
    return [
        endpoint
        for endpoint in ENDPOINTS
        if set(path_params(endpoint)) - PLATFORM_DATA
        and endpoint not in PUBLIC_READS
        and endpoint not in PUBLIC_TARGETS
    ]


def foreign_cases(world: World, endpoint: str) -> list[tuple[str, dict[str, object]]]:
    """(caller role, path values): another tenant aiming at shop A's or the customer's objects,
    directly, or through a container of its own (shop B's path, shop A's object)."""
    params = path_params(endpoint)
    own = own_objects(endpoint, world)
    own.update({name: get(world) for name, get in FOREIGN_OBJECTS.get(endpoint, {}).items()})
    cases: list[tuple[str, dict[str, object]]] = []
    if endpoint in OWN_ENTRIES:
        return [("second_customer", own)]
    if set(params) & SHOP_DATA:
        cases += [("other_owner", own), ("other_staff", own)]
        if "shop_id" in params and len(params) > 1:
            cases.append(("other_owner", {**own, "shop_id": world.other_shop.id}))
        if "product_id" in params and ("image_id" in params or "variant_id" in params):
            cases.append(("other_owner", {**own, "product_id": world.other_product.id}))
    if set(params) & CUSTOMER_DATA:
        cases.append(("second_customer", own))
    return cases


# An id that names nothing, for each parameter.
GHOST_IDS = {
    name: uuid.UUID(int=index + 1) for index, name in enumerate(sorted(SHOP_DATA | CUSTOMER_DATA))
}
GHOST_IDS["reference"] = "NO-SUCH-REFERENCE-1"


def test_every_path_parameter_is_classified():
    params = {name for endpoint in ENDPOINTS for name in path_params(endpoint)}
    unknown = params - SHOP_DATA - CUSTOMER_DATA - PLATFORM_DATA
    assert not unknown, f"say whose data these path parameters name: {unknown}"
    assert set(PUBLIC_READS) <= set(ENDPOINTS)
    assert set(PUBLIC_TARGETS) | set(OWN_ENTRIES) <= set(ENDPOINTS)
    assert set(FOREIGN_OBJECTS) <= set(object_endpoints())


@pytest.mark.parametrize("endpoint", object_endpoints())
def test_another_tenant_gets_404_and_changes_nothing(world: World, endpoint: str):
    method, route = split(endpoint)
    cases = foreign_cases(world, endpoint)
    assert cases
    failures = []
    for role, values in cases:
        path = fill(route, values)
        cache.clear()
        with transaction.atomic():
            call = build_call(endpoint, world, world.user(role))
            before = snapshot()
            response = send(client_for_role(world, role), method, path, call)
            after = snapshot()
            transaction.set_rollback(True)
        problem = envelope_problem(response, 404, "not_found")
        if problem:
            failures.append(f"{role} {path}: {problem}")
        changed = [name for name in before if before[name] != after[name]]
        if changed:
            failures.append(f"{role} {path}: changed {changed}")
        # The answer does not tell whether the object exists: the same as for an unknown id.
        ghost = fill(route, {**values, path_params(route)[-1]: GHOST_IDS[path_params(route)[-1]]})
        with transaction.atomic():
            call = build_call(endpoint, world, world.user(role))
            unknown = send(client_for_role(world, role), method, ghost, call)
            transaction.set_rollback(True)
        if not problem and unknown.content != response.content:
            failures.append(f"{role} {path}: {response.content!r} != {unknown.content!r}")
    assert not failures, "\n".join([endpoint, *failures])
