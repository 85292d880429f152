import pytest

from products.models import Category
from tests.factories import CategoryFactory, ProductFactory
from tests.shops.helpers import assert_error, expect

CATEGORIES = "/api/v1/categories/"


def detail(category) -> str:
    return f"{CATEGORIES}{category.id}/"


def test_public_list_with_search_and_parent(db, api_client):
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    shoes = CategoryFactory(name="Shoes", slug="shoes", parent=fashion)
    CategoryFactory(name="Bags", slug="bags", parent=fashion)
    CategoryFactory(name="Books", slug="books")

    body = api_client.get(CATEGORIES).json()
    assert body["status"] == "success"
    assert [row["name"] for row in body["data"]["results"]] == ["Bags", "Books", "Fashion", "Shoes"]
    shoe_row = next(row for row in body["data"]["results"] if row["name"] == "Shoes")
    assert shoe_row == {
        "id": str(shoes.id),
        "name": "Shoes",
        "slug": "shoes",
        "parent_id": str(fashion.id),
    }

    rows = api_client.get(CATEGORIES, {"search": "bo"}).json()["data"]["results"]
    assert [row["name"] for row in rows] == ["Books"]
    rows = api_client.get(CATEGORIES, {"parent": str(fashion.id)}).json()["data"]["results"]
    assert [row["name"] for row in rows] == ["Bags", "Shoes"]


def test_invalid_parent_filter_is_400(db, api_client):
    response = api_client.get(CATEGORIES, {"parent": "not-a-uuid"})
    assert "parent" in assert_error(response, 400, "validation_error")["errors"]


def test_public_detail(db, api_client):
    category = CategoryFactory()
    assert api_client.get(detail(category)).json()["data"]["slug"] == category.slug
    expect(api_client.get(f"{CATEGORIES}00000000-0000-0000-0000-000000000000/"), 404)


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 403),
        ("owner", 403),
        ("staff", 403),
        ("other_member", 403),
        ("deactivated_staff", 401),
        ("admin", 201),
    ],
)
def test_create_is_for_admins(world, role, status):
    response = world.client(role).post(CATEGORIES, {"name": "Phones"}, format="json")
    expect(response, status)
    assert Category.objects.filter(name="Phones").exists() is (status == 201)


def test_create_makes_unique_slugs(world):
    client = world.client("admin")
    first = client.post(CATEGORIES, {"name": "Men's Shoes"}, format="json").json()["data"]
    second = client.post(CATEGORIES, {"name": "Men's  shoes"}, format="json").json()["data"]
    third = client.post(
        CATEGORIES, {"name": "Mens Shoes", "parent_id": first["id"]}, format="json"
    ).json()["data"]
    assert [first["slug"], second["slug"], third["slug"]] == [
        "mens-shoes",
        "mens-shoes-2",
        "mens-shoes-3",
    ]
    assert third["parent_id"] == first["id"]
    emoji = client.post(CATEGORIES, {"name": "★★★"}, format="json").json()["data"]
    assert emoji["slug"] == "category"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "parent_id": "nope"}, "parent_id"),
        ({"name": "Ok", "parent_id": "00000000-0000-0000-0000-000000000000"}, "parent_id"),
    ],
)
def test_create_validation(world, body, field):
    response = world.client("admin").post(CATEGORIES, body, format="json")
    assert field in assert_error(response, 400, "validation_error")["errors"]


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 403),
        ("owner", 403),
        ("staff", 403),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_update_is_for_admins(world, role, status):
    category = CategoryFactory(name="Old")
    response = world.client(role).patch(detail(category), {"name": "New"}, format="json")
    expect(response, status)
    category.refresh_from_db()
    assert (category.name == "New") is (status == 200)


def test_update_name_slug_and_parent(world):
    parent = CategoryFactory()
    category = CategoryFactory(slug="old")
    CategoryFactory(slug="taken")
    client = world.client("admin")
    response = client.patch(
        detail(category),
        {"name": "Renamed", "slug": "Renamed", "parent_id": str(parent.id)},
        format="json",
    )
    assert response.json()["data"] == {
        "id": str(category.id),
        "name": "Renamed",
        "slug": "renamed",
        "parent_id": str(parent.id),
        "commission_percent": None,  # admins see the category's commission rate
    }
    assert_error(client.patch(detail(category), {"slug": "taken"}, format="json"), 409, "conflict")
    assert_error(
        client.patch(detail(category), {"slug": "not a slug"}, format="json"),
        400,
        "validation_error",
    )
    response = client.patch(detail(category), {"parent_id": None}, format="json")
    assert response.json()["data"]["parent_id"] is None


def test_a_category_cannot_move_under_itself_or_its_descendants(world):
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)
    bottom = CategoryFactory(parent=middle)
    client = world.client("admin")
    for new_parent in (top, middle, bottom):
        response = client.patch(detail(top), {"parent_id": str(new_parent.id)}, format="json")
        assert "parent_id" in assert_error(response, 400, "validation_error")["errors"]
    top.refresh_from_db()
    assert top.parent_id is None


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 403),
        ("owner", 403),
        ("staff", 403),
        ("deactivated_staff", 401),
        ("admin", 204),
    ],
)
def test_delete_is_for_admins(world, role, status):
    category = CategoryFactory()
    expect(world.client(role).delete(detail(category)), status)
    assert Category.objects.filter(id=category.id).exists() is (status != 204)


def test_delete_refuses_categories_in_use(world):
    parent = CategoryFactory()
    CategoryFactory(parent=parent)
    used = CategoryFactory()
    ProductFactory().categories.add(used)
    client = world.client("admin")
    assert_error(client.delete(detail(parent)), 409, "conflict")
    assert_error(client.delete(detail(used)), 409, "conflict")
    assert Category.objects.filter(id__in=[parent.id, used.id]).count() == 2
