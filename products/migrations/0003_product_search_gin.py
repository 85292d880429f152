"""GIN index for the products' full-text search, on PostgreSQL only (other engines search with
LIKE and have no such index). The expression matches `products.search.product_search_vector`."""

from django.db import migrations

INDEX_SQL = """
CREATE INDEX IF NOT EXISTS product_search_gin ON products_product USING gin ((
    setweight(to_tsvector('english'::regconfig, COALESCE(name, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'B')
))
"""
DROP_SQL = "DROP INDEX IF EXISTS product_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("products", "0002_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
