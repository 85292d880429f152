"""Product variants: every product gets its default variant, holding its price and its stock,
and its inventory history moves with it (each movement names the variant). Going back, a
product's stock is its variants' total and its price their lowest."""

import django.db.models.deletion
import uuid
from django.db import migrations, models
from django.db.models import F, Min, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

BATCH = 1000


def default_variants(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    ProductVariant = apps.get_model("products", "ProductVariant")
    InventoryMovement = apps.get_model("products", "InventoryMovement")
    rows = Product.objects.order_by("id").values_list("id", "shop_id", "slug", "price", "stock")
    batch = []
    for product_id, shop_id, slug, price, stock in rows.iterator(chunk_size=BATCH):
        sku = f"{slug[:50]}-{product_id.hex[:6]}"
        batch.append(
            ProductVariant(
                product_id=product_id,
                shop_id=shop_id,
                sku=sku,
                sku_key=sku.lower(),
                options={},
                options_key="",
                price=price,
                stock=stock,
                is_active=True,
            )
        )
        if len(batch) == BATCH:
            ProductVariant.objects.bulk_create(batch)
            batch = []
    ProductVariant.objects.bulk_create(batch)
    InventoryMovement.objects.update(
        variant_id=Subquery(
            ProductVariant.objects.filter(product_id=OuterRef("product_id")).values("id")[:1]
        )
    )


def product_stock_back(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    ProductVariant = apps.get_model("products", "ProductVariant")
    variants = ProductVariant.objects.filter(product_id=OuterRef("pk")).values("product_id")
    Product.objects.update(
        stock=Coalesce(Subquery(variants.annotate(total=Sum("stock")).values("total")), 0),
        price=Coalesce(Subquery(variants.annotate(low=Min("price")).values("low")), F("price")),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("products", "0006_inventory_reason_return"),
        ("shops", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProductVariant",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("sku", models.CharField(max_length=64)),
                ("sku_key", models.CharField(editable=False, max_length=64)),
                ("options", models.JSONField(blank=True, default=dict)),
                ("options_key", models.CharField(default="", editable=False, max_length=400)),
                ("price", models.DecimalField(decimal_places=2, max_digits=12)),
                ("stock", models.PositiveIntegerField(default=0)),
                ("is_active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("product", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="variants", to="products.product")),
                ("shop", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="shops.shop")),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["product", "is_active"], name="variant_product_active")],
                "constraints": [
                    models.UniqueConstraint(fields=("shop", "sku_key"), name="variant_sku_per_shop_unique"),
                    models.UniqueConstraint(fields=("product", "options_key"), name="variant_options_per_product_unique"),
                    models.CheckConstraint(condition=models.Q(("stock__gte", 0)), name="variant_stock_gte_0"),
                    models.CheckConstraint(condition=models.Q(("price__gt", 0)), name="variant_price_gt_0"),
                ],
            },
        ),
        migrations.AddField(
            model_name="product",
            name="options",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="inventorymovement",
            name="variant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="movements", to="products.productvariant"),
        ),
        migrations.AlterField(
            model_name="inventorymovement",
            name="reason",
            field=models.CharField(choices=[("initial", "Initial"), ("manual_add", "Manual Add"), ("manual_remove", "Manual Remove"), ("manual_set", "Manual Set"), ("checkout", "Checkout"), ("order_cancelled", "Order Cancelled"), ("payment_expired", "Payment Expired"), ("return", "Return"), ("import", "Import")], max_length=20),
        ),
        migrations.RunPython(default_variants, product_stock_back),
    ]
