"""Every list stays on its indexes as the tables grow (PostgreSQL).

The database is seeded with tens of thousands of products, variants, order groups, orders, ledger
entries, reviews and returns (copies of factory-made rows, made by the database itself), then
analysed. Each list is requested through the whole stack; every SELECT it sent is run again under
`EXPLAIN (ANALYZE, FORMAT JSON)`, and the test fails when a scan of a seeded table reads more than
a tenth of its rows: a sequential scan of the whole table, or an index walked end to end. A scan
that stops early (a count capped by `LIMIT`, a page found on an index) passes.

`bench/growth.py` shows the same lists' timings at a million rows; this test keeps their plans
from sliding back unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderGroup, OrderItem, Return
from payments.models import LedgerEntry
from products.models import Category, Product, ProductVariant
from reviews.models import Review
from tests.factories import (
    CategoryFactory,
    OrderFactory,
    OrderGroupFactory,
    OrderItemFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
)
from users.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]

ROWS = 20_000  # order groups (one order of one line each), customers
PRODUCTS = 60_000  # enough that a full-text match of a rare word is cheaper by its index
SHOPS = 40
CATEGORIES = 20
LEDGER_ROWS = 8_000
# A scan of a seeded table may read at most this share of its rows.
MOST_READ = 0.10


def clone(model: type[Model], template: Model, source: str, **columns: str) -> None:
    """Insert copies of `template`'s row (alias `t`), one per row of `source` (a FROM item whose
    alias the expressions may use); `columns` give the SQL of the columns that must differ, every
    unique one included."""
    fields = model._meta.concrete_fields
    unique = {field.column for field in fields if field.unique}
    assert unique <= set(columns), f"{model.__name__}: give {sorted(unique - set(columns))}"
    assert set(columns) <= {field.column for field in fields}, sorted(columns)
    quote = connection.ops.quote_name
    names = [quote(field.column) for field in fields]
    values = [columns.get(field.column, f"t.{quote(field.column)}") for field in fields]
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM {table} AS t, {source} WHERE t.id = '{template.pk}'"
        )


def pick(ids: list[Any], key: str) -> str:
    """SQL choosing one of `ids` by the integer expression `key`."""
    literal = ",".join(f"'{value}'" for value in ids)
    return f"(ARRAY[{literal}]::uuid[])[1 + ({key}) % {len(ids)}]"


@pytest.fixture
def grown(settings):
    """A marketplace with a history; the exact count stops at 200 so counting stays a bounded
    read (as it does at 10,000 on a table of millions)."""
    settings.PAGINATION_EXACT_COUNT_LIMIT = 200
    shops = [ShopFactory() for _ in range(SHOPS)]
    busiest = shops[0]
    categories = [CategoryFactory() for _ in range(CATEGORIES)]
    customer = UserFactory()
    product = ProductFactory(shop=busiest, name="Template lamp", description="A plain lamp.")
    product.categories.add(categories[0])
    variant = product.variants.get()
    group = OrderGroupFactory(customer=customer)
    order = OrderFactory(group=group, shop=busiest, status=Order.Status.COMPLETED)
    item = OrderItemFactory(order=order, product=product, variant=variant)

    # Customers, then products (a quarter of them the busiest shop's; "lamp" in every other
    # name), one variant each, one category each.
    clone(
        User,
        customer,
        f"generate_series(1, {ROWS}) AS g",
        id="gen_random_uuid()",
        email="'c' || g || '@example.com'",
    )
    customers = list(User.objects.exclude(id=customer.id).values_list("id", flat=True)[:50])
    shop_ids = [shop.id for shop in shops]
    clone(
        Product,
        product,
        f"generate_series(1, {PRODUCTS}) AS g",
        id="gen_random_uuid()",
        slug="'p-' || g",
        name="CASE WHEN g % 2 = 0 THEN 'Desk lamp ' || g ELSE 'Teapot ' || g END",
        shop_id=f"CASE WHEN g % 4 = 0 THEN '{busiest.id}'::uuid ELSE {pick(shop_ids, 'g')} END",
        created_at="t.created_at - g * interval '1 minute'",
        updated_at="t.updated_at - g * interval '1 minute'",
    )
    products = (
        f"(SELECT id, shop_id, slug FROM {Product._meta.db_table} WHERE id <> '{product.id}') AS p"
    )
    clone(
        ProductVariant,
        variant,
        products,
        id="gen_random_uuid()",
        product_id="p.id",
        shop_id="p.shop_id",
        sku="'sku-' || p.slug",
        sku_key="'sku-' || p.slug",
    )
    links = Product.categories.through
    with connection.cursor() as cursor:
        # Every product in one category, one product in 200 in another (300 products: more
        # than the test's list of ids, see below). Each link writes its product's row again (the
        # links' trigger): linked product by product, the rows of each category stay spread
        # through the table, as they are when products are linked as they are created.
        cursor.execute(
            f"INSERT INTO {links._meta.db_table} (product_id, category_id) "
            f"SELECT p.id, c.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS r "
            f"FROM {Product._meta.db_table} WHERE id <> %s) AS p "
            f"JOIN {Category._meta.db_table} AS c "
            f"ON c.id = %s OR (c.id = %s AND p.r %% 200 = 0) ORDER BY p.r, c.id",
            [product.id, categories[1].id, categories[2].id],
        )
    # Order groups (a fifth of them one customer's), one order each (a quarter the busiest
    # shop's), one line each; a ledger of the busiest shop; reviews; returns.
    clone(
        OrderGroup,
        group,
        f"generate_series(1, {ROWS}) AS g",
        id="gen_random_uuid()",
        number="'G' || g",
        customer_id=f"CASE WHEN g % 5 = 0 THEN t.customer_id ELSE {pick(customers, 'g')} END",
        created_at="t.created_at - g * interval '1 minute'",
    )
    groups = (
        f"(SELECT id, created_at, row_number() OVER () AS n FROM {OrderGroup._meta.db_table} "
        f"WHERE id <> '{group.id}') AS grp"
    )
    clone(
        Order,
        order,
        groups,
        id="gen_random_uuid()",
        group_id="grp.id",
        number="'O' || grp.n",
        shop_id=f"CASE WHEN grp.n % 4 = 0 THEN t.shop_id ELSE {pick(shop_ids, 'grp.n')} END",
        created_at="grp.created_at",
    )
    orders = f"(SELECT id FROM {Order._meta.db_table} WHERE id <> '{order.id}') AS o"
    clone(OrderItem, item, orders, id="gen_random_uuid()", order_id="o.id")
    entry = LedgerEntry.objects.create(
        shop=busiest,
        kind=LedgerEntry.Kind.SALE,
        amount=1500,
        order=order,
        key="sale-template",
        available_on=order.created_at,
    )
    clone(
        LedgerEntry,
        entry,
        f"generate_series(1, {LEDGER_ROWS}) AS g",
        id="gen_random_uuid()",
        key="'sale-' || g",
        created_at="t.created_at - g * interval '1 minute'",
    )
    review = Review.objects.create(product=product, author=customer, rating=4, title="Good")
    reviewers = (
        f"(SELECT u.id AS author, p.id AS product, u.n FROM "
        f"(SELECT id, row_number() OVER (ORDER BY id) AS n FROM {User._meta.db_table} "
        f"WHERE id <> '{customer.id}') AS u JOIN "
        f"(SELECT id, row_number() OVER (ORDER BY id) AS n FROM {Product._meta.db_table} "
        f"WHERE id <> '{product.id}') AS p ON p.n = u.n) AS r"
    )
    clone(
        Review,
        review,
        reviewers,
        id="gen_random_uuid()",
        author_id="r.author",
        # A tenth of the reviews are of the template product (the most reviewed).
        product_id="CASE WHEN r.n % 10 = 0 THEN t.product_id ELSE r.product END",
        created_at="t.created_at - r.n * interval '1 minute'",
    )
    returned = Return.objects.create(
        order=order,
        shop=busiest,
        customer=customer,
        reason=Return.Reason.choices[0][0],
        amount=1500,
    )
    some_orders = (
        f"(SELECT o.id, o.shop_id, g.customer_id, o.created_at FROM {Order._meta.db_table} AS o "
        f"JOIN {OrderGroup._meta.db_table} AS g ON g.id = o.group_id "
        f"WHERE o.id <> '{order.id}' AND o.number LIKE '%3') AS o"
    )
    clone(
        Return,
        returned,
        some_orders,
        id="gen_random_uuid()",
        order_id="o.id",
        shop_id="o.shop_id",
        customer_id="o.customer_id",
        created_at="o.created_at",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"busiest": busiest, "customer": customer, "product": product, "categories": categories}


def scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "Relation Name" in node:
        yield node
    for child in node.get("Plans", []):
        yield from scans(child)


def table_rows() -> dict[str, int]:
    models = [
        Product,
        ProductVariant,
        OrderGroup,
        Order,
        OrderItem,
        LedgerEntry,
        Review,
        Return,
        User,
    ]
    with connection.cursor() as cursor:
        sizes = {}
        for model in models:
            cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")
            sizes[model._meta.db_table] = cursor.fetchone()[0]
    return sizes


def wide_scans(sql: str, sizes: dict[str, int]) -> list[str]:
    """The scans of `sql`'s plan that read more than `MOST_READ` of a seeded table."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found = []
    for scan in scans(plan[0]["Plan"]):
        table = scan["Relation Name"]
        if table not in sizes:
            continue
        read = (
            scan.get("Actual Rows", 0)
            + scan.get("Rows Removed by Filter", 0)
            + scan.get("Rows Removed by Index Recheck", 0)
        ) * scan.get("Actual Loops", 1)
        if read > MOST_READ * sizes[table]:
            found.append(f"{scan['Node Type']} on {table}: {read:.0f} of {sizes[table]} rows")
    return found


def test_every_list_reads_a_bounded_part_of_its_tables(
    grown, client_for, admin_client, admin_user, monkeypatch
):
    # Categories of more than 100 products are found through the stored ids (at a million
    # products, from 1,000: `products.selectors.SMALL_CATEGORY`), so that the 300 of one in
    # 200 are; the one product of another is found by its id.
    monkeypatch.setattr("products.selectors.SMALL_CATEGORY", 100)
    admin = admin_client
    busiest, customer, product = grown["busiest"], grown["customer"], grown["product"]
    owner = client_for(busiest.owner)
    public = client_for(UserFactory())
    lists = {
        "products": (public, "/api/v1/products/"),
        "products by category": (
            public,
            f"/api/v1/products/?category={grown['categories'][1].slug}",
        ),
        "products of a category with one product": (
            public,
            f"/api/v1/products/?category={grown['categories'][0].slug}",
        ),
        "products of a category with one product in 200": (
            public,
            f"/api/v1/products/?category={grown['categories'][2].slug}",
        ),
        "products by category, a deep page": (
            public,
            f"/api/v1/products/?category={grown['categories'][1].slug}&page=60",
        ),
        "products of a shop": (public, f"/api/v1/products/?shop={busiest.id}"),
        "products from a price": (public, "/api/v1/products/?min_price=100"),
        "products in stock": (public, "/api/v1/products/?in_stock=true"),
        "products by price": (public, "/api/v1/products/?ordering=price"),
        "products by name": (public, "/api/v1/products/?ordering=name"),
        "products searched": (public, "/api/v1/products/?search=lamp"),
        "products searched, rare": (public, "/api/v1/products/?search=12345"),
        "a shop's catalogue": (owner, f"/api/v1/shops/{busiest.id}/products/"),
        "a shop's catalogue, keyset": (owner, f"/api/v1/shops/{busiest.id}/products/?cursor="),
        "order groups": (client_for(customer), "/api/v1/order-groups/"),
        "order groups, keyset": (client_for(customer), "/api/v1/order-groups/?cursor="),
        "a shop's orders": (owner, f"/api/v1/shops/{busiest.id}/orders/"),
        "a shop's orders by status": (owner, f"/api/v1/shops/{busiest.id}/orders/?ordering=status"),
        "a shop's completed orders": (
            owner,
            f"/api/v1/shops/{busiest.id}/orders/?status=completed",
        ),
        "a shop's ledger": (owner, f"/api/v1/shops/{busiest.id}/ledger/"),
        "a shop's returns": (owner, f"/api/v1/shops/{busiest.id}/returns/"),
        "a customer's returns": (client_for(customer), "/api/v1/returns/"),
        "a product's reviews": (public, f"/api/v1/products/{product.id}/reviews/"),
        "accounts": (client_for(admin_user), "/api/v1/users/"),
        "admin: order groups": (admin, "/admin/orders/ordergroup/"),
        "admin: orders": (admin, "/admin/orders/order/"),
        "admin: products": (admin, "/admin/products/product/"),
        "admin: ledger": (admin, "/admin/payments/ledgerentry/"),
    }
    sizes = table_rows()
    problems = {}
    for name, (client, url) in lists.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.content[:300])
        for query in queries.captured_queries:
            sql = query["sql"]
            if sql.lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in sql.upper():
                found = wide_scans(sql, sizes)
                if found:
                    problems.setdefault(name, []).extend(found)
    assert not problems, json.dumps(problems, indent=1)
