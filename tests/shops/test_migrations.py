"""The approval migration on a database that holds shops: every existing shop is approved
(v1 behaviour: it keeps selling), with empty rating summaries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("shops", "0004_settlement"), ("products", "0004_category_commission_percent")]
AFTER = [("shops", "0005_shop_status_and_ratings"), ("products", "0005_product_ratings")]


def test_existing_shops_and_products_migrate_approved_and_unrated():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("users", "User").objects.create(email="old@example.com", password="x")
    Shop = old.get_model("shops", "Shop")
    shops = [
        Shop.objects.create(owner_id=user.id, name=f"Old {n}", code=f"OLDCODE{n}", is_active=n == 0)
        for n in range(2)
    ]
    old.get_model("products", "Product").objects.create(
        shop_id=shops[0].id, name="Old lamp", slug="old-lamp", price="10.00"
    )

    executor = MigrationExecutor(connection)  # a fresh graph, as `migrate` would build it
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    migrated = new.get_model("shops", "Shop").objects.order_by("name")
    assert [(s.name, s.status, s.status_note, s.is_active) for s in migrated] == [
        ("Old 0", "approved", "", True),
        ("Old 1", "approved", "", False),
    ]
    assert all((s.rating_count, s.rating_total, s.rating_average) == (0, 0, None) for s in migrated)
    product = new.get_model("products", "Product").objects.get()
    assert (product.rating_count, product.rating_total, product.rating_average) == (0, 0, None)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for other tests
