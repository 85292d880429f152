"""The public catalogue's cache (core.catalogue_cache): same answers as fresh ones, invalidated by
every kind of change once it commits, used for signed-in callers only where their answer is the
public one, and only after their token is checked."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.catalogue_cache import catalogue_version
from products.inventory import StockChange, stock_adjust, stock_apply
from products.models import InventoryMovement, Product, ProductImage
from products.services import product_update
from tests.factories import (
    CategoryFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from tests.shops.helpers import build_world
from users.services import user_delete

PRODUCTS = "/api/v1/products/"


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.CATALOGUE_CACHE_TIMEOUT = 300


@pytest.fixture
def world(db, client_for):
    world = build_world(client_for)
    world.category = CategoryFactory(name="Fabrics", slug="fabrics")
    world.products = []
    for n in range(25):  # two pages of 20
        product = ProductFactory(shop=world.shop, name=f"Cloth {n:02d}", price=Decimal("100.00"))
        product.categories.add(world.category)
        ProductImage.objects.create(product=product, image=f"products/{n}.png", position=0)
        world.products.append(product)
    world.hidden = ProductFactory(shop=world.shop, name="Not yet", is_active=False)
    return world


def detail(product) -> str:
    return f"{PRODUCTS}{product.id}/"


def shop_products(shop) -> str:
    return f"/api/v1/shops/{shop.id}/products/"


def fresh(settings, client: APIClient, path: str, **extra):
    """The answer with the cache off."""
    settings.CATALOGUE_CACHE_TIMEOUT = 0
    try:
        return client.get(path, **extra)
    finally:
        settings.CATALOGUE_CACHE_TIMEOUT = 300


def data_of(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["data"]


# --- Hits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "list-page-2", "detail", "shop", "filtered"])
def test_a_hit_is_the_fresh_answer_byte_for_byte_and_costs_no_query(world, settings, kind):
    path = {
        "list": PRODUCTS,
        "list-page-2": f"{PRODUCTS}?page=2",
        "detail": detail(world.products[3]),
        "shop": f"{shop_products(world.shop)}?page_size=5&page=2",
        "filtered": f"{PRODUCTS}?category=fabrics&ordering=price&page_size=10",
    }[kind]
    client = APIClient()
    first = client.get(path)
    with CaptureQueriesContext(connection) as queries:
        hit = client.get(path)
    assert len(queries) == 0
    expected = fresh(settings, client, path)
    assert first.status_code == hit.status_code == expected.status_code == 200
    assert hit.content == expected.content == first.content
    for header in ("Content-Type", "Vary", "Allow", "Content-Length"):
        assert hit.get(header) == expected.get(header), header
    assert hit["X-Request-ID"] != first["X-Request-ID"]  # middleware still runs
    if kind == "list":
        assert data_of(hit)["next"] == "http://testserver/api/v1/products/?page=2"


def test_each_host_and_accept_header_has_its_own_entry(world):
    client = APIClient()
    bodies = {}
    for host in ("testserver", "localhost"):
        bodies[host] = data_of(client.get(PRODUCTS, HTTP_HOST=host))
    assert bodies["testserver"]["next"].startswith("http://testserver/")
    assert bodies["localhost"]["next"].startswith("http://localhost/")
    assert bodies["localhost"]["results"][0]["images"][0]["url"].startswith("http://localhost/")
    # An Accept header nobody can satisfy is refused, even once the page is cached.
    assert client.get(PRODUCTS, HTTP_ACCEPT="text/csv").status_code == 406
    # One that changes the rendering has its own entry; plain ones share the default one.
    indented = client.get(PRODUCTS, HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and indented.content.startswith(b'{\n  "status"')
    for accept in ("*/*", "application/json"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PRODUCTS, HTTP_ACCEPT=accept).content.startswith(b'{"status"')
        assert len(queries) == 0


def test_only_successes_are_stored(world):
    client = APIClient()
    missing = f"{PRODUCTS}00000000-0000-0000-0000-000000000000/"
    assert client.get(missing).status_code == 404
    with CaptureQueriesContext(connection) as queries:
        assert client.get(missing).status_code == 404
    assert len(queries) > 0
    assert client.get(PRODUCTS, {"page": 99}).status_code == 404
    assert client.get(PRODUCTS, {"min_price": "x"}).status_code == 400


# --- Members and tokens ------------------------------------------------------------------------


def test_members_asking_for_inactive_products_never_get_the_public_answer(world):
    anonymous = APIClient()
    path = f"{shop_products(world.shop)}?include_inactive=true&page_size=100"
    public = data_of(anonymous.get(path))
    assert public["count"] == 25  # include_inactive means nothing to the public
    assert data_of(anonymous.get(path)) == public  # now cached
    for role in ("owner", "staff", "admin"):
        mine = data_of(world.client(role).get(path))
        assert mine["count"] == 26, role
        assert "Not yet" in {row["name"] for row in mine["results"]}
    # Likewise a product only members may see.
    assert anonymous.get(detail(world.hidden)).status_code == 404
    assert data_of(world.client("owner").get(detail(world.hidden)))["is_active"] is False


def test_a_revoked_token_is_refused_on_a_cached_page(world):
    APIClient().get(PRODUCTS)
    assert world.client("deactivated_staff").get(PRODUCTS).status_code == 401
    assert world.client("customer").get(PRODUCTS).status_code == 200
    garbage = APIClient()
    garbage.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    for path in (PRODUCTS, detail(world.products[0])):
        APIClient().get(path)  # stored
        assert garbage.get(path).status_code == 401, path


@pytest.mark.parametrize("path_of", [lambda w: PRODUCTS, lambda w: detail(w.products[2])])
def test_a_signed_in_caller_gets_the_stored_public_answer_after_one_query(world, path_of):
    path = path_of(world)
    stored = APIClient().get(path)
    for role in ("customer", "owner", "admin"):
        with CaptureQueriesContext(connection) as queries:
            hit = world.client(role).get(path)
        assert len(queries) == 1, (role, [q["sql"] for q in queries])  # the account's row
        assert hit.content == stored.content, role


def test_a_signed_in_caller_fills_the_list_but_never_a_members_only_answer(world):
    # The list is the same for everyone: a customer's answer is stored for the next caller.
    assert data_of(world.client("customer").get(f"{PRODUCTS}?page=2"))["count"] == 25
    with CaptureQueriesContext(connection) as queries:
        assert data_of(APIClient().get(f"{PRODUCTS}?page=2"))["count"] == 25
    assert len(queries) == 0
    # A product only its shop's members may see is answered to them, and never stored.
    assert data_of(world.client("owner").get(detail(world.hidden)))["name"] == "Not yet"
    assert APIClient().get(detail(world.hidden)).status_code == 404
    assert world.client("customer").get(detail(world.hidden)).status_code == 404
    # A public product asked first by a member is not stored either (read only for details).
    product = world.products[4]
    world.client("owner").get(detail(product))
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(detail(product)).status_code == 200
    assert len(queries) > 0


def test_with_the_cache_unreachable_the_catalogue_is_served_fresh(world, settings):
    expected = APIClient().get(PRODUCTS).content
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = APIClient().get(PRODUCTS)
    assert response.status_code == 200 and response.content == expected


# --- Invalidation ------------------------------------------------------------------------------


def _names(client: APIClient, path: str = f"{PRODUCTS}?page_size=100") -> set[str]:
    return {row["name"] for row in data_of(client.get(path))["results"]}


def test_product_edit_invalidates(world, django_capture_on_commit_callbacks):
    anonymous = APIClient()
    product = world.products[0]
    assert "Cloth 00" in _names(anonymous)
    anonymous.get(detail(product))
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("owner").patch(detail(product), {"name": "Silk"}, format="json")
    assert response.status_code == 200
    assert "Silk" in _names(anonymous) and "Cloth 00" not in _names(anonymous)
    assert data_of(anonymous.get(detail(product)))["name"] == "Silk"


def test_stock_change_through_stock_apply_invalidates(world, django_capture_on_commit_callbacks):
    """What checkout, cancellation and payment expiry do."""
    anonymous = APIClient()
    product = world.products[1]
    assert data_of(anonymous.get(detail(product)))["stock"] == 10
    with django_capture_on_commit_callbacks(execute=True):
        stock_apply(
            changes=[StockChange(product.variants.get().id, -10)],
            reason=InventoryMovement.Reason.CHECKOUT,
        )
    body = data_of(anonymous.get(detail(product)))
    assert body["stock"] == 0 and body["in_stock"] is False
    in_stock = data_of(anonymous.get(f"{PRODUCTS}?in_stock=false"))
    assert [row["id"] for row in in_stock["results"]] == [str(product.id)]


def test_shop_deactivation_invalidates(world, django_capture_on_commit_callbacks):
    anonymous = APIClient()
    product = world.products[2]
    assert data_of(anonymous.get(detail(product)))["id"] == str(product.id)
    assert data_of(anonymous.get(shop_products(world.shop)))["count"] == 25
    assert data_of(anonymous.get(PRODUCTS))["count"] == 25
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("owner").delete(f"/api/v1/shops/{world.shop.id}/")
    assert response.status_code == 204
    assert anonymous.get(detail(product)).status_code == 404
    assert anonymous.get(shop_products(world.shop)).status_code == 404
    assert data_of(anonymous.get(PRODUCTS))["count"] == 0


def test_category_rename_invalidates(world, django_capture_on_commit_callbacks):
    anonymous = APIClient()
    first = data_of(anonymous.get(PRODUCTS))["results"][0]
    assert first["categories"][0]["name"] == "Fabrics"
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("admin").patch(
            f"/api/v1/categories/{world.category.id}/", {"name": "Textiles"}, format="json"
        )
    assert response.status_code == 200
    first = data_of(anonymous.get(PRODUCTS))["results"][0]
    assert first["categories"][0]["name"] == "Textiles"


@pytest.mark.parametrize(
    "change",
    [
        "product_create",
        "product_delete",
        "product_deactivate_by_delete",
        "image_delete",
        "stock_adjust",
        "shop_rename",
        "owner_account_deleted",
    ],
)
def test_every_other_kind_of_change_invalidates(world, change, django_capture_on_commit_callbacks):
    anonymous = APIClient()
    owner = world.client("owner")
    product = world.products[4]
    before = anonymous.get(f"{PRODUCTS}?page_size=100").content
    anonymous.get(detail(product))
    with django_capture_on_commit_callbacks(execute=True):
        if change == "product_create":
            response = owner.post(
                shop_products(world.shop), {"name": "Brand new", "price": "5.00"}, format="json"
            )
            assert response.status_code == 201
        elif change == "product_delete":
            assert owner.delete(detail(product)).status_code == 204
        elif change == "product_deactivate_by_delete":
            # Once ordered, a product is deactivated instead of deleted.
            OrderItemFactory(order=OrderFactory(shop=world.shop), product=product)
            assert owner.delete(detail(product)).status_code == 204
            assert Product.objects.get(id=product.id).is_active is False
        elif change == "image_delete":
            image = product.images.get()
            url = f"{detail(product)}images/{image.id}/"
            assert owner.delete(url).status_code == 204
        elif change == "stock_adjust":
            stock_adjust(product_id=product.id, action="add", quantity=5, actor=world.owner)
        elif change == "shop_rename":
            response = owner.patch(
                f"/api/v1/shops/{world.shop.id}/", {"name": "Renamed"}, format="json"
            )
            assert response.status_code == 200
        elif change == "owner_account_deleted":
            world.owner.set_password("Owner-Password-123")
            world.owner.save()
            user_delete(user=world.owner, password="Owner-Password-123")
    after = anonymous.get(f"{PRODUCTS}?page_size=100")
    assert after.content != before
    assert after.content == APIClient().get(f"{PRODUCTS}?page_size=100").content


@pytest.mark.django_db(transaction=True)
def test_the_version_moves_only_when_the_change_commits(settings):
    settings.CATALOGUE_CACHE_TIMEOUT = 300
    product = ProductFactory(name="Before")
    anonymous = APIClient()
    assert data_of(anonymous.get(detail(product)))["name"] == "Before"
    version = catalogue_version()
    seen_inside: list[str] = []
    with transaction.atomic():
        product_update(product=product, data={"name": "After"})
        assert catalogue_version() == version  # not yet: the change is not visible to others

        def read() -> None:  # another connection reads while the change is uncommitted
            try:
                seen_inside.append(data_of(APIClient().get(detail(product)))["name"])
            finally:
                connection.close()

        reader = threading.Thread(target=read)
        reader.start()
        reader.join()
    assert seen_inside == ["Before"]
    assert catalogue_version() > version
    assert data_of(anonymous.get(detail(product)))["name"] == "After"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_the_cache_alone(settings):
    settings.CATALOGUE_CACHE_TIMEOUT = 300
    product = ProductFactory(name="Kept")
    APIClient().get(detail(product))
    version = catalogue_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        product_update(product=product, data={"name": "Dropped"})
        raise RuntimeError
    assert catalogue_version() == version
    assert data_of(APIClient().get(detail(product)))["name"] == "Kept"


def test_the_version_survives_a_flushed_cache(db):
    from django.core.cache import cache

    first = catalogue_version()
    cache.clear()
    assert catalogue_version() > first  # restarted from the clock: never reused
