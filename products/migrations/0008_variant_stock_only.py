"""Product variants, second step: every movement names its variant, and price and stock live
on the variants only (a migration of its own: PostgreSQL refuses to alter a table in the transaction
that filled it)."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("products", "0007_product_variants"),
    ]

    operations = [
        migrations.AlterField(
            model_name="inventorymovement",
            name="variant",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="movements", to="products.productvariant"),
        ),
        migrations.AddIndex(
            model_name="inventorymovement",
            index=models.Index(fields=["variant", "-created_at"], name="movement_variant_created"),
        ),
        migrations.RemoveConstraint(
            model_name="product",
            name="product_stock_gte_0",
        ),
        migrations.RemoveField(
            model_name="product",
            name="stock",
        ),
        migrations.RemoveConstraint(
            model_name="product",
            name="product_price_gt_0",
        ),
        # (A default only for going back: the columns come back filled, then the data.)
        migrations.AlterField(
            model_name="product",
            name="price",
            field=models.DecimalField(decimal_places=2, default=Decimal("0.01"), max_digits=12),
        ),
        migrations.RemoveIndex(
            model_name="product",
            name="product_price",
        ),
        migrations.RemoveField(
            model_name="product",
            name="price",
        ),
    ]
