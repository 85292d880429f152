"""Cart lines name the variant they hold: the default variant of their product."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def lines_to_default_variants(apps, schema_editor):
    CartItem = apps.get_model("carts", "CartItem")
    ProductVariant = apps.get_model("products", "ProductVariant")
    CartItem.objects.update(
        variant_id=Subquery(
            ProductVariant.objects.filter(product_id=OuterRef("product_id")).values("id")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("carts", "0003_wishlistitem"),
        ("products", "0007_product_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartitem",
            name="variant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="products.productvariant"),
        ),
        migrations.RunPython(lines_to_default_variants, migrations.RunPython.noop),
    ]
