"""PostgreSQL: the search document of each product is stored (`search_document`, a `tsvector`
column the model does not declare) so that a search neither parses the text of every candidate
again to match it nor to rank it.

Safe on a large table in service: the column is added empty (no rewrite), a trigger fills it for
every new or renamed product from then on, existing rows are filled in batches (each its own
transaction), and its GIN index is built `CONCURRENTLY` before the expression index of 0003 it
replaces is dropped. Other databases search with LIKE: nothing happens there.
"""

import uuid

from django.db import migrations

BATCH = 5_000
DOCUMENT = """
    setweight(to_tsvector('english'::regconfig, COALESCE({row}name, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, COALESCE({row}description, '')), 'B')
"""
FORWARDS = [
    "ALTER TABLE products_product ADD COLUMN IF NOT EXISTS search_document tsvector",
    f"""
    CREATE OR REPLACE FUNCTION products_product_search_document() RETURNS trigger AS $$
    BEGIN
        NEW.search_document := {DOCUMENT.format(row="NEW.")};
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS products_product_search_document ON products_product",
    """
    CREATE TRIGGER products_product_search_document
    BEFORE INSERT OR UPDATE OF name, description ON products_product
    FOR EACH ROW EXECUTE FUNCTION products_product_search_document()
    """,
]
NEXT_IDS = "SELECT id FROM products_product WHERE id > %s ORDER BY id LIMIT %s"
FILL = f"""
    UPDATE products_product SET search_document = {DOCUMENT.format(row="")}
    WHERE id = ANY(%s) AND search_document IS NULL
"""
INDEX = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_search_document "
    "ON products_product USING gin (search_document)",
    "DROP INDEX CONCURRENTLY IF EXISTS product_search_gin",
]
BACKWARDS = [
    f"""
    CREATE INDEX CONCURRENTLY IF NOT EXISTS product_search_gin
    ON products_product USING gin (({DOCUMENT.format(row="")}))
    """,
    "DROP INDEX CONCURRENTLY IF EXISTS product_search_document",
    "DROP TRIGGER IF EXISTS products_product_search_document ON products_product",
    "DROP FUNCTION IF EXISTS products_product_search_document()",
    "ALTER TABLE products_product DROP COLUMN IF EXISTS search_document",
]


def store_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARDS:
        schema_editor.execute(statement)
    with schema_editor.connection.cursor() as cursor:
        last = uuid.UUID(int=0)
        while True:  # along the primary key: each batch starts where the last one ended
            cursor.execute(NEXT_IDS, [last, BATCH])
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            cursor.execute(FILL, [ids])
            last = ids[-1]
    for statement in INDEX:
        schema_editor.execute(statement)


def drop_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARDS:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("products", "0016_product_shop_created_active")]

    operations = [migrations.RunPython(store_documents, drop_documents, elidable=False)]
