from decimal import Decimal

import pytest

from products.models import InventoryMovement, Product, ProductImage
from tests.factories import (
    CartItemFactory,
    CategoryFactory,
    OrderItemFactory,
    ProductFactory,
    ShopFactory,
)
from tests.shops.helpers import assert_error, expect

PRODUCTS = "/api/v1/products/"


def shop_products(shop) -> str:
    return f"/api/v1/shops/{shop.id}/products/"


def detail(product) -> str:
    return f"{PRODUCTS}{product.id}/"


# --- Create ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 201),
        ("staff", 201),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 201),
    ],
)
def test_create_permissions(world, role, status):
    response = world.client(role).post(
        shop_products(world.shop), {"name": "Ankara", "price": "2500.00"}, format="json"
    )
    expect(response, status)
    assert Product.objects.filter(name="Ankara").exists() is (status == 201)


def test_create_with_initial_stock_writes_the_ledger(world):
    shoes = CategoryFactory(name="Shoes", slug="shoes")
    response = world.client("staff").post(
        shop_products(world.shop),
        {
            "name": "Leather Sandals",
            "description": "Hand-made.",
            "price": "7999.99",
            "stock": 12,
            "category_ids": [str(shoes.id), str(shoes.id)],
        },
        format="json",
    )
    expect(response, 201)
    data = response.json()["data"]
    assert data["slug"] == "leather-sandals"
    assert data["price"] == "7999.99" and data["currency"] == "NGN"
    assert data["stock"] == 12 and data["in_stock"] is True and data["is_active"] is True
    assert data["shop"] == {"id": str(world.shop.id), "name": world.shop.name}
    assert data["categories"] == [{"id": str(shoes.id), "name": "Shoes", "slug": "shoes"}]
    assert data["images"] == []
    movement = InventoryMovement.objects.get(product_id=data["id"])
    assert (movement.delta, movement.reason, movement.stock_after) == (12, "initial", 12)
    assert movement.actor == world.staff


def test_create_without_stock_has_no_movement(world):
    response = world.client("owner").post(
        shop_products(world.shop), {"name": "Later", "price": "1"}, format="json"
    )
    data = response.json()["data"]
    assert data["stock"] == 0 and data["in_stock"] is False
    assert not InventoryMovement.objects.filter(product_id=data["id"]).exists()


def test_create_ignores_protected_fields(world):
    response = world.client("owner").post(
        shop_products(world.shop),
        {
            "name": "Bag",
            "price": "10.00",
            "shop": str(world.other_shop.id),
            "shop_id": str(world.other_shop.id),
            "slug": "custom",
            "id": "00000000-0000-0000-0000-000000000000",
        },
        format="json",
    )
    expect(response, 201)
    product = Product.objects.get(name="Bag")
    assert product.shop_id == world.shop.id and product.slug == "bag"
    assert str(product.id) != "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize("taken", ["Ankara", "ankara", " ANKARA "])
def test_name_is_unique_per_shop(world, taken):
    ProductFactory(shop=world.shop, name="Ankara")
    response = world.client("owner").post(
        shop_products(world.shop), {"name": taken, "price": "1"}, format="json"
    )
    assert_error(response, 409, "conflict")
    # Another shop may use it.
    ProductFactory(shop=world.other_shop, name="Lace")
    response = world.client("owner").post(
        shop_products(world.shop), {"name": "Lace", "price": "1"}, format="json"
    )
    expect(response, 201)


def test_similar_names_get_distinct_slugs(world):
    client = world.client("owner")
    first = client.post(shop_products(world.shop), {"name": "Red Hat", "price": "1"})
    second = client.post(shop_products(world.shop), {"name": "Red-Hat", "price": "1"})
    assert first.json()["data"]["slug"] == "red-hat"
    assert second.json()["data"]["slug"] == "red-hat-2"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"price": "1"}, "name"),
        ({"name": "  ", "price": "1"}, "name"),
        ({"name": "A"}, "price"),
        ({"name": "A", "price": "0"}, "price"),
        ({"name": "A", "price": "-3"}, "price"),
        ({"name": "A", "price": "1.001"}, "price"),
        ({"name": "A", "price": "Infinity"}, "price"),
        ({"name": "A", "price": "12345678901234"}, "price"),
        ({"name": "A", "price": "abc"}, "price"),
        ({"name": "A", "price": "1", "stock": -1}, "stock"),
        ({"name": "A", "price": "1", "stock": 2.5}, "stock"),
        ({"name": "A", "price": "1", "stock": 10**10}, "stock"),
        ({"name": "A", "price": "1", "is_active": "perhaps"}, "is_active"),
        ({"name": "A", "price": "1", "category_ids": ["nope"]}, "category_ids"),
        ({"name": "A", "price": "1", "category_ids": "not-a-list"}, "category_ids"),
        (
            {"name": "A", "price": "1", "category_ids": ["00000000-0000-0000-0000-000000000000"]},
            "category_ids",
        ),
    ],
)
def test_create_validation(world, body, field):
    response = world.client("owner").post(shop_products(world.shop), body, format="json")
    assert field in assert_error(response, 400, "validation_error")["errors"]
    assert not Product.objects.exists()


def test_create_in_an_unknown_shop_is_404(world):
    response = world.client("admin").post(
        "/api/v1/shops/00000000-0000-0000-0000-000000000000/products/",
        {"name": "A", "price": "1"},
        format="json",
    )
    expect(response, 404)


# --- Update ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 200),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_update_permissions(world, role, status):
    product = ProductFactory(shop=world.shop)
    response = world.client(role).patch(detail(product), {"price": "99.50"}, format="json")
    expect(response, status)
    product.refresh_from_db()
    assert (product.price == Decimal("99.50")) is (status == 200)


def test_update_fields_and_categories(world):
    product = ProductFactory(shop=world.shop, name="Old Name")
    a, b = CategoryFactory(), CategoryFactory()
    product.categories.add(a)
    response = world.client("owner").patch(
        detail(product),
        {
            "name": "New Name",
            "description": "Better.",
            "price": "12.00",
            "is_active": False,
            "category_ids": [str(b.id)],
        },
        format="json",
    )
    expect(response, 200)
    data = response.json()["data"]
    assert data["name"] == "New Name" and data["slug"] == "new-name"
    assert data["is_active"] is False and data["price"] == "12.00"
    assert [c["id"] for c in data["categories"]] == [str(b.id)]
    product.refresh_from_db()
    assert list(product.categories.all()) == [b]


def test_update_ignores_stock_shop_and_slug(world):
    product = ProductFactory(shop=world.shop, stock=5, slug="kept")
    response = world.client("owner").patch(
        detail(product),
        {"stock": 999, "shop": str(world.other_shop.id), "slug": "changed", "created_at": "2000"},
        format="json",
    )
    expect(response, 200)
    product.refresh_from_db()
    assert product.stock == 5 and product.shop_id == world.shop.id and product.slug == "kept"
    assert InventoryMovement.objects.filter(product=product).count() == 1


def test_update_to_a_taken_name_is_409(world):
    ProductFactory(shop=world.shop, name="Taken")
    product = ProductFactory(shop=world.shop)
    response = world.client("owner").patch(detail(product), {"name": "TAKEN"}, format="json")
    assert_error(response, 409, "conflict")


def test_update_validation(world):
    product = ProductFactory(shop=world.shop)
    response = world.client("owner").patch(detail(product), {"price": "0"}, format="json")
    assert "price" in assert_error(response, 400, "validation_error")["errors"]


# --- Delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 204),
        ("staff", 204),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 204),
    ],
)
def test_delete_permissions(world, role, status):
    product = ProductFactory(shop=world.shop)
    expect(world.client(role).delete(detail(product)), status)
    assert Product.objects.filter(id=product.id).exists() is (status != 204)


def test_delete_of_a_product_never_ordered_removes_it_and_its_files(
    world, django_capture_on_commit_callbacks
):
    from tests.shops.helpers import image_bytes, upload

    product = ProductFactory(shop=world.shop)
    CartItemFactory(product=product)
    client = world.client("owner")
    client.post(f"{detail(product)}images/", {"image": upload(image_bytes())}, format="multipart")
    image = ProductImage.objects.get(product=product)
    storage, name = image.image.storage, image.image.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        expect(client.delete(detail(product)), 204)
    assert not Product.objects.filter(id=product.id).exists()
    assert not InventoryMovement.objects.filter(product_id=product.id).exists()
    assert not storage.exists(name)


def test_delete_of_an_ordered_product_deactivates_it(world, api_client):
    item = OrderItemFactory(order__shop=world.shop)
    product = item.product
    expect(world.client("staff").delete(detail(product)), 204)
    product.refresh_from_db()
    assert product.is_active is False
    expect(api_client.get(detail(product)), 404)


# --- Public detail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, active_status, inactive_status",
    [
        ("anonymous", 200, 404),
        ("customer", 200, 404),
        ("owner", 200, 200),
        ("staff", 200, 200),
        ("other_member", 200, 404),
        ("deactivated_staff", 401, 401),
        ("admin", 200, 200),
    ],
)
def test_detail_visibility(world, role, active_status, inactive_status):
    active = ProductFactory(shop=world.shop)
    inactive = ProductFactory(shop=world.shop, is_active=False)
    expect(world.client(role).get(detail(active)), active_status)
    expect(world.client(role).get(detail(inactive)), inactive_status)


def test_detail_shape(world, api_client):
    category = CategoryFactory()
    product = ProductFactory(shop=world.shop, stock=0)
    product.categories.add(category)
    data = api_client.get(detail(product)).json()["data"]
    assert set(data) == {
        "id",
        "name",
        "slug",
        "description",
        "price",
        "currency",
        "stock",
        "in_stock",
        "is_active",
        "shop",
        "categories",
        "images",
        "rating_average",
        "rating_count",
        "created_at",
        "updated_at",
    }
    assert data["in_stock"] is False and data["price"] == "1500.00"
    assert data["created_at"].endswith("Z") or "+00:00" in data["created_at"]


def test_unknown_product_is_404(db, api_client):
    expect(api_client.get(f"{PRODUCTS}00000000-0000-0000-0000-000000000000/"), 404)
    expect(api_client.get(f"{PRODUCTS}123/"), 404)


def test_detail_query_count_is_fixed(world, api_client, django_assert_max_num_queries):
    from products.models import ProductImage as Image

    product = ProductFactory(shop=world.shop)
    for position in range(8):
        Image.objects.create(product=product, image=f"products/{position}.png", position=position)
    product.categories.add(*CategoryFactory.create_batch(6))
    with django_assert_max_num_queries(3):
        data = api_client.get(detail(product)).json()["data"]
    assert len(data["images"]) == 8 and len(data["categories"]) == 6


# --- Shop catalogue --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, sees_inactive",
    [
        ("anonymous", False),
        ("customer", False),
        ("owner", True),
        ("staff", True),
        ("other_member", False),
        ("admin", True),
    ],
)
def test_shop_catalogue_include_inactive_for_members(world, role, sees_inactive):
    active = ProductFactory(shop=world.shop)
    inactive = ProductFactory(shop=world.shop, is_active=False)
    ProductFactory(shop=world.other_shop)
    client = world.client(role)
    ids = {r["id"] for r in client.get(shop_products(world.shop)).json()["data"]["results"]}
    assert ids == {str(active.id)}
    response = client.get(shop_products(world.shop), {"include_inactive": "true"})
    ids = {r["id"] for r in response.json()["data"]["results"]}
    assert ids == ({str(active.id), str(inactive.id)} if sees_inactive else {str(active.id)})


def test_shop_catalogue_validation_and_unknown_shop(world, api_client):
    response = api_client.get(shop_products(world.shop), {"include_inactive": "yes please"})
    assert "include_inactive" in assert_error(response, 400, "validation_error")["errors"]
    response = api_client.get(shop_products(world.shop), {"ordering": "stock"})
    assert_error(response, 400, "validation_error")
    expect(api_client.get("/api/v1/shops/00000000-0000-0000-0000-000000000000/products/"), 404)


def test_shop_catalogue_filters_apply(world, api_client):
    cheap = ProductFactory(shop=world.shop, price=Decimal("5.00"))
    ProductFactory(shop=world.shop, price=Decimal("500.00"))
    rows = api_client.get(shop_products(world.shop), {"max_price": "10"}).json()["data"]["results"]
    assert [r["id"] for r in rows] == [str(cheap.id)]


# --- Public list -----------------------------------------------------------------------------


def test_public_list_shows_active_products_of_active_shops_only(world, api_client):
    visible = ProductFactory(shop=world.shop)
    ProductFactory(shop=world.shop, is_active=False)
    ProductFactory(shop=ShopFactory(is_active=False))
    body = api_client.get(PRODUCTS).json()
    assert body["message"] == "Products."
    assert [r["id"] for r in body["data"]["results"]] == [str(visible.id)]
