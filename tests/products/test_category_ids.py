"""Each product's stored category ids (PostgreSQL, products migration 0020): filled for the
products already there, kept by the links' trigger however the links change, two links added
at once both kept."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from products.models import Category, Product
from tests.factories import CategoryFactory, ProductFactory
from tests.schema import table_columns
from tests.threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored ids"),
]

BEFORE = [("products", "0019_rating_indexes_outside_state")]
MIGRATION = importlib.import_module("products.migrations.0020_product_category_ids")


def stored() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, category_ids::text[] FROM products_product")
        return {name: set(ids) for name, ids in cursor.fetchall()}


def linked() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {
        name: set() for name in Product.objects.values_list("name", flat=True)
    }
    for name, category_id in Product.categories.through.objects.values_list(
        "product__name", "category_id"
    ):
        found[name].add(str(category_id))
    return found


def test_the_products_already_there_are_filled(monkeypatch):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        categories = [CategoryFactory() for _ in range(3)]
        for n in range(7):
            ProductFactory(name=f"Linked {n}").categories.set(categories[: 1 + n % 3])
        ProductFactory(name="Unlinked")
        MigrationExecutor(connection).migrate(BEFORE)
        assert "category_ids" not in table_columns("products_product")

        monkeypatch.setattr(MIGRATION, "BATCH", 3)  # three batches and an empty one
        MigrationExecutor(connection).migrate(latest)
        assert stored() == linked()
        assert stored()["Linked 5"] == {str(c.id) for c in categories}
        assert stored()["Unlinked"] == set()
    finally:
        MigrationExecutor(connection).migrate(latest)


def test_the_trigger_follows_every_change_of_the_links():
    shoes, bags, hats = CategoryFactory(), CategoryFactory(), CategoryFactory()
    sandal, tote = ProductFactory(name="Sandal"), ProductFactory(name="Tote")
    sandal.categories.add(shoes, bags)
    tote.categories.set([bags, hats])
    assert stored() == linked()
    sandal.categories.remove(bags)
    tote.categories.set([shoes])
    assert stored() == linked() == {"Sandal": {str(shoes.id)}, "Tote": {str(shoes.id)}}
    Product.categories.through.objects.filter(product=tote).update(category=hats)
    assert stored()["Tote"] == {str(hats.id)}
    sandal.categories.clear()
    Category.objects.filter(pk=hats.pk).delete()  # its links go with it
    assert stored() == linked() == {"Sandal": set(), "Tote": set()}


def test_two_links_added_at_once_to_one_product_are_both_kept():
    product = ProductFactory(name="Lamp")
    categories = [CategoryFactory() for _ in range(6)]
    results = run_together(*(lambda c=c: product.categories.add(c) for c in categories))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert stored() == linked() == {"Lamp": {str(c.id) for c in categories}}
