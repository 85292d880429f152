import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from PIL import Image

from shops.models import Shop
from tests.factories import OrderFactory, ProductFactory, ShopFactory, UserFactory
from tests.shops.helpers import assert_error, expect, image_bytes, upload

SHOPS = "/api/v1/shops/"
PRIVATE = {"code", "low_stock_threshold", "paystack_subaccount_code"}


def detail(shop) -> str:
    return f"{SHOPS}{shop.id}/"


# --- List ------------------------------------------------------------------------------------


def test_list_shows_active_shops_without_private_fields(world, api_client):
    ShopFactory(name="Closed Down", is_active=False)
    body = api_client.get(SHOPS).json()
    assert body["status"] == "success"
    names = {row["name"] for row in body["data"]["results"]}
    assert world.shop.name in names and world.other_shop.name in names
    assert "Closed Down" not in names
    for row in body["data"]["results"]:
        assert PRIVATE.isdisjoint(row)
        assert set(row) >= {"id", "name", "description", "logo", "delivery_fee", "is_active"}


def test_list_shows_private_fields_only_for_the_callers_own_shops(world):
    rows = world.client("owner").get(SHOPS).json()["data"]["results"]
    by_id = {row["id"]: row for row in rows}
    assert by_id[str(world.shop.id)]["code"] == world.shop.code
    assert PRIVATE.isdisjoint(by_id[str(world.other_shop.id)])


def test_list_search(world, api_client):
    ShopFactory(name="Lagos Gadgets")
    ShopFactory(name="Abuja Books", description="Second-hand gadgets too")
    rows = api_client.get(SHOPS, {"search": "gadget"}).json()["data"]["results"]
    assert sorted(r["name"] for r in rows) == ["Abuja Books", "Lagos Gadgets"]
    too_long = api_client.get(SHOPS, {"search": "x" * 201})
    assert_error(too_long, 400, "validation_error")


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_is_fixed(db, api_client, django_assert_max_num_queries, count):
    ShopFactory.create_batch(count)
    with django_assert_max_num_queries(2):
        response = api_client.get(SHOPS, {"page_size": 50})
    assert response.json()["data"]["count"] == count


# --- Create ----------------------------------------------------------------------------------


def test_verified_account_creates_a_shop_with_a_code(customer, client_for):
    response = client_for(customer).post(
        SHOPS, {"name": "  Ada's   Fabrics ", "description": "Ankara and lace."}, format="json"
    )
    expect(response, 201)
    body = response.json()
    assert body["message"] == "Shop created."
    data = body["data"]
    assert data["name"] == "Ada's Fabrics"
    assert re.fullmatch(r"[A-Z0-9]{8}", data["code"])
    assert data["delivery_fee"] == "0.00"
    assert data["low_stock_threshold"] == 5
    assert data["paystack_subaccount_code"] == ""
    assert data["logo"] is None and data["is_active"] is True
    shop = Shop.objects.get(id=data["id"])
    assert shop.owner == customer and shop.code == data["code"]


def test_an_account_may_own_several_shops(customer, client_for):
    client = client_for(customer)
    for name in ("First", "Second"):
        expect(client.post(SHOPS, {"name": name}, format="json"), 201)
    assert Shop.objects.filter(owner=customer).count() == 2


def test_create_ignores_protected_fields(customer, client_for):
    other = UserFactory()
    response = client_for(customer).post(
        SHOPS,
        {"name": "Mine", "code": "AAAAAAAA", "owner": str(other.id), "is_active": False},
        format="json",
    )
    expect(response, 201)
    shop = Shop.objects.get(name="Mine")
    assert shop.owner == customer and shop.is_active and shop.code != "AAAAAAAA"


@pytest.mark.parametrize("taken", ["Bola Books", "bola books", "BOLA BOOKS", " Bola  Books "])
def test_name_is_unique_case_insensitively(db, client_for, taken):
    ShopFactory(name="Bola Books")
    response = client_for(UserFactory()).post(SHOPS, {"name": taken}, format="json")
    assert_error(response, 409, "conflict")
    assert Shop.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "A", "delivery_fee": "-1"}, "delivery_fee"),
        ({"name": "A", "delivery_fee": "1.234"}, "delivery_fee"),
        ({"name": "A", "delivery_fee": "NaN"}, "delivery_fee"),
        ({"name": "A", "delivery_fee": "1e20"}, "delivery_fee"),
        ({"name": "A", "low_stock_threshold": -1}, "low_stock_threshold"),
        ({"name": "A", "low_stock_threshold": "many"}, "low_stock_threshold"),
        ({"name": "A", "low_stock_threshold": 10**12}, "low_stock_threshold"),
        ({"name": "A", "paystack_subaccount_code": "not-a-code"}, "paystack_subaccount_code"),
        ({"name": ["A"]}, "name"),
    ],
)
def test_create_validation(customer, client_for, body, field):
    response = client_for(customer).post(SHOPS, body, format="json")
    assert field in assert_error(response, 400, "validation_error")["errors"]
    assert not Shop.objects.exists()


def test_create_with_all_fields(customer, client_for):
    response = client_for(customer).post(
        SHOPS,
        {
            "name": "Lagos Gadgets",
            "delivery_fee": "1500.50",
            "low_stock_threshold": 2,
            "paystack_subaccount_code": "ACCT_8f4s1eq7ml6rlzj",
        },
        format="json",
    )
    data = response.json()["data"]
    assert data["delivery_fee"] == "1500.50"
    assert data["low_stock_threshold"] == 2
    assert data["paystack_subaccount_code"] == "ACCT_8f4s1eq7ml6rlzj"


@pytest.mark.parametrize(
    "role, status, code",
    [
        ("anonymous", 401, "not_authenticated"),
        ("staff", 403, "permission_denied"),
        ("deactivated_staff", 401, "not_authenticated"),
    ],
)
def test_create_refused(world, role, status, code):
    response = world.client(role).post(SHOPS, {"name": "Nope"}, format="json")
    assert_error(response, status, code)
    assert not Shop.objects.filter(name="Nope").exists()


def test_unverified_account_cannot_create_a_shop(db, client_for):
    user = UserFactory(is_email_verified=False)
    response = client_for(user).post(SHOPS, {"name": "Nope"}, format="json")
    assert_error(response, 403, "email_not_verified")


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_of_one_name_gives_one_shop_and_409s(client_for):
    """Many requests race for one name in different letter cases: one wins, the rest get 409."""
    names = ["Race Shop", "race shop", "RACE SHOP", "Race shop", "rACE sHOP", "race SHOP"]
    clients = [client_for(UserFactory()) for _ in names]
    barrier = threading.Barrier(len(names))
    statuses: list[int] = []
    lock = threading.Lock()

    def create(client, name):
        try:
            barrier.wait(timeout=10)
            response = client.post(SHOPS, {"name": name}, format="json")
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 409:
                    assert response.json()["code"] == "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=pair) for pair in zip(clients, names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [201] + [409] * (len(names) - 1)
    assert Shop.objects.filter(name__iexact="race shop").count() == 1


# --- Detail ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, private",
    [
        ("anonymous", False),
        ("customer", False),
        ("owner", True),
        ("staff", True),
        ("other_member", False),
        ("admin", True),
    ],
)
def test_detail_private_fields_for_members_only(world, role, private):
    response = world.client(role).get(detail(world.shop))
    expect(response, 200)
    data = response.json()["data"]
    assert data["id"] == str(world.shop.id)
    assert PRIVATE.issubset(data) is private
    assert PRIVATE.isdisjoint(data) is (not private)


def test_detail_of_deactivated_staff_is_401(world):
    expect(world.client("deactivated_staff").get(detail(world.shop)), 401)


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 404), ("customer", 404), ("other_member", 404), ("owner", 200), ("admin", 200)],
)
def test_inactive_shop_is_visible_to_its_owner_and_admins_only(world, role, status):
    Shop.objects.filter(id=world.shop.id).update(is_active=False)
    expect(world.client(role).get(detail(world.shop)), status)


def test_unknown_and_malformed_ids_are_404(world, api_client):
    expect(api_client.get(f"{SHOPS}00000000-0000-0000-0000-000000000000/"), 404)
    expect(api_client.get(f"{SHOPS}not-a-uuid/"), 404)


# --- Update ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_update_permissions(world, role, status):
    response = world.client(role).patch(
        detail(world.shop), {"description": "Changed."}, format="json"
    )
    expect(response, status)
    world.shop.refresh_from_db()
    assert (world.shop.description == "Changed.") is (status == 200)


def test_update_changes_whitelisted_fields_and_ignores_the_rest(world):
    original_code, original_owner = world.shop.code, world.shop.owner_id
    response = world.client("owner").patch(
        detail(world.shop),
        {
            "name": "Renamed",
            "delivery_fee": "250.00",
            "low_stock_threshold": 9,
            "code": "HACKED00",
            "owner": str(world.other_owner.id),
            "is_active": False,
            "id": "00000000-0000-0000-0000-000000000000",
        },
        format="json",
    )
    expect(response, 200)
    world.shop.refresh_from_db()
    assert world.shop.name == "Renamed"
    assert world.shop.delivery_fee == Decimal("250.00")
    assert world.shop.low_stock_threshold == 9
    assert world.shop.code == original_code
    assert world.shop.owner_id == original_owner
    assert world.shop.is_active


def test_update_to_a_taken_name_is_409(world):
    response = world.client("owner").patch(
        detail(world.shop), {"name": world.other_shop.name.upper()}, format="json"
    )
    assert_error(response, 409, "conflict")
    # Its own name in another case is fine.
    response = world.client("owner").patch(
        detail(world.shop), {"name": world.shop.name.upper()}, format="json"
    )
    expect(response, 200)


def test_update_validation(world):
    response = world.client("owner").patch(
        detail(world.shop), {"delivery_fee": "-5"}, format="json"
    )
    assert "delivery_fee" in assert_error(response, 400, "validation_error")["errors"]


def test_logo_upload_is_resized_and_served_as_absolute_url(world):
    content = image_bytes("PNG", size=(2400, 1200))
    response = world.client("owner").patch(
        detail(world.shop), {"logo": upload(content, "logo.png")}, format="multipart"
    )
    expect(response, 200)
    logo_url = response.json()["data"]["logo"]
    assert logo_url.startswith("http://testserver/media/shops/logos/")
    world.shop.refresh_from_db()
    with world.shop.logo.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (1600, 800)


def test_logo_that_is_not_an_image_is_415_and_nothing_changes(world):
    response = world.client("owner").patch(
        detail(world.shop),
        {"logo": upload(b"just some text", "logo.png"), "description": "New"},
        format="multipart",
    )
    assert_error(response, 415, "unsupported_media_type")
    world.shop.refresh_from_db()
    assert not world.shop.logo and world.shop.description != "New"


def test_logo_can_be_replaced_and_removed(world, django_capture_on_commit_callbacks):
    client = world.client("owner")
    client.patch(detail(world.shop), {"logo": upload(image_bytes())}, format="multipart")
    world.shop.refresh_from_db()
    first = world.shop.logo.name
    storage = world.shop.logo.storage
    assert storage.exists(first)

    with django_capture_on_commit_callbacks(execute=True):
        client.patch(
            detail(world.shop), {"logo": upload(image_bytes("JPEG"), "l.jpg")}, format="multipart"
        )
    world.shop.refresh_from_db()
    assert world.shop.logo.name != first and not storage.exists(first)

    second = world.shop.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(detail(world.shop), {"logo": None}, format="json")
    assert response.json()["data"]["logo"] is None
    world.shop.refresh_from_db()
    assert not world.shop.logo and not storage.exists(second)


# --- Delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 204),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 204),
    ],
)
def test_delete_permissions(world, role, status):
    expect(world.client(role).delete(detail(world.shop)), status)
    world.shop.refresh_from_db()
    assert world.shop.is_active is (status != 204)


def test_delete_deactivates_the_shop_its_products_leave_the_catalogue_orders_stay(
    world, api_client
):
    product = ProductFactory(shop=world.shop)
    order = OrderFactory(shop=world.shop)
    response = world.client("owner").delete(detail(world.shop))
    assert response.status_code == 204 and response.content == b""

    world.shop.refresh_from_db()
    assert not world.shop.is_active
    assert Shop.objects.filter(id=world.shop.id).exists()
    order.refresh_from_db()
    assert order.shop_id == world.shop.id

    ids = [row["id"] for row in api_client.get("/api/v1/products/").json()["data"]["results"]]
    assert str(product.id) not in ids
    expect(api_client.get(f"/api/v1/products/{product.id}/"), 404)
    expect(api_client.get(f"{SHOPS}{world.shop.id}/products/"), 404)
    assert all(
        r["id"] != str(world.shop.id) for r in api_client.get(SHOPS).json()["data"]["results"]
    )
    # The owner still sees the shop and its product.
    expect(world.client("owner").get(f"/api/v1/products/{product.id}/"), 200)
    # Its staff have nothing left to act on.
    expect(world.client("staff").get(f"/api/v1/products/{product.id}/inventory/"), 401)
