"""An active product's shop from an index alone, for the public list's filters that reach
products through another table (category links, variants); built online (not atomic)."""

from django.db import migrations, models

from core.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("products", "0013_product_categories_category_index"),
    ]

    operations = [
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["id", "shop"],
                name="product_active_id_shop",
            ),
        ),
    ]
