"""The two rating-order indexes of 0010 (`NULLS LAST`/`NULLS FIRST`) stay in PostgreSQL's
database but leave the models' state: SQLite cannot create them, and it rebuilds a table with
every index of the state whenever a later migration alters the table. Nothing changes in any
database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("products", "0018_variant_filters_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="product", name="product_active_rating"),
                migrations.RemoveIndex(model_name="product", name="product_active_rating_desc"),
            ],
            database_operations=[],
        )
    ]
