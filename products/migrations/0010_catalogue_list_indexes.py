"""Indexes serving each catalogue list's filter and order, built online (CONCURRENTLY on
PostgreSQL, hence not atomic): the public list newest first, by name and by rating (active
products: partial indexes), a shop's catalogue newest first, the variants' conditions of the
catalogue filters, and a search by SKU. The indexes they replace are dropped after their
replacements are built."""

from django.db import migrations, models

from core.migration_operations import AddIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("products", "0009_variant_options_key_500"),
        ("shops", "0005_shop_status_and_ratings"),
    ]

    operations = [
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["-created_at", "-id"],
                name="product_active_created_id",
            ),
        ),
        AddIndexOnline(
            model_name="product",
            index=models.Index(fields=["shop", "-created_at", "-id"], name="product_shop_created"),
        ),
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["name", "id"],
                name="product_active_name",
            ),
        ),
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                models.OrderBy(models.F("rating_average"), nulls_last=True),
                models.OrderBy(models.F("rating_count"), descending=True),
                models.OrderBy(models.F("id")),
                condition=models.Q(("is_active", True)),
                name="product_active_rating",
            ),
        ),
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                models.OrderBy(models.F("rating_average"), nulls_first=True),
                models.OrderBy(models.F("rating_count")),
                models.OrderBy(models.F("id")),
                condition=models.Q(("is_active", True)),
                name="product_active_rating_desc",
            ),
        ),
        AddIndexOnline(
            model_name="productvariant",
            index=models.Index(
                fields=["product", "is_active", "price"], name="variant_product_price"
            ),
        ),
        AddIndexOnline(
            model_name="productvariant",
            index=models.Index(fields=["sku_key"], name="variant_sku_key"),
        ),
        RemoveIndexOnline(model_name="product", name="product_active_created"),
        RemoveIndexOnline(model_name="product", name="product_rating"),
        RemoveIndexOnline(model_name="productvariant", name="variant_product_active"),
    ]
