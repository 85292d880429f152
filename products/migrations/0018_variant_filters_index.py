"""The variants' filter index carries each variant's options (`INCLUDE`, PostgreSQL), so that
`?option=` finds its products from the index alone; built online before the index it replaces
is dropped (not atomic). On MariaDB the new index is the old one again."""

from django.db import migrations, models

from core.migration_operations import AddIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("products", "0017_product_search_document"),
        ("shops", "0005_shop_status_and_ratings"),
    ]

    operations = [
        AddIndexOnline(
            model_name="productvariant",
            index=models.Index(
                fields=["product", "is_active", "price"],
                include=("options",),
                name="variant_product_filters",
            ),
        ),
        RemoveIndexOnline(model_name="productvariant", name="variant_product_price"),
    ]
