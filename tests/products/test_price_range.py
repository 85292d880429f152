"""The price range stored on each product (`price_min`, `price_max`: the lowest and highest
price of its active variants, which `?ordering=price` reads) follows every write of a variant's
price or active flag, and the migration that brought it fills it for the products already
there; a search on PostgreSQL answers at most `SEARCH_CANDIDATES` products, ranked."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max, Min, Q
from django.utils import timezone

from products.models import Product, ProductVariant
from tests.factories import ProductFactory, ShopFactory, VariantFactory
from tests.products.test_catalogue_csv import csv_text, line, upload
from tests.products.test_variants import PRODUCTS, create_wrapper, variants_url

D = Decimal


def stored(product) -> tuple[Decimal | None, Decimal | None]:
    return tuple(Product.objects.filter(id=product.id).values_list("price_min", "price_max")[0])


def computed(product) -> tuple[Decimal | None, Decimal | None]:
    prices = ProductVariant.objects.filter(product_id=product.id).aggregate(
        low=Min("price", filter=Q(is_active=True)), high=Max("price", filter=Q(is_active=True))
    )
    return prices["low"], prices["high"]


def assert_range(product, expected):
    assert stored(product) == computed(product) == expected


def test_every_variant_write_keeps_the_range(world):
    owner = world.client("owner")
    response = create_wrapper(world)  # 9000 and 27000 active, 18000 inactive
    product = Product.objects.get(id=response.json()["data"]["id"])
    assert_range(product, (D("9000.00"), D("27000.00")))
    variants = {v.sku: v for v in ProductVariant.objects.filter(product=product)}

    def patch(sku, body):
        url = f"{variants_url(product)}{variants[sku].id}/"
        response = owner.patch(url, body, format="json")
        assert response.status_code == 200, response.content

    patch("GW-4-RED", {"is_active": True})  # activated
    assert_range(product, (D("9000.00"), D("27000.00")))
    patch("GW-2-RED", {"price": "30000.00"})  # price changed
    assert_range(product, (D("18000.00"), D("30000.00")))
    patch("GW-2-RED", {"is_active": False})  # deactivated
    assert_range(product, (D("18000.00"), D("27000.00")))

    created = owner.post(
        variants_url(product),
        {"options": {"Length": "6 yards", "Colour": "Red"}, "price": "500.00", "stock": 1},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert_range(product, (D("500.00"), D("27000.00")))

    deleted = owner.delete(f"{variants_url(product)}{created.json()['data']['id']}/")
    assert deleted.status_code == 204
    assert_range(product, (D("18000.00"), D("27000.00")))
    for sku in ("GW-6-GOLD", "GW-4-RED"):  # none active: no range
        assert owner.delete(f"{variants_url(product)}{variants[sku].id}/").status_code == 204
    assert_range(product, (None, None))


def test_a_product_without_options_keeps_the_range_of_its_price(world):
    owner = world.client("owner")
    response = owner.post(
        f"/api/v1/shops/{world.shop.id}/products/", {"name": "Gele", "price": "6000.00"}
    )
    assert response.status_code == 201, response.content
    product = Product.objects.get(id=response.json()["data"]["id"])
    assert_range(product, (D("6000.00"), D("6000.00")))
    response = owner.patch(f"{PRODUCTS}{product.id}/", {"price": "6500.00"}, format="json")
    assert response.status_code == 200, response.content
    assert_range(product, (D("6500.00"), D("6500.00")))


def test_a_catalogue_import_keeps_the_range(world):
    owner = world.client("owner")
    text = csv_text(
        line("Phone", "PH-128", "185000.00", 3, ("Storage", "128 GB")),
        line("Phone", "PH-256", "215000.00", 0, ("Storage", "256 GB")),
        line("Gele", "GELE-1", "6000.00", 40, active="false"),
    )
    assert upload(owner, world.shop, text).status_code == 200
    phone, gele = (Product.objects.get(shop=world.shop, name=name) for name in ("Phone", "Gele"))
    assert_range(phone, (D("185000.00"), D("215000.00")))
    assert_range(gele, (None, None))

    text = csv_text(
        line("Phone", "PH-128", "185000.00", 3, ("Storage", "128 GB"), active="false"),
        line("Phone", "PH-256", "199000.00", 0, ("Storage", "256 GB")),
        line("Phone", "PH-512", "250000.00", 1, ("Storage", "512 GB")),
        line("Gele", "GELE-1", "6000.00", 40),
    )
    assert upload(owner, world.shop, text).status_code == 200
    assert_range(phone, (D("199000.00"), D("250000.00")))
    assert_range(gele, (D("6000.00"), D("6000.00")))


def test_ordering_by_price_reads_the_lowest_active_price(db, api_client):
    shop = ShopFactory()
    cheap = ProductFactory(shop=shop, price=D("100.00"))
    dear = ProductFactory(shop=shop, price=D("900.00"))
    # A cheaper variant, inactive, does not count; a cheaper active one does.
    VariantFactory(product=dear, options={"Size": "S"}, price=D("1.00"), is_active=False)
    middle = ProductFactory(shop=shop, price=D("5000.00"))
    VariantFactory(product=middle, options={"Size": "S"}, price=D("500.00"))

    def order(ordering):
        response = api_client.get(PRODUCTS, {"ordering": ordering})
        return [row["id"] for row in response.json()["data"]["results"]]

    expected = [str(p.id) for p in (cheap, middle, dear)]
    assert order("price") == expected
    assert order("-price") == expected[::-1]


def test_the_command_finds_and_fixes_a_range_left_behind(db):
    from io import StringIO

    from django.core.management import CommandError, call_command

    kept = ProductFactory(price=D("10.00"))
    behind = ProductFactory(price=D("20.00"))
    # A write that does not keep the range (as the admin's variant rows do).
    ProductVariant.objects.filter(product=behind).update(price=D("25.00"))
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("refresh_product_prices", "--check", stdout=out)
    assert error.value.returncode == 1 and out.getvalue().split() == [str(behind.id)]
    assert stored(behind) == (D("20.00"), D("20.00"))

    call_command("refresh_product_prices", stdout=StringIO())
    assert_range(behind, (D("25.00"), D("25.00")))
    assert_range(kept, (D("10.00"), D("10.00")))
    call_command("refresh_product_prices", "--check", stdout=StringIO())  # no drift: no error


# --- The migration ---------------------------------------------------------------------------

BEFORE = [("products", "0010_catalogue_list_indexes")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_range_of_the_products_already_there(settings):
    try:
        shop = ShopFactory()
        ranged = ProductFactory(shop=shop, price=D("700.00"))
        VariantFactory(product=ranged, options={"Size": "L"}, price=D("950.50"))
        VariantFactory(product=ranged, options={"Size": "S"}, price=D("5.00"), is_active=False)
        inactive = ProductFactory(shop=shop, price=D("10.00"))
        ProductVariant.objects.filter(product=inactive).update(is_active=False)
        bare = ProductFactory(shop=shop)
        ProductVariant.objects.filter(product=bare).delete()
        many = [ProductFactory(shop=shop, price=D(n + 1)) for n in range(5)]

        _migrate(BEFORE)
        with connection.cursor() as cursor:  # the columns are gone: the data is as before
            columns = [
                c.name
                for c in connection.introspection.get_table_description(
                    cursor, Product._meta.db_table
                )
            ]
        assert "price_min" not in columns

        import importlib

        backfill = importlib.import_module("products.migrations.0011_product_price_range")
        backfill.BATCH, batch = 3, backfill.BATCH  # several batches
        try:
            _migrate(_latest())
        finally:
            backfill.BATCH = batch

        assert stored(ranged) == (D("700.00"), D("950.50"))
        assert stored(inactive) == stored(bare) == (None, None)
        assert [stored(p) for p in many] == [(D(n + 1), D(n + 1)) for n in range(5)]
    finally:
        _migrate(_latest())


# --- Search bound (PostgreSQL) -------------------------------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_search_answers_the_newest_matches_up_to_the_bound_ranked(db, api_client, settings):
    settings.SEARCH_CANDIDATES = 3
    shop = ShopFactory()
    now = timezone.now()
    # Four matches, newest first: the oldest is beyond the bound. The newest matches only in
    # its description (ranked last); a product found by its SKU comes on top of the bound.
    names = ["Plain bag", "Leather belt", "Leather shoe", "Leather hat"]
    products = [
        ProductFactory(shop=shop, name=name, description="Leather strap" if n == 0 else "Good")
        for n, name in enumerate(names)
    ]
    by_sku = ProductFactory(shop=shop, name="Scarf")
    ProductVariant.objects.filter(product=by_sku).update(sku="LEATHER", sku_key="leather")
    ProductFactory(shop=shop, name="Umbrella")  # no match
    for age, product in enumerate([*products, by_sku]):
        Product.objects.filter(id=product.id).update(created_at=now - timedelta(days=age))

    data = api_client.get(PRODUCTS, {"search": "leather"}).json()["data"]
    names = [row["name"] for row in data["results"]]
    assert data["count"] == 4 and set(names) == {
        "Plain bag",
        "Leather belt",
        "Leather shoe",
        "Scarf",
    }
    # Ranked: name matches first (newest first among equals), then the description's, then
    # the SKU's (no text rank).
    assert names == ["Leather belt", "Leather shoe", "Plain bag", "Scarf"]
    data = api_client.get(PRODUCTS, {"search": "leather", "ordering": "name"}).json()["data"]
    assert [row["name"] for row in data["results"]] == sorted(names)

    settings.SEARCH_CANDIDATES = 1000
    data = api_client.get(PRODUCTS, {"search": "leather"}).json()["data"]
    assert data["count"] == 5
