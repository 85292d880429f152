"""PostgreSQL: each product carries the ids of its categories (`category_ids`, a `uuid[]` column
the model does not declare), and an index of the active products newest first carries them with
the shop, so that `?category=` reads the pages of a large category, deep ones too, from that
index alone instead of looking every product up in the category links; a GIN index of the ids
finds the products of a smaller one (and `products.selectors.products_in_categories` lists the
product ids of a category of at most a thousand links itself).

Kept by a trigger on the links: each added link appends its category, each removed one removes
it. The change is made to the product row as it is when the trigger runs (a waiting update
applies it to the newest version), so two links added at once to one product both stay. Each
change of a product's links writes its row again: deleting a category rewrites its products.

Safe on a large table in service: the column is added with a constant default (no rewrite), the
trigger keeps every product from then on, the products that have links are filled in batches
(each its own transaction, their rows locked before their links are read, so that a link added
meanwhile is applied after the batch rather than overwritten by it), and the indexes are built
`CONCURRENTLY`. Other databases filter on the links themselves: nothing happens there.
"""

import uuid

from django.db import migrations, transaction

BATCH = 5_000
FORWARDS = [
    # Adding the column takes the table's lock for a moment; waiting behind a long query for it
    # would block every query of the products behind the migration: it fails instead (run it
    # again), after 10 s.
    "SET lock_timeout = '10s'",
    "ALTER TABLE products_product ADD COLUMN IF NOT EXISTS category_ids uuid[] "
    "NOT NULL DEFAULT '{}'",
    "RESET lock_timeout",
    """
    CREATE OR REPLACE FUNCTION products_product_category_ids() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE products_product
            SET category_ids = array_remove(category_ids, OLD.category_id)
            WHERE id = OLD.product_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE products_product
            SET category_ids = array_append(
                array_remove(category_ids, NEW.category_id), NEW.category_id
            )
            WHERE id = NEW.product_id;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS products_product_category_ids ON products_product_categories",
    """
    CREATE TRIGGER products_product_category_ids
    AFTER INSERT OR UPDATE OR DELETE ON products_product_categories
    FOR EACH ROW EXECUTE FUNCTION products_product_category_ids()
    """,
]
NEXT_IDS = (
    "SELECT DISTINCT product_id FROM products_product_categories WHERE product_id > %s "
    "ORDER BY product_id LIMIT %s"
)
LOCK = "SELECT id FROM products_product WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
FILL = """
    UPDATE products_product AS product SET category_ids = ARRAY(
        SELECT link.category_id FROM products_product_categories AS link
        WHERE link.product_id = product.id
    )
    WHERE product.id = ANY(%s)
"""
INDEXES = [
    # A large category's pages, newest first: walked in order, the ids read from the index.
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_active_created_categories "
    "ON products_product (created_at DESC, id DESC) INCLUDE (shop_id, category_ids) "
    "WHERE is_active",
    # A smaller category's products, found directly (then sorted: they are few).
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_active_category_ids "
    "ON products_product USING gin (category_ids) WHERE is_active",
    # The planner's statistics of the new column: how many products each category holds, read
    # from a sample large enough to see a category of one product in ten thousand.
    "ALTER TABLE products_product ALTER COLUMN category_ids SET STATISTICS 1000",
    "ANALYZE products_product",
]
BACKWARDS = [
    "DROP INDEX CONCURRENTLY IF EXISTS product_active_category_ids",
    "DROP INDEX CONCURRENTLY IF EXISTS product_active_created_categories",
    "DROP TRIGGER IF EXISTS products_product_category_ids ON products_product_categories",
    "DROP FUNCTION IF EXISTS products_product_category_ids()",
    "ALTER TABLE products_product DROP COLUMN IF EXISTS category_ids",
]


def store_category_ids(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for statement in FORWARDS:
        schema_editor.execute(statement)
    with connection.cursor() as cursor:
        last = uuid.UUID(int=0)
        while True:  # along the links' product ids: each batch starts where the last one ended
            cursor.execute(NEXT_IDS, [last, BATCH])
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            with transaction.atomic(using=connection.alias):
                cursor.execute(LOCK, [ids])
                cursor.execute(FILL, [ids])  # a new statement: it sees every committed link
            last = ids[-1]
    for statement in INDEXES:
        schema_editor.execute(statement)


def drop_category_ids(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARDS:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("products", "0019_rating_indexes_outside_state")]

    operations = [migrations.RunPython(store_category_ids, drop_category_ids, elidable=False)]
