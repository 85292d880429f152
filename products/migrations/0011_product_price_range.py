"""The lowest and highest price of each product's active variants, stored on the product for
ordering the catalogue by price: two nullable columns (no table rewrite), filled in batches of
products (each batch its own short transaction, so that checkouts and edits go on meanwhile),
then indexed online for the public list (not atomic: CONCURRENTLY on PostgreSQL)."""

from django.db import migrations, models, transaction
from django.db.models import Max, Min, OuterRef, Subquery

from core.migration_operations import AddIndexOnline

BATCH = 2000


def price_range(ProductVariant, aggregate):
    return Subquery(
        ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by()
        .values("product")
        .annotate(value=aggregate("price"))
        .values("value")
    )


def backfill(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    ProductVariant = apps.get_model("products", "ProductVariant")
    using = schema_editor.connection.alias
    products = Product.objects.using(using)
    last = None
    while True:
        batch = products.order_by("id")
        if last is not None:
            batch = batch.filter(id__gt=last)
        ids = list(batch.values_list("id", flat=True)[:BATCH])
        if not ids:
            return
        with transaction.atomic(using=using):
            products.filter(id__in=ids).update(
                price_min=price_range(ProductVariant, Min),
                price_max=price_range(ProductVariant, Max),
            )
        last = ids[-1]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("products", "0010_catalogue_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="price_max",
            field=models.DecimalField(
                blank=True, decimal_places=2, editable=False, max_digits=12, null=True
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="price_min",
            field=models.DecimalField(
                blank=True, decimal_places=2, editable=False, max_digits=12, null=True
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        AddIndexOnline(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["price_min", "id"],
                name="product_active_price",
            ),
        ),
    ]
