"""Shop approval (§15): pending, rejected and suspended shops are invisible to the public and
cannot be bought from (catalogue, detail, cart and checkout agree, the cached catalogue too);
admins move a shop's status through the API and Django admin, and the owner is e-mailed."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from carts.models import CartItem
from orders.models import Order
from shops.models import Shop, ShopStatus, ShopStatusEvent
from shops.services import shop_status_change
from tests.factories import AddressFactory, CartFactory, ProductFactory, ShopFactory
from tests.orders.helpers import assert_error, checkout, place_order
from tests.shops.helpers import build_world

pytestmark = pytest.mark.django_db

SHOPS = "/api/v1/shops/"
PRODUCTS = "/api/v1/products/"


@pytest.fixture
def world(client_for):
    world = build_world(client_for)
    world.product = ProductFactory(shop=world.shop, name="Adire scarf", stock=5)
    return world


def status_url(shop) -> str:
    return f"{SHOPS}{shop.id}/status/"


def move(world, status, note="", capture=None):
    response = world.client("admin").post(
        status_url(world.shop), {"status": status, "note": note}, format="json"
    )
    return response


def public_view(client: APIClient, world) -> dict[str, object]:
    """What a caller sees of shop A and its product, everywhere the catalogue shows them."""
    return {
        "listed": str(world.shop.id)
        in {s["id"] for s in client.get(SHOPS).json()["data"]["results"]},
        "shop": client.get(f"{SHOPS}{world.shop.id}/").status_code,
        "catalogue": str(world.product.id)
        in {p["id"] for p in client.get(PRODUCTS).json()["data"]["results"]},
        "product": client.get(f"{PRODUCTS}{world.product.id}/").status_code,
        "shop_products": client.get(f"{SHOPS}{world.shop.id}/products/").status_code,
    }


VISIBLE = {"listed": True, "shop": 200, "catalogue": True, "product": 200, "shop_products": 200}
HIDDEN = {"listed": False, "shop": 404, "catalogue": False, "product": 404, "shop_products": 404}


def test_with_the_setting_off_a_new_shop_is_approved_and_sells_at_once(client_for, customer):
    response = client_for(customer).post(SHOPS, {"name": "Open at once"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data"]["status"] == "approved"
    assert response.json()["data"]["status_note"] == ""
    assert response.json()["data"]["rating_average"] is None
    assert response.json()["data"]["rating_count"] == 0
    listed = APIClient().get(SHOPS).json()["data"]["results"]
    assert [s["name"] for s in listed] == ["Open at once"]
    assert "status_note" not in listed[0]


def test_with_the_setting_on_a_new_shop_waits_for_approval(
    settings, client_for, customer, admin_user, django_capture_on_commit_callbacks
):
    settings.SHOP_APPROVAL_REQUIRED = True
    owner = client_for(customer)
    response = owner.post(SHOPS, {"name": "Vetted Goods"}, format="json")
    assert response.status_code == 201, response.content
    shop_id = response.json()["data"]["id"]
    assert response.json()["data"]["status"] == "pending"
    # Its members build the catalogue meanwhile.
    created = owner.post(
        f"{SHOPS}{shop_id}/products/",
        {"name": "Lamp", "price": "900.00", "stock": 4},
        format="json",
    )
    assert created.status_code == 201, created.content
    product_id = created.json()["data"]["id"]
    assert owner.get(f"{SHOPS}{shop_id}/").status_code == 200
    assert owner.get(f"{PRODUCTS}{product_id}/").status_code == 200

    anonymous = APIClient()
    assert anonymous.get(SHOPS).json()["data"]["count"] == 0
    assert anonymous.get(f"{SHOPS}{shop_id}/").status_code == 404
    assert anonymous.get(PRODUCTS).json()["data"]["count"] == 0
    assert anonymous.get(f"{PRODUCTS}{product_id}/").status_code == 404
    buyer = client_for(AddressFactory().user)
    assert_error(
        buyer.post("/api/v1/cart/items/", {"product_id": product_id}, format="json"),
        409,
        "product_unavailable",
    )

    admin = client_for(admin_user)
    queue = admin.get(SHOPS, {"status": "pending"}).json()["data"]["results"]
    assert [s["id"] for s in queue] == [shop_id]
    # Anyone else asking for pending shops gets public shops only: none.
    assert anonymous.get(SHOPS, {"status": "pending"}).json()["data"]["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"{SHOPS}{shop_id}/status/", {"status": "approved", "note": "Welcome!"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "approved"
    assert response.json()["data"]["status_note"] == "Welcome!"
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert "approved" in mail.outbox[0].subject and "Welcome!" in mail.outbox[0].body
    assert anonymous.get(f"{PRODUCTS}{product_id}/").status_code == 200
    cart = buyer.post("/api/v1/cart/items/", {"product_id": product_id}, format="json")
    assert cart.status_code == 201, cart.content


@pytest.mark.parametrize("status", ["suspended"])
def test_a_suspended_shop_disappears_everywhere_at_once_even_from_the_cache(
    world, settings, status, django_capture_on_commit_callbacks
):
    settings.CATALOGUE_CACHE_TIMEOUT = 300
    anonymous = APIClient()
    assert public_view(anonymous, world) == VISIBLE  # now cached
    assert public_view(world.client("customer"), world) == VISIBLE
    with django_capture_on_commit_callbacks(execute=True):
        response = move(world, status, "Counterfeit goods reported.")
    assert response.status_code == 200, response.content
    assert public_view(anonymous, world) == HIDDEN
    assert public_view(world.client("customer"), world) == HIDDEN
    assert public_view(world.client("other_member"), world) == HIDDEN
    # Its own members and admins still see it (to service orders).
    for role in ("owner", "staff", "admin"):
        client = world.client(role)
        assert client.get(f"{SHOPS}{world.shop.id}/").status_code == 200, role
        assert client.get(f"{PRODUCTS}{world.product.id}/").status_code == 200, role
    assert world.client("owner").get(f"{SHOPS}{world.shop.id}/").json()["data"]["status_note"] == (
        "Counterfeit goods reported."
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert move(world, "approved").status_code == 200  # reinstated
    assert public_view(anonymous, world) == VISIBLE
    assert [m.subject for m in mail.outbox] == [
        f"Your shop {world.shop.name} is now suspended",
        f"Your shop {world.shop.name} is now approved",
    ]
    assert "reinstated" in mail.outbox[1].body
    events = ShopStatusEvent.objects.filter(shop=world.shop).order_by("created_at")
    assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [
        ("approved", "suspended", world.admin.id),
        ("suspended", "approved", world.admin.id),
    ]


def test_a_cart_holding_a_suspended_shops_product_cannot_be_checked_out(world, client_for):
    address = AddressFactory(user=world.customer)
    other = ProductFactory(shop=world.other_shop, stock=5)
    cart = CartFactory(user=world.customer)
    CartItem.objects.create(cart=cart, product=world.product, quantity=1)
    CartItem.objects.create(cart=cart, product=other, quantity=1)
    shop_status_change(shop_id=world.shop.id, status="suspended", actor=world.admin)

    client = world.client("customer")
    body = client.get("/api/v1/cart/").json()["data"]
    assert {line["product"]["id"]: line["status"] for line in body["items"]} == {
        str(world.product.id): "unavailable",
        str(other.id): "available",
    }
    assert body["is_valid"] is False
    response = checkout(client, address=address)
    body = assert_error(response, 409, "product_unavailable")
    assert body["errors"]["items"] == [{"product_id": str(world.product.id)}]
    assert Order.objects.count() == 0
    world.product.refresh_from_db()
    assert world.product.stock == 5


def test_open_orders_of_a_suspended_shop_stay_serviceable(world):
    group = place_order(world.customer, [(world.product, 1)], payment="cash")
    order = group.orders.get()
    shop_status_change(shop_id=world.shop.id, status="suspended", actor=world.admin)
    url = f"{SHOPS}{world.shop.id}/orders/{order.id}/status/"
    staff = world.client("staff")
    assert staff.get(f"{SHOPS}{world.shop.id}/orders/").json()["data"]["count"] == 1
    for status in ("processing", "shipped"):
        response = staff.post(url, {"status": status}, format="json")
        assert response.status_code == 200, response.content
    response = staff.post(url, {"status": "completed", "cash_collected": True}, format="json")
    assert response.status_code == 200, response.content
    assert (
        world.client("customer").get(f"/api/v1/order-groups/{group.id}/").json()["data"]["status"]
        == "fulfilled"
    )


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("approved", "pending"),
        ("approved", "rejected"),
        ("pending", "suspended"),
        ("approved", "approved"),
    ],
)
def test_moves_the_rules_do_not_allow_are_refused(world, start, target):
    Shop.objects.filter(id=world.shop.id).update(status=start)
    response = move(world, target)
    body = assert_error(response, 409, "invalid_transition")
    assert body["errors"]["from"] == start and body["errors"]["to"] == target
    world.shop.refresh_from_db()
    assert world.shop.status == start
    assert not ShopStatusEvent.objects.exists()
    assert mail.outbox == []


def test_only_admins_move_a_shops_status(world):
    body = {"status": "suspended"}
    assert_error(
        world.client("owner").post(status_url(world.shop), body, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        world.client("staff").post(status_url(world.shop), body, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        world.client("customer").post(status_url(world.shop), body, format="json"), 404, "not_found"
    )
    assert_error(
        APIClient().post(status_url(world.shop), body, format="json"), 401, "not_authenticated"
    )
    assert_error(move(world, "closed"), 400, "validation_error")
    world.shop.refresh_from_db()
    assert world.shop.status == ShopStatus.APPROVED


def test_django_admin_actions_move_the_status_and_email_the_owner(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.admin)
    pending = ShopFactory(status=ShopStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/shops/shop/",
            {"action": "approve", "_selected_action": [str(pending.id), str(world.shop.id)]},
            follow=True,
        )
    assert response.status_code == 200
    pending.refresh_from_db()
    world.shop.refresh_from_db()
    assert pending.status == ShopStatus.APPROVED
    assert world.shop.status == ShopStatus.APPROVED  # already approved: left, and said so
    assert [m.to for m in mail.outbox] == [[pending.owner.email]]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/shops/shop/",
            {"action": "suspend", "_selected_action": [str(world.shop.id)]},
            follow=True,
        )
    world.shop.refresh_from_db()
    assert world.shop.status == ShopStatus.SUSPENDED
    assert mail.outbox[-1].to == [world.owner.email]
    page = client.get("/admin/shops/shop/?status__exact=suspended")
    assert world.shop.name in page.content.decode()
