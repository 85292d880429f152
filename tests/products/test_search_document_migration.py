"""The stored search document (PostgreSQL): filled in batches for the products already there,
kept by its trigger for new and renamed ones, and dropped again going back."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from products.models import Product
from products.selectors import product_search
from tests.factories import ProductFactory
from tests.schema import table_columns

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full-text search"),
]

BEFORE = [("products", "0016_product_shop_created_active")]
MIGRATION = importlib.import_module("products.migrations.0017_product_search_document")


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def documents() -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, search_document::text FROM products_product")
        return dict(cursor.fetchall())


def test_the_products_already_there_are_filled_and_new_ones_follow(monkeypatch):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        for n in range(7):
            ProductFactory(name=f"Leather sandal {n}", description=f"Handmade in Kano, size {n}")
        ProductFactory(name="", description="")
        migrate(BEFORE)
        assert "search_document" not in table_columns("products_product")

        monkeypatch.setattr(MIGRATION, "BATCH", 3)  # three batches and an empty one
        migrate(latest)
        filled = documents()
        assert len(filled) == 8 and all(value is not None for value in filled.values())
        assert "'leather':1A" in filled["Leather sandal 4"]
        assert "'kano':6B" in filled["Leather sandal 4"]
        assert filled[""] == ""

        # New and renamed products are kept by the trigger; a search finds them by their index.
        ProductFactory(name="Adire throw", description="Indigo")
        Product.objects.filter(name="Leather sandal 0").update(name="Canvas tote 0")
        found = {p.name for p in product_search(Product.objects.all(), text="indigo tote")}
        assert found == set()  # no product has both words
        assert {p.name for p in product_search(Product.objects.all(), text="indigo")} == {
            "Adire throw"
        }
        assert {p.name for p in product_search(Product.objects.all(), text="tote")} == {
            "Canvas tote 0"
        }
        assert not {p.name for p in product_search(Product.objects.all(), text="sandal 0")}
    finally:
        migrate(latest)
