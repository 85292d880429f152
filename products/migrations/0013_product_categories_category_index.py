"""PostgreSQL: the category links by category then product, so that `?category=` reads the
products of a category from the index alone (the table's own index on `category_id` points at
rows, whose `product_id` would be read from the table). The link table is Django's automatic
one, without `Meta.indexes`: the index is created here by name, CONCURRENTLY (so not atomic).
MariaDB is left as it is: there InnoDB would take such an index over as the foreign key's own,
and then refuse to drop it."""

from django.db import migrations

TABLE = "products_product_categories"
INDEX = "product_category_category_product"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(INDEX)} ON {quote(TABLE)} "
        f"({quote('category_id')}, {quote('product_id')})"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(INDEX)}"
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("products", "0012_variant_fillfactor"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
