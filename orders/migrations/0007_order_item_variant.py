"""Order items name the variant sold, with snapshots of its SKU and options: for the items of
before variants, their product's default variant."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def items_to_default_variants(apps, schema_editor):
    OrderItem = apps.get_model("orders", "OrderItem")
    ProductVariant = apps.get_model("products", "ProductVariant")
    default = ProductVariant.objects.filter(product_id=OuterRef("product_id"))
    OrderItem.objects.update(
        variant_id=Subquery(default.values("id")[:1]),
        sku=Subquery(default.values("sku")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0006_returns"),
        ("products", "0007_product_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderitem",
            name="variant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="products.productvariant"),
        ),
        migrations.AddField(
            model_name="orderitem",
            name="sku",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="orderitem",
            name="options",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(items_to_default_variants, migrations.RunPython.noop),
    ]
