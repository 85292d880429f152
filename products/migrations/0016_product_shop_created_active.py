"""A shop's catalogue index gains `is_active` (last), so that a deep page finds its ids from
the index alone; built online before the index it replaces is dropped (not atomic)."""

from django.db import migrations, models

from core.migration_operations import AddIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("products", "0015_admin_recent_index"),
    ]

    operations = [
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                fields=["shop", "-created_at", "-id", "is_active"],
                name="product_shop_created_active",
            ),
        ),
        RemoveIndexOnline(model_name="product", name="product_shop_created"),
    ]
