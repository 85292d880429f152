"""PostgreSQL: leave a fifth of each page of the variants' table free, so that a stock update
(every checkout) writes the new row version on the same page and, no index holding `stock` or
`updated_at`, touches no index (a HOT update). Pages already full take it as they are rewritten
(by updates moving rows, or a `VACUUM FULL` / `pg_repack` in a quiet hour). Other engines: no-op."""

from django.db import migrations

TABLE = "products_productvariant"


def set_fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(TABLE)
        if value is None:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")
        else:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0011_product_price_range"),
    ]

    operations = [
        migrations.RunPython(set_fillfactor(80), set_fillfactor(None), elidable=False),
    ]
