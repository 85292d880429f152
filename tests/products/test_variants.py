"""Options and variants through the API: creating a product with them, adding, changing and
deleting variants, the product's representation, per-variant inventory and the catalogue's
filters on variants."""

from decimal import Decimal

import pytest
from django.core import mail

from products.inventory import ledger_drift
from products.models import InventoryMovement, Product, ProductVariant
from tests.factories import OrderItemFactory, ProductFactory, VariantFactory
from tests.shops.helpers import assert_error, expect

PRODUCTS = "/api/v1/products/"
SIZES = {"name": "Length", "values": ["2 yards", "4 yards", "6 yards"]}


def shop_products(shop) -> str:
    return f"/api/v1/shops/{shop.id}/products/"


def variants_url(product) -> str:
    return f"{PRODUCTS}{product.id}/variants/"


def create_wrapper(world, role="owner", **extra):
    body = {
        "name": "George wrapper",
        "options": [SIZES, {"name": "Colour", "values": ["Red", "Gold"]}],
        "variants": [
            {
                "sku": "GW-2-RED",
                "options": {"Length": "2 yards", "Colour": "Red"},
                "price": "9000.00",
                "stock": 4,
            },
            {
                "sku": "GW-6-GOLD",
                "options": {"Length": "6 yards", "Colour": "Gold"},
                "price": "27000.00",
                "stock": 0,
            },
            {
                "sku": "GW-4-RED",
                "options": {"Length": "4 yards", "Colour": "Red"},
                "price": "18000.00",
                "stock": 2,
                "is_active": False,
            },
        ],
        **extra,
    }
    return world.client(role).post(shop_products(world.shop), body, format="json")


@pytest.fixture
def wrapper(world):
    response = create_wrapper(world)
    assert response.status_code == 201, response.content
    return Product.objects.get(id=response.json()["data"]["id"])


def test_create_with_options_and_variants_shows_them_all(world):
    response = create_wrapper(world)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["options"] == [SIZES, {"name": "Colour", "values": ["Red", "Gold"]}]
    assert [v["sku"] for v in data["variants"]] == ["GW-2-RED", "GW-6-GOLD", "GW-4-RED"]
    assert data["variants"][0] == {
        "id": data["variants"][0]["id"],
        "sku": "GW-2-RED",
        "options": {"Length": "2 yards", "Colour": "Red"},
        "price": "9000.00",
        "stock": 4,
        "in_stock": True,
        "is_active": True,
    }
    # Price and stock of the active variants only.
    assert (data["price"], data["price_min"], data["price_max"]) == (
        "9000.00",
        "9000.00",
        "27000.00",
    )
    assert (data["stock"], data["in_stock"]) == (4, True)
    movements = InventoryMovement.objects.filter(product_id=data["id"])
    assert sorted(m.delta for m in movements) == [2, 4] and {m.reason for m in movements} == {
        "initial"
    }
    assert ledger_drift() == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"options": [SIZES] * 2}, "options"),  # the same name twice
        (
            {
                "options": [
                    SIZES,
                    {"name": "A", "values": ["1"]},
                    {"name": "B", "values": ["1"]},
                    {"name": "C", "values": ["1"]},
                ]
            },
            "options",
        ),
        ({"variants": []}, "variants"),
        (
            {"variants": [{"sku": "X1", "options": {"Length": "2 yards"}, "price": "1.00"}]},
            "variants",
        ),
        (
            {
                "variants": [
                    {
                        "sku": "X1",
                        "options": {"Length": "2 yards", "Colour": "Red", "Size": "M"},
                        "price": "1.00",
                    }
                ]
            },
            "variants",
        ),
        (
            {
                "variants": [
                    {
                        "sku": "=cmd|x",
                        "options": {"Length": "2 yards", "Colour": "Red"},
                        "price": "1.00",
                    }
                ]
            },
            "variants",
        ),
        (
            {
                "variants": [
                    {
                        "sku": "X1",
                        "options": {"Length": "2 yards", "Colour": "Red"},
                        "price": "0.00",
                    }
                ]
            },
            "variants",
        ),
        (
            {
                "variants": [
                    {
                        "sku": "X1",
                        "options": {"Length": "2 yards", "Colour": "Red"},
                        "price": "1.00",
                    },
                    {
                        "sku": "x1",
                        "options": {"Length": "4 yards", "Colour": "Red"},
                        "price": "1.00",
                    },
                ]
            },
            "variants",
        ),
        (
            {
                "variants": [
                    {
                        "sku": "X1",
                        "options": {"Length": "2 yards", "Colour": "Red"},
                        "price": "1.00",
                    },
                    {
                        "sku": "X2",
                        "options": {"Colour": "Red", "Length": "2 yards"},
                        "price": "1.00",
                    },
                ]
            },
            "variants",
        ),
    ],
)
def test_invalid_options_or_variants_are_400_and_create_nothing(world, change, field):
    body = assert_error(create_wrapper(world, **change), 400, "validation_error")
    assert field in body["errors"]
    assert not Product.objects.exists() and not ProductVariant.objects.exists()


def test_a_sku_is_unique_in_the_shop_ignoring_case_but_not_across_shops(world, wrapper):
    other = ProductFactory(shop=world.shop)
    body = {"sku": "gw-2-red", "options": {"Length": "6 yards", "Colour": "Red"}, "price": "1.00"}
    assert_error(
        world.client("owner").post(variants_url(wrapper), body, format="json"), 409, "conflict"
    )
    assert_error(
        world.client("owner").post(
            shop_products(world.shop),
            {"name": "Other", "price": "5.00", "sku": "GW-6-gold"},
            format="json",
        ),
        409,
        "conflict",
    )
    response = world.client("admin").post(
        shop_products(world.other_shop),
        {"name": "Elsewhere", "price": "5.00", "sku": "GW-2-RED"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert other.variants.count() == 1


def test_add_a_variant_extends_the_options_values(world, wrapper):
    body = {
        "sku": "GW-8-RED",
        "options": {"Length": "8 yards", "Colour": "Red"},
        "price": "30000.00",
        "stock": 3,
    }
    response = world.client("staff").post(variants_url(wrapper), body, format="json")
    assert response.status_code == 201, response.content
    variant = response.json()["data"]
    assert (variant["sku"], variant["stock"], variant["in_stock"]) == ("GW-8-RED", 3, True)
    product = world.client("owner").get(f"{PRODUCTS}{wrapper.id}/").json()["data"]
    assert product["options"][0]["values"] == ["2 yards", "4 yards", "6 yards", "8 yards"]
    assert product["price_max"] == "30000.00" and product["stock"] == 7
    # The same combination again: 409; a product without options has one variant only.
    body["sku"] = "GW-8-RED-2"
    assert_error(
        world.client("owner").post(variants_url(wrapper), body, format="json"), 409, "conflict"
    )
    plain = ProductFactory(shop=world.shop)
    assert_error(
        world.client("owner").post(
            variants_url(plain), {"sku": "P1", "options": {}, "price": "1.00"}, format="json"
        ),
        409,
        "conflict",
    )


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 404), ("other_member", 404), ("staff", 200), ("admin", 200)],
)
def test_variant_writes_are_for_the_shops_members(world, wrapper, role, status):
    variant = wrapper.variants.get(sku="GW-2-RED")
    url = f"{variants_url(wrapper)}{variant.id}/"
    expect(world.client(role).patch(url, {"price": "9500.00"}, format="json"), status)
    variant.refresh_from_db()
    assert (variant.price == Decimal("9500.00")) is (status == 200)


def test_patch_changes_sku_price_and_active_flag_but_never_stock(world, wrapper):
    variant = wrapper.variants.get(sku="GW-6-GOLD")
    url = f"{variants_url(wrapper)}{variant.id}/"
    response = world.client("owner").patch(
        url,
        {"sku": "GW-6-GLD", "price": "26000.00", "is_active": False, "stock": 99},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["sku"], data["price"], data["is_active"], data["stock"]) == (
        "GW-6-GLD",
        "26000.00",
        False,
        0,
    )
    product = world.client("owner").get(f"{PRODUCTS}{wrapper.id}/").json()["data"]
    assert product["price_max"] == "9000.00"  # the only active variant left
    # A variant of another product, or an unknown one, is 404.
    other = ProductFactory(shop=world.shop).variants.get()
    expect(
        world.client("owner").patch(f"{variants_url(wrapper)}{other.id}/", {}, format="json"), 404
    )


def test_delete_removes_a_variant_never_ordered_and_deactivates_one_that_was(world, wrapper):
    never, ordered = wrapper.variants.get(sku="GW-6-GOLD"), wrapper.variants.get(sku="GW-2-RED")
    OrderItemFactory(order__shop=world.shop, product=wrapper, variant=ordered)
    for variant in (never, ordered):
        expect(world.client("owner").delete(f"{variants_url(wrapper)}{variant.id}/"), 204)
    assert not ProductVariant.objects.filter(id=never.id).exists()
    ordered.refresh_from_db()
    assert ordered.is_active is False


def test_the_only_variant_of_a_product_without_options_stays_with_it(world):
    product = ProductFactory(shop=world.shop)
    variant = product.variants.get()
    url = f"{variants_url(product)}{variant.id}/"
    assert_error(world.client("owner").delete(url), 409, "conflict")
    assert_error(
        world.client("owner").patch(url, {"is_active": False}, format="json"), 409, "conflict"
    )
    response = world.client("owner").patch(url, {"sku": "MY-SKU", "price": "10.00"}, format="json")
    assert response.status_code == 200
    data = world.client("owner").get(f"{PRODUCTS}{product.id}/").json()["data"]
    assert data["price"] == "10.00" and data["variants"][0]["sku"] == "MY-SKU"


def test_product_price_patch_is_a_conflict_for_several_variants(world, wrapper):
    response = world.client("owner").patch(
        f"{PRODUCTS}{wrapper.id}/", {"price": "1.00"}, format="json"
    )
    assert_error(response, 409, "conflict")
    assert sorted(v.price for v in wrapper.variants.all())[0] == Decimal("9000.00")


# --- Inventory per variant -------------------------------------------------------------------


def test_variant_inventory_adds_and_lists_its_own_movements(world, wrapper):
    variant = wrapper.variants.get(sku="GW-6-GOLD")
    url = f"/api/v1/variants/{variant.id}/inventory/"
    response = world.client("staff").post(url, {"action": "add", "quantity": 5}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {
        "variant_id": str(variant.id),
        "product_id": str(wrapper.id),
        "stock": 5,
    }
    data = world.client("owner").get(url).json()["data"]
    assert [m["delta"] for m in data["movements"]] == [5]
    assert data["movements"][0]["variant_id"] == str(variant.id)
    body = assert_error(
        world.client("owner").post(url, {"action": "remove", "quantity": 6}, format="json"),
        409,
        "insufficient_stock",
    )
    assert body["errors"]["items"] == [
        {
            "product_id": str(wrapper.id),
            "variant_id": str(variant.id),
            "requested": 6,
            "available": 5,
        }
    ]
    expect(world.client("other_member").get(url), 404)
    expect(world.client("customer").post(url, {"action": "add", "quantity": 1}, format="json"), 404)
    assert ledger_drift() == []


def test_low_stock_is_per_variant_and_names_it(world, wrapper, django_capture_on_commit_callbacks):
    """Threshold 3: the 2-yard variant going 4 -> 3 is mailed, naming its length, although
    the product as a whole still has more."""
    variant = wrapper.variants.get(sku="GW-2-RED")
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("owner").post(
            f"/api/v1/variants/{variant.id}/inventory/",
            {"action": "remove", "quantity": 1},
            format="json",
        )
    assert response.status_code == 200
    [message] = mail.outbox
    assert "George wrapper (Length: 2 yards, Colour: Red)" in message.subject
    assert "3 left" in message.body


def test_product_inventory_of_a_product_with_several_variants(world, wrapper):
    url = f"{PRODUCTS}{wrapper.id}/inventory/"
    assert_error(
        world.client("owner").post(url, {"action": "add", "quantity": 1}, format="json"),
        409,
        "conflict",
    )
    data = world.client("owner").get(url).json()["data"]
    assert data["stock"] == 4  # the active variants' stock
    assert len(data["movements"]) == 2  # the history of all its variants


# --- Catalogue filters -----------------------------------------------------------------------


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["data"]["results"]}


def test_filters_on_variants(world, wrapper, api_client):
    plain = ProductFactory(shop=world.shop, price=Decimal("12000.00"), stock=0)
    shirt = ProductFactory(shop=world.shop, name="Shirt")
    shirt.variants.all().delete()
    Product.objects.filter(id=shirt.id).update(
        options=[{"name": "Size", "values": ["M", "L"]}, {"name": "Colour", "values": ["Red"]}]
    )
    VariantFactory(product=shirt, sku="SH-M", options={"Size": "M", "Colour": "Blue"}, stock=0)
    VariantFactory(product=shirt, sku="SH-L", options={"Size": "L", "Colour": "Red"}, stock=2)
    w, p, s = str(wrapper.id), str(plain.id), str(shirt.id)

    assert ids(api_client.get(PRODUCTS, {"option": "Colour:red"})) == {w, s}
    # Several options must hold on one variant.
    assert ids(api_client.get(PRODUCTS, [("option", "Size:M"), ("option", "Colour:Red")])) == set()
    assert ids(api_client.get(PRODUCTS, [("option", "Size:L"), ("option", "Colour:Red")])) == {s}
    # An inactive variant does not count (GW-4-RED costs 18000).
    assert ids(api_client.get(PRODUCTS, {"min_price": "15000", "max_price": "20000"})) == set()
    assert ids(api_client.get(PRODUCTS, {"min_price": "10000"})) == {w, p}
    assert ids(api_client.get(PRODUCTS, {"in_stock": "true"})) == {w, s}
    assert ids(api_client.get(PRODUCTS, {"in_stock": "false"})) == {p}
    assert ids(api_client.get(PRODUCTS, {"option": "Size:M", "in_stock": "true"})) == set()
    assert ids(api_client.get(PRODUCTS, {"sku": "gw-6-gold"})) == {w}
    assert ids(api_client.get(PRODUCTS, {"search": "SH-L"})) == {s}
    rows = api_client.get(PRODUCTS, {"ordering": "price"}).json()["data"]["results"]
    assert [row["price"] for row in rows] == ["1500.00", "9000.00", "12000.00"]
    for bad in ("Size", ":M", "Size:", "a:1&option=b:2&option=c:3&option=d:4"):
        assert_error(api_client.get(f"{PRODUCTS}?option={bad}"), 400, "validation_error")


@pytest.mark.parametrize("variants", [1, 30])
def test_list_query_count_does_not_grow_with_variants(
    world, api_client, django_assert_max_num_queries, variants
):
    for n in range(5):
        product = ProductFactory(shop=world.shop)
        for v in range(variants - 1):
            VariantFactory(product=product, options={"Size": f"{n}-{v}"})
    with django_assert_max_num_queries(6):  # count, page, images, categories, variants
        rows = api_client.get(PRODUCTS, {"option": "Size:0-0"}).json()["data"]["results"]
    assert len(rows) == (1 if variants > 1 else 0)
    with django_assert_max_num_queries(5):
        rows = api_client.get(PRODUCTS).json()["data"]["results"]
    assert all(len(row["variants"]) == variants for row in rows)


def test_a_variant_change_invalidates_the_cached_catalogue(
    world, wrapper, api_client, django_capture_on_commit_callbacks
):
    url = f"{PRODUCTS}{wrapper.id}/"
    assert api_client.get(url).json()["data"]["price_max"] == "27000.00"
    variant = wrapper.variants.get(sku="GW-6-GOLD")
    with django_capture_on_commit_callbacks(execute=True):
        world.client("owner").patch(
            f"{variants_url(wrapper)}{variant.id}/", {"price": "25000.00"}, format="json"
        )
    assert api_client.get(url).json()["data"]["price_max"] == "25000.00"
    with django_capture_on_commit_callbacks(execute=True):
        world.client("owner").post(
            f"/api/v1/variants/{variant.id}/inventory/",
            {"action": "set", "quantity": 3},
            format="json",
        )
    assert api_client.get(url).json()["data"]["stock"] == 7


def test_the_longest_options_allowed_make_a_variant(world):
    names = [letter * 50 for letter in "ABC"]
    values = [letter * 100 for letter in "xyz"]
    body = {
        "name": "Long options",
        "options": [{"name": n, "values": [v]} for n, v in zip(names, values, strict=True)],
        "variants": [{"options": dict(zip(names, values, strict=True)), "price": "10.00"}],
    }
    response = world.client("owner").post(shop_products(world.shop), body, format="json")
    assert response.status_code == 201, response.content
    variant = ProductVariant.objects.get(product_id=response.json()["data"]["id"])
    assert variant.options == dict(zip(names, values, strict=True))


def test_an_option_filter_with_a_nul_is_a_400_whichever_its_place(db, api_client):
    for query in ("option=Si%00ze:M&option=Colour:Red", "option=Size:M&option=Colour:R%00ed"):
        assert_error(api_client.get(f"{PRODUCTS}?{query}"), 400, "validation_error")
    for query in ("sku=A%00B", "search=a%00b", "category=a%00b"):
        assert_error(api_client.get(f"{PRODUCTS}?{query}"), 400, "validation_error")
