"""How every list, search and checkout grows with the data: the same requests on a small and a
large database, p50/p95 at each size and the growth factor.

    .venv/bin/python bench/growth.py                  # small and large (6 to 10 minutes)
    .venv/bin/python bench/growth.py --sizes small    # small only (under a minute)
    .venv/bin/python bench/growth.py --large-products 200000 --large-groups 200000
    .venv/bin/python bench/growth.py --help

For each size, in a process of its own (PostgreSQL only):
1. recreates and migrates its database (`<--db-prefix>_<size>`), then seeds it with SQL
   (`INSERT ... SELECT` over `generate_series`, table and column names read from the models'
   `_meta`, every other column given its model default): shops, customers, a category tree,
   products with their variants, category links and initial ledger movements, past order groups
   with their orders, items and events, returns, reviews and the busiest shop's ledger; then
   `VACUUM ANALYZE`. The data is skewed as a marketplace's is: the busiest shop holds 4.5% of
   the products and of the orders (at least twice a shop's average), the busiest customer 2% of
   the order groups, one product has most reviews; a common word is in half the catalogue;
2. serves `core.wsgi` with gunicorn (`--workers` sync workers, DEBUG off, the catalogue cache
   off: `CATALOGUE_CACHE_TIMEOUT=0`) and asks for each request of the table one at a time:
   `--warmup` times, then `--repeat` times (fewer when a request takes more than `--budget`
   seconds in all); deep pages are page 400 (or the last page when there are fewer), deep cursor
   pages the link reached by following `next` from `?cursor=` 400 times;
3. counts the statements of one request of each kind in-process (the whole middleware stack).

Then prints the table (p50/p95 in ms at each size, the growth factor large p50 / small p50, the
statements) and writes it as markdown to `--out`. A request answering anything but 2xx is shown
with its status instead of failing the run. Databases are dropped at the end unless
`--keep-db`; `--reuse-db` keeps a database seeded with the same sizes by an earlier
`--keep-db` run (it is migrated, not seeded again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for `bench.common`

from bench import common

if TYPE_CHECKING:
    import requests
    from django.db.models import Model

SIZES = {
    "small": {"shops": 20, "products": 2_000, "groups": 20_000},
    "large": {"shops": 500, "products": 1_000_000, "groups": 1_000_000},
}
BUSIEST_SHOP_SHARE = 0.045  # of the products and of the order groups, at least 2x the average
BUSIEST_CUSTOMER_SHARE = 0.02  # of the order groups
GROUPS_PER_CUSTOMER = 20  # on average: the number of customers
DEEP_PAGE = 400
CURSOR_STEPS = 400
PAGE_SIZE = 20
COMMON_WORD = "classic"
RARE_INDEX = 1234  # the rare word of products n = 1234 (mod 7919)
ROOT_CATEGORIES = 5
LEAF_CATEGORIES = 35
LIMITED_EDITION = ROOT_CATEGORIES + LEAF_CATEGORIES  # a third category of one product in 10,007
LIMITED_EDITION_EVERY = 10_007

# Words of the names and descriptions (split on spaces); none is the common word.
ADJECTIVES = (
    "sturdy bright compact gentle rustic modern silky royal sunny quiet golden handy crisp "
    "velvet urban breezy cosy bold tidy lucky smooth swift woven polished"
)
NOUNS = (
    "kettle lantern blanket basket sandal jacket teapot notebook scarf mirror pillow backpack "
    "wallet bottle candle apron helmet towel umbrella skillet cushion mug"
)
FILLER = (
    "made for everyday use, easy to clean and built to last; ships from a local seller "
    "with care, and fits well in any home"
)
SYLLABLES = "zor bax kel mip tuv rag fen dox lum pri quo vex nab sil tor gup hiz jor wam yek"


def rare_word(n: int) -> str:
    """The made-up word in the description of product n (as the seed's SQL writes it)."""
    r = n % 7919
    syllables = SYLLABLES.split()
    return syllables[r // 400] + syllables[(r // 20) % 20] + syllables[r % 20]


def uid(tag: str, *parts: int) -> uuid.UUID:
    """The seed's id of row `parts` of kind `tag`: SQL `md5('tag:a:b')::uuid`."""
    return uuid.UUID(hashlib.md5(":".join([tag, *map(str, parts)]).encode()).hexdigest())


# --- Command line -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgresql"], default="postgresql")
    parser.add_argument("--sizes", default="small,large", help="comma-separated: small, large")
    parser.add_argument("--db-prefix", default="mkt_growth", help="databases <prefix>_<size>")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="cache and broker")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    for size, figures in SIZES.items():
        for key, value in figures.items():
            parser.add_argument(f"--{size}-{key}", type=int, default=value)
    parser.add_argument("--repeat", type=int, default=25, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests before")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds of timed requests of one kind, at most"
    )
    parser.add_argument("--out", type=Path, help="also write the table (markdown) to this file")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the databases after")
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep a database seeded with the same sizes"
    )
    parser.add_argument("--run-size", help=argparse.SUPPRESS)  # one size, in a child process
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.size_list = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = set(args.size_list) - set(SIZES)
    if unknown or not args.size_list:
        parser.error(f"--sizes: among {', '.join(SIZES)}")
    for size in args.size_list:
        if getattr(args, f"{size}_shops") < 4 or getattr(args, f"{size}_products") < 100:
            parser.error(f"--{size}-shops must be >= 4 and --{size}-products >= 100")
    return args


@dataclass
class Size:
    name: str
    shops: int
    products: int
    groups: int

    @property
    def customers(self) -> int:
        return max(self.groups // GROUPS_PER_CUSTOMER, 100)

    @property
    def busy_permyriad(self) -> int:
        """The busiest shop's share of products and groups, per 10,000."""
        return round(10_000 * max(BUSIEST_SHOP_SHARE, 2 / (self.shops + 1)))

    @property
    def top_reviews(self) -> int:
        """The reviews of the most-reviewed product (by as many customers)."""
        return min(self.customers - 1, max(100, self.groups // 500))

    def marker(self) -> str:
        return f"{self.shops}/{self.products}/{self.groups}"


def size_of(args: argparse.Namespace, name: str) -> Size:
    return Size(name, *(getattr(args, f"{name}_{key}") for key in ("shops", "products", "groups")))


# --- Seed: SQL from the models' metadata -------------------------------------------------------


def h(expr: str, salt: int) -> str:
    """A well-spread non-negative hash (0 .. 2^32-1) of an integer SQL expression."""
    return f"(hashint8(({expr})::bigint * 1000003 + {salt})::bigint + 2147483648)"


def idsql(tag: str, *parts: str) -> str:
    """SQL of `uid(tag, *parts)` where `parts` are integer SQL expressions."""
    joined = " || ':' || ".join(f"({p})::text" for p in parts)
    return f"md5('{tag}:' || {joined})::uuid"


def words_sql(words: list[str] | tuple[str, ...], index: str) -> str:
    array = ", ".join(f"'{w}'" for w in words)
    return f"(ARRAY[{array}])[1 + ({index})]"


def product_name_sql(n: str) -> str:
    """`Classic ` (a quarter of them), an adjective, a noun and the number: unique per shop."""
    adjectives, nouns = ADJECTIVES.split(), NOUNS.split()
    adjective = words_sql(adjectives, f"mod({h(n, 1)}, {len(adjectives)})")
    noun = words_sql(nouns, f"mod({h(n, 2)}, {len(nouns)})")
    return (
        f"(CASE WHEN mod({n}, 4) = 0 THEN 'Classic ' ELSE '' END || initcap({adjective}) || ' ' "
        f"|| initcap({noun}) || ' ' || ({n})::text)"
    )


def product_sql_parts(n: str) -> dict[str, str]:
    r = f"mod({n}, 7919)"
    rare = " || ".join(
        words_sql(SYLLABLES.split(), index)
        for index in (f"{r} / 400", f"mod({r} / 20, 20)", f"mod({r}, 20)")
    )
    return {
        "name": product_name_sql(n),
        "description": (
            f"(CASE WHEN mod({n}, 4) = 1 THEN 'A {COMMON_WORD} piece, ' ELSE 'A piece ' END "
            f"|| '{FILLER}. Known as ' || {rare} || '.')"
        ),
        "price": f"round((100 + mod({h(n, 3)}, 499900)) / 100.0, 2)",
        "stock": f"(CASE WHEN mod({n}, 10) = 7 THEN 0 ELSE {common.PLENTY} END)",
        # A tenth have a Size option: S, M, L (half of them) or M, L; M is the variant ordered.
        "has_options": f"(mod({n}, 10) = 3)",
        "variant_j": f"(CASE WHEN mod({n}, 10) = 3 THEN 1 ELSE 0 END)",
    }


class Seeder:
    """Writes rows with `INSERT INTO <table> (<columns>) SELECT <expressions> FROM <source>`."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.cursor = connection.cursor()
        self.rows: dict[str, int] = {}

    def execute(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
        self.cursor.execute(sql, params or None)

    def table(self, model: type[Model]) -> str:
        return self.connection.ops.quote_name(model._meta.db_table)

    def column(self, model: type[Model], name: str) -> str:
        return self.connection.ops.quote_name(model._meta.get_field(name).column)

    def insert(
        self,
        model: type[Model],
        values: dict[str, str],
        source: str,
        optional: dict[str, str] | None = None,
    ) -> int:
        """`values`: SQL expressions by field name; `optional`: the same for fields the model
        may not have (yet). Every other column gets its field's default (a parameter), or NULL
        when nullable; a NOT NULL column with neither stops the seed (a new column the seed must
        learn about)."""
        from django.db import models

        names = {name for f in model._meta.concrete_fields for name in (f.name, f.attname)}
        values = {**{k: v for k, v in (optional or {}).items() if k in names}, **values}
        columns, expressions, params = [], [], []
        for field in model._meta.concrete_fields:
            if field.name in values or field.attname in values:
                expression = values.get(field.name, values.get(field.attname))
            elif (
                isinstance(field, models.AutoField | models.BigAutoField)
                or field.db_default is not models.NOT_PROVIDED
            ):
                continue
            elif field.has_default() or (field.blank and field.empty_strings_allowed):
                expression = "%s"  # the default, or the empty string of a blank text field
                params.append(field.get_db_prep_save(field.get_default(), self.connection))
            elif field.null:
                continue
            else:
                raise SystemExit(
                    f"{model.__name__}.{field.name} is NOT NULL without a default: "
                    "bench/growth.py must give it a value"
                )
            columns.append(self.connection.ops.quote_name(field.column))
            expressions.append(expression)
        unknown = set(values) - names
        if unknown:
            raise SystemExit(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
        self.cursor.execute(
            f"INSERT INTO {self.table(model)} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {source}",
            params or None,
        )
        count = self.cursor.rowcount
        self.rows[model._meta.label] = self.rows.get(model._meta.label, 0) + count
        return count

    def secondary_indexes(self, models_: list[type[Model]]) -> list[tuple[str, str]]:
        """(name, definition) of the indexes of these tables that back no constraint."""
        tables = [m._meta.db_table for m in models_]
        self.cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [tables],
        )
        return list(self.cursor.fetchall())


class Phases:
    """Prints each phase with the seconds it took."""

    def __init__(self, size: str) -> None:
        self.size = size
        self.started = time.monotonic()

    def run(self, label: str, action: Any, *args: Any) -> Any:
        begun = time.monotonic()
        result = action(*args)
        print(
            f"  [{self.size}] {label}: {time.monotonic() - begun:.1f} s "
            f"(total {time.monotonic() - self.started:.0f} s)",
            flush=True,
        )
        return result


def seed(size: Size, password: str) -> dict[str, int]:
    """Everything but the checkout buyers, in SQL; returns the rows written by model."""
    from orders.models import (
        Order,
        OrderEvent,
        OrderGroup,
        OrderItem,
        Return,
        ReturnEvent,
        ReturnItem,
    )
    from payments.models import LedgerEntry
    from products.models import Category, InventoryMovement, Product, ProductVariant
    from reviews.models import Review
    from shops.models import Shop
    from users.models import User

    s = Seeder()
    phases = Phases(size.name)
    links = Product.categories.through
    big = [User, Product, ProductVariant, links, InventoryMovement, OrderGroup, Order, OrderItem,
           OrderEvent, Return, ReturnItem, ReturnEvent, LedgerEntry, Review]  # fmt: skip
    s.execute("SET session_replication_role = replica")  # no FK triggers: the ids are computed
    s.execute("SET maintenance_work_mem = '256MB'")
    s.execute("SET synchronous_commit = off")
    s.execute("SELECT setseed(0.42)")
    indexes = s.secondary_indexes(big)
    for name, _ in indexes:
        s.execute(f"DROP INDEX {s.connection.ops.quote_name(name)}")

    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    product_step = 20.0  # seconds between two products
    group_step = 15.0
    t_products = end - timedelta(seconds=product_step * size.products)
    t_groups = end - timedelta(seconds=group_step * size.groups)
    t_users = t_groups - timedelta(days=30)

    def ts(start: datetime, n: str, step: float) -> str:
        return f"(timestamptz '{start.isoformat()}' + ({n}) * interval '{step} seconds')"

    # Users: owners (0 .. shops-1) and customers (0 .. customers-1), one password hash.
    pw = password.replace("'", "''")

    def users() -> None:
        for tag, count, email in (
            ("owner", size.shops, "'owner' || n || '@growth.test'"),
            ("customer", size.customers, "'customer' || n || '@growth.test'"),
        ):
            s.insert(
                User,
                {
                    "id": idsql(tag, "n"),
                    "email": email,
                    "password": f"'{pw}'",
                    "first_name": "'Growth'",
                    "last_name": f"'{tag.title()} ' || n",
                    "is_email_verified": "true",
                    "date_joined": ts(t_users, "n", 1.0 if tag == "owner" else 0.001),
                },
                f"generate_series(0, {count - 1}) AS n",
            )

    def shops() -> None:
        s.insert(
            Shop,
            {
                "id": idsql("shop", "n"),
                "owner": idsql("owner", "n"),
                "name": "'Growth shop ' || n",
                "description": "'Seeded for the growth benchmark.'",
                "delivery_fee": "0",
                "code": "upper(substr(md5('code:' || n), 1, 8))",
                "created_at": ts(t_users, "n", 60),
                "updated_at": ts(t_users, "n", 60),
            },
            f"generate_series(0, {size.shops - 1}) AS n",
        )

    def categories() -> None:
        Category.objects.bulk_create(
            Category(id=uid("category", n), name=f"Department {n}", slug=f"department-{n}")
            for n in range(ROOT_CATEGORIES)
        )
        Category.objects.bulk_create(
            Category(
                id=uid("category", n),
                name=f"Aisle {n}",
                slug=f"aisle-{n}",
                parent_id=uid("category", (n - ROOT_CATEGORIES) % ROOT_CATEGORIES),
            )
            for n in range(ROOT_CATEGORIES, ROOT_CATEGORIES + LEAF_CATEGORIES)
        )
        Category.objects.create(
            id=uid("category", LIMITED_EDITION), name="Limited edition", slug="limited-edition"
        )

    # Products: n -> its shop, and its rank k in the shop (for order items).
    shop_of = (
        f"(CASE WHEN mod({h('n', 4)}, 10000) < {size.busy_permyriad} THEN 0 "
        f"ELSE 1 + mod({h('n', 5)}, {size.shops - 1}) END)"
    )

    def product_map() -> None:
        s.execute(
            "CREATE TEMP TABLE growth_product AS SELECT n, shop, "
            "(row_number() OVER (PARTITION BY shop ORDER BY n) - 1)::int AS k "
            f"FROM (SELECT n, {shop_of} AS shop FROM generate_series(0, {size.products - 1}) "
            "AS n) AS p"
        )
        s.execute("CREATE INDEX ON growth_product (shop, k)")
        s.execute(
            "CREATE TEMP TABLE growth_shop AS SELECT shop, count(*)::int AS products "
            "FROM growth_product GROUP BY shop"
        )
        s.execute("ANALYZE growth_product")
        s.execute("ANALYZE growth_shop")

    p = product_sql_parts("n")
    created = ts(t_products, "n", product_step)

    def products() -> None:
        s.insert(
            Product,
            {
                "id": idsql("product", "n"),
                "shop": idsql("shop", "shop"),
                "name": p["name"],
                "slug": f"lower(replace({p['name']}, ' ', '-'))",
                "description": p["description"],
                "options": (
                    "(CASE WHEN mod(n, 20) = 3 THEN "
                    """'[{"name": "Size", "values": ["S", "M", "L"]}]' """
                    "WHEN mod(n, 20) = 13 THEN "
                    """'[{"name": "Size", "values": ["M", "L"]}]' """
                    "ELSE '[]' END)::jsonb"
                ),
                "is_active": "(mod(n, 50) <> 49)",
                "created_at": created,
                "updated_at": created,
            },
            "growth_product",
            optional={  # the active variants' lowest and highest price, where they are stored
                "price_min": f"{p['price']} + (mod(n, 20) = 13)::int",
                "price_max": f"{p['price']} + 2 * {p['has_options']}::int",
            },
        )

    def variants() -> None:
        s.insert(
            ProductVariant,
            {
                "id": idsql("variant", "n", "0"),
                "product": idsql("product", "n"),
                "shop": idsql("shop", "shop"),
                "sku": "'G' || n",
                "sku_key": "'g' || n",
                "options": "'{}'::jsonb",
                "options_key": "''",
                "price": p["price"],
                "stock": p["stock"],
                "is_active": "true",
                "created_at": created,
                "updated_at": created,
            },
            f"growth_product WHERE NOT {p['has_options']}",
        )
        s.insert(
            ProductVariant,
            {
                "id": idsql("variant", "n", "j"),
                "product": idsql("product", "n"),
                "shop": idsql("shop", "shop"),
                "sku": "'G' || n || '-' || v.size",
                "sku_key": "'g' || n || '-' || lower(v.size)",
                "options": """('{"Size": "' || v.size || '"}')::jsonb""",
                "options_key": "'Size=' || v.size",
                "price": f"{p['price']} + j",
                "stock": p["stock"],
                "is_active": "true",
                "created_at": f"{created} + j * interval '1 millisecond'",
                "updated_at": created,
            },
            "growth_product CROSS JOIN (VALUES (0, 'S'), (1, 'M'), (2, 'L')) AS v (j, size) "
            f"WHERE {p['has_options']} AND (mod(n, 20) = 3 OR v.size <> 'S')",
        )

    def movements() -> None:
        v = s.table(ProductVariant)
        s.insert(
            InventoryMovement,
            {
                "id": "md5('movement:' || v.id::text)::uuid",
                "product": "v.product_id",
                "variant": "v.id",
                "delta": "v.stock",
                "reason": "'initial'",
                "stock_after": "v.stock",
                "created_at": "v.created_at",
            },
            f"{v} AS v WHERE v.stock > 0",
        )

    def category_links() -> None:
        leaf = f"({ROOT_CATEGORIES} + mod({h('n', 6)}, {LEAF_CATEGORIES}))"
        root = f"mod({leaf} - {ROOT_CATEGORIES}, {ROOT_CATEGORIES})"
        s.insert(
            links,
            {
                "product": idsql("product", "n"),
                "category": f"md5('category:' || (CASE WHEN c = 0 THEN {leaf} ELSE {root} END)"
                "::text)::uuid",
            },
            "growth_product CROSS JOIN (VALUES (0), (1)) AS c (c)",
        )
        s.insert(
            links,
            {"product": idsql("product", "n"), "category": f"'{uid('category', LIMITED_EDITION)}'"},
            f"growth_product WHERE mod(n, {LIMITED_EDITION_EVERY}) = 0",
        )

    # Order groups: g -> its customer, its orders j (one a shop), each with m items of price u.
    customer_of = (
        f"(CASE WHEN mod({h('g', 11)}, 10000) < {round(BUSIEST_CUSTOMER_SHARE * 10000)} THEN 0 "
        f"ELSE 1 + mod({h('g', 12)}, {size.customers - 1}) END)"
    )
    recent = int(size.groups * 0.99)
    status_of = (
        f"(CASE WHEN g >= {recent} THEN (ARRAY['pending', 'processing', 'shipped'])"
        f"[1 + mod({h('g', 13)}, 3)] WHEN mod({h('g', 14)}, 20) = 0 THEN 'cancelled' "
        "ELSE 'completed' END)"
    )

    def order_map() -> None:
        s.execute(
            "CREATE TEMP TABLE growth_order AS SELECT g, j, customer, status, m, u, "
            "(CASE WHEN j = 0 AND busy THEN 0 "
            f"ELSE 1 + mod(spread + j, {size.shops - 1}) END) AS shop, k "
            f"FROM (SELECT g, {customer_of} AS customer, {status_of} AS status, "
            f"1 + (mod({h('g', 15)}, 10) = 0)::int + (mod({h('g', 16)}, 50) = 0)::int AS k, "
            f"1 + (mod({h('g', 17)}, 3) = 0)::int AS m, "
            f"round((500 + mod({h('g', 18)}, 99500)) / 100.0, 2) AS u, "
            f"mod({h('g', 19)}, 10000) < {size.busy_permyriad} AS busy, "
            f"{h('g', 20)} AS spread "
            f"FROM generate_series(0, {size.groups - 1}) AS g) AS o "
            "CROSS JOIN generate_series(0, 2) AS j WHERE j < k"
        )
        s.execute("ANALYZE growth_order")

    g_created = ts(t_groups, "g", group_step)
    o_created = f"({g_created} + j * interval '1 millisecond')"
    group_status = (
        "(CASE status WHEN 'completed' THEN 'fulfilled' WHEN 'shipped' THEN 'processing' "
        "ELSE status END)"
    )

    def groups() -> None:
        s.insert(
            OrderGroup,
            {
                "id": idsql("group", "g"),
                "number": "'MKT-G' || lpad(g::text, 8, '0')",
                "customer": idsql("customer", "customer"),
                "customer_name": "'Growth Customer ' || customer",
                "customer_email": "'customer' || customer || '@growth.test'",
                "status": group_status,
                "payment_method": "'cash'",
                "payment_status": "(CASE status WHEN 'completed' THEN 'paid' ELSE 'unpaid' END)",
                "fulfillment_method": "'pickup'",
                "currency": "'NGN'",
                "subtotal": "k * m * u",
                "delivery_fee": "0",
                "total": "k * m * u",
                "paid_at": f"(CASE status WHEN 'completed' THEN {g_created} + interval '2 days' "
                "END)",
                "created_at": g_created,
                "updated_at": g_created,
            },
            "growth_order WHERE j = 0",
        )

    # The lifecycle's place of an order's status, where it is stored (`?ordering=status`).
    ranks = " ".join(f"WHEN '{v}' THEN {n}" for n, v in enumerate(Order.Status.values))
    status_rank = f"(CASE status {ranks} END)"

    def orders() -> None:
        s.insert(
            Order,
            {
                "id": idsql("order", "g", "j"),
                "group": idsql("group", "g"),
                "number": "'MKT-G' || lpad(g::text, 8, '0') || '-' || (j + 1)",
                "shop": idsql("shop", "shop"),
                "status": "status",
                "subtotal": "m * u",
                "delivery_fee": "0",
                "total": "m * u",
                "is_paid": "(status = 'completed')",
                "cash_collected": "(status = 'completed')",
                "commission_total": "round(m * u / 10, 2)",
                "completed_at": f"(CASE status WHEN 'completed' THEN {o_created} "
                "+ interval '2 days' END)",
                "created_at": o_created,
                "updated_at": o_created,
            },
            "growth_order",
            optional={"status_rank": status_rank},
        )

    def items() -> None:
        item = product_sql_parts("gp.n")
        s.insert(
            OrderItem,
            {
                "id": idsql("item", "o.g", "o.j", "i"),
                "order": idsql("order", "o.g", "o.j"),
                "product": idsql("product", "gp.n"),
                "variant": idsql("variant", "gp.n", item["variant_j"]),
                "product_name": item["name"],
                "sku": f"'G' || gp.n || (CASE WHEN {item['has_options']} THEN '-M' ELSE '' END)",
                "options": f"""(CASE WHEN {item["has_options"]} THEN '{{"Size": "M"}}' """
                "ELSE '{}' END)::jsonb",
                "unit_price": "o.u",
                "quantity": "1",
                "line_total": "o.u",
                "commission_rate": "10",
                "commission_amount": "round(o.u / 10, 2)",
            },
            "growth_order AS o CROSS JOIN generate_series(0, 2) AS i "
            "JOIN growth_shop AS gs ON gs.shop = o.shop "
            f"JOIN growth_product AS gp ON gp.shop = o.shop "
            f"AND gp.k = mod({h('o.g * 3 + o.j', 21)} + i, gs.products) WHERE i < o.m",
        )

    def events() -> None:
        s.insert(
            OrderEvent,
            {
                "id": idsql("event", "g", "j"),
                "order": idsql("order", "g", "j"),
                "status": "status",
                "note": "'Seeded.'",
                "created_at": o_created,
            },
            "growth_order",
        )

    returned = f"status = 'completed' AND mod({h('g * 3 + j', 22)}, 50) = 0"
    r_status = "(CASE WHEN mod(g, 3) = 0 THEN 'rejected' ELSE 'requested' END)"
    r_created = f"({o_created} + interval '3 days')"

    def returns() -> None:
        s.insert(
            Return,
            {
                "id": idsql("return", "g", "j"),
                "order": idsql("order", "g", "j"),
                "shop": idsql("shop", "shop"),
                "customer": idsql("customer", "customer"),
                "status": r_status,
                "reason": "'damaged'",
                "note": "'Seeded.'",
                "amount": "u",
                "created_at": r_created,
                "updated_at": r_created,
            },
            f"growth_order WHERE {returned}",
        )
        s.insert(
            ReturnItem,
            {
                "id": idsql("return-item", "g", "j"),
                "return_request": idsql("return", "g", "j"),
                "order_item": idsql("item", "g", "j", "0"),
                "quantity": "1",
                "amount": "u",
            },
            f"growth_order WHERE {returned}",
        )
        s.insert(
            ReturnEvent,
            {
                "id": idsql("return-event", "g", "j"),
                "return_request": idsql("return", "g", "j"),
                "status": "'requested'",
                "note": "'Seeded.'",
                "created_at": r_created,
            },
            f"growth_order WHERE {returned}",
        )

    def ledger() -> None:
        completed = f"({o_created} + interval '2 days')"
        s.insert(
            LedgerEntry,
            {
                "id": idsql("ledger", "g", "j", "e"),
                "shop": idsql("shop", "shop"),
                "kind": "(CASE e WHEN 0 THEN 'sale' ELSE 'commission' END)",
                "amount": "(CASE e WHEN 0 THEN m * u ELSE -round(m * u / 10, 2) END)",
                "order": idsql("order", "g", "j"),
                "note": "''",
                "key": "(CASE e WHEN 0 THEN 'sale:' ELSE 'commission:' END) || "
                + idsql("order", "g", "j")
                + "::text",
                "available_on": f"{completed} + interval '7 days'",
                "created_at": f"{completed} + e * interval '1 millisecond'",
            },
            "growth_order CROSS JOIN (VALUES (0), (1)) AS x (e) "
            "WHERE shop = 0 AND status = 'completed'",
        )

    def reviews() -> None:
        review_created = ts(t_groups, "r", 7.0)
        rating = f"(1 + mod({h('r', 23)}, 5))"
        # The most-reviewed product (product 0) by customers 1..top; one review of 5% of the others.
        s.insert(
            Review,
            {
                "id": idsql("review", "r"),
                "product": idsql("product", "0"),
                "author": idsql("customer", "r"),
                "rating": rating,
                "title": "'Seeded review'",
                "body": f"'Seeded: {FILLER}.'",
                "is_visible": "true",
                "created_at": review_created,
                "updated_at": review_created,
            },
            f"generate_series(1, {size.top_reviews}) AS r",
        )
        s.insert(
            Review,
            {
                "id": idsql("review", "r"),
                "product": idsql("product", "n"),
                "author": idsql("customer", f"1 + mod({h('n', 24)}, {size.customers - 1})"),
                "rating": rating,
                "title": "'Seeded review'",
                "body": f"'Seeded: {FILLER}.'",
                "is_visible": "true",
                "created_at": review_created,
                "updated_at": review_created,
            },
            f"(SELECT n, {size.top_reviews} + n AS r FROM growth_product "
            f"WHERE n > 0 AND mod({h('n', 25)}, 20) = 0) AS reviewed",
        )
        product, review = s.table(Product), s.table(Review)
        s.execute(
            f"UPDATE {product} SET rating_count = r.c, rating_total = r.t, "
            "rating_average = round(r.t::numeric / r.c, 1) "
            f"FROM (SELECT product_id, count(*) AS c, sum(rating) AS t FROM {review} "
            f"GROUP BY product_id) AS r WHERE {product}.id = r.product_id"
        )

    def product_columns() -> set[str]:
        from django.db import connection

        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, Product._meta.db_table)
        return {column.name for column in columns}

    def search_documents() -> None:
        # The seed runs without triggers (`replica`); the one that stores each product's search
        # document (products migration 0017) is run for every product here, as an insert would.
        if "search_document" not in product_columns():
            return  # a tree from before the stored documents
        s.execute("SET session_replication_role = origin")
        s.execute(f"UPDATE {s.table(Product)} SET name = name WHERE search_document IS NULL")
        s.execute("SET session_replication_role = replica")

    def category_ids() -> None:
        # What the links' trigger (products migration 0020) stores in each product, for all the
        # links inserted above without it.
        if "category_ids" not in product_columns():
            return  # a tree from before the stored category ids
        product, link = s.table(Product), s.table(links)
        s.execute(
            f"UPDATE {product} SET category_ids = l.ids FROM (SELECT product_id, "
            f"array_agg(category_id) AS ids FROM {link} GROUP BY product_id) AS l "
            f"WHERE {product}.id = l.product_id"
        )

    def rebuild() -> None:
        for _, definition in indexes:
            s.execute(definition)

    phases.run(f"users ({size.shops} owners, {size.customers} customers)", users)
    phases.run(f"shops ({size.shops}) and categories", lambda: (shops(), categories()))
    phases.run("product map", product_map)
    phases.run(f"products ({size.products})", products)
    phases.run("variants", variants)
    phases.run("inventory movements", movements)
    phases.run("category links", category_links)
    phases.run("order map", order_map)
    phases.run(f"order groups ({size.groups})", groups)
    phases.run("orders", orders)
    phases.run("order items", items)
    phases.run("order events", events)
    phases.run("returns", returns)
    phases.run("ledger of the busiest shop", ledger)
    phases.run("reviews", reviews)
    phases.run("search documents", search_documents)
    phases.run("category ids", category_ids)
    phases.run(f"indexes ({len(indexes)} rebuilt)", rebuild)
    s.execute("SET session_replication_role = origin")
    s.execute("DROP TABLE growth_product, growth_shop, growth_order")
    phases.run("VACUUM ANALYZE", s.execute, "VACUUM ANALYZE")
    s.execute("CREATE TABLE growth_seed (sizes text)")
    s.execute("INSERT INTO growth_seed VALUES (%s)", [size.marker()])
    s.cursor.close()
    return s.rows


def seeded_marker() -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('growth_seed') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT sizes FROM growth_seed")
        row = cursor.fetchone()
        return row[0] if row else None


@dataclass
class Actors:
    shop_id: str
    owner: str  # tokens
    customer: str
    admin_email: str
    buyers: list[str]  # a one-line cart each
    product_id: str  # the most-reviewed


def seed_actors(size: Size, count: int, password: str) -> Actors:
    """The admin and the checkout buyers (ORM), and the tokens of the busiest shop's owner and
    the busiest customer."""
    from django.db import transaction

    from carts.models import Cart, CartItem
    from products.models import ProductVariant
    from users.models import User

    email = "admin@growth.test"
    with transaction.atomic():
        run = int(time.time())  # buyers of an earlier run (`--reuse-db`) have orders: kept
        admin = User.objects.filter(email=email).first()
        if admin is None:
            User.objects.create_superuser(email, common.PASSWORD)
        buyers = User.objects.bulk_create(
            User(
                email=f"buyer{n}.{run}@growth.test",
                password=password,
                is_email_verified=True,
                first_name="Growth",
                last_name=f"Buyer {n}",
            )
            for n in range(count)
        )
        busiest = uid("shop", 0)
        lines = list(
            ProductVariant.objects.filter(product__is_active=True, stock__gt=1000, options_key="")
            .exclude(shop_id=busiest)
            .values_list("product_id", "id")[: count * 3]
        )
        carts = Cart.objects.bulk_create(Cart(user=b) for b in buyers)
        CartItem.objects.bulk_create(
            CartItem(cart=cart, product_id=lines[n][0], variant_id=lines[n][1], quantity=1)
            for n, cart in enumerate(carts)
        )
    owner = User.objects.get(id=uid("owner", 0))
    customer = User.objects.get(id=uid("customer", 0))
    tokens = common.access_tokens([owner, customer, *buyers])
    return Actors(
        shop_id=str(busiest),
        owner=tokens[0],
        customer=tokens[1],
        admin_email=email,
        buyers=tokens[2:],
        product_id=str(uid("product", 0)),
    )


# --- Requests -----------------------------------------------------------------------------------


@dataclass
class Probe:
    key: str
    label: str
    path: str  # "" for checkout
    who: str  # anonymous, customer, owner, admin (a session)
    deep: str = ""  # "page": page 400 or the last one; "cursor": 400 `next` links from ?cursor=


def probes(actors: Actors) -> list[Probe]:
    shop = f"/api/v1/shops/{actors.shop_id}"
    products = "/api/v1/products/"
    category = f"{products}?category=department-0"
    return [
        Probe("list", "product list, page 1", products, "customer"),
        Probe("category", "`?category=` page 1", category, "customer"),
        Probe(
            "category-small",
            "`?category=` a small category (one product in 10,007)",
            f"{products}?category=limited-edition",
            "customer",
        ),
        Probe("category-deep", "`?category=` page 400", category, "customer", "page"),
        Probe(
            "category-cursor",
            "`?category=` cursor, 400 pages deep",
            category,
            "customer",
            "cursor",
        ),
        Probe("min-price", "`?min_price=` page 1", f"{products}?min_price=2500", "customer"),
        Probe("in-stock", "`?in_stock=true` page 1", f"{products}?in_stock=true", "customer"),
        Probe("by-price", "`?ordering=price` page 1", f"{products}?ordering=price", "customer"),
        Probe("option", "`?option=Size:M` page 1", f"{products}?option=Size:M", "customer"),
        Probe(
            "search-common",
            f"`?search={COMMON_WORD}` (half the catalogue)",
            f"{products}?search={COMMON_WORD}",
            "customer",
        ),
        Probe(
            "search-rare",
            "`?search=` a rare word",
            f"{products}?search={rare_word(RARE_INDEX)}",
            "customer",
        ),
        Probe("shop-catalogue", "shop catalogue (owner) page 1", f"{shop}/products/", "owner"),
        Probe(
            "shop-catalogue-deep",
            "shop catalogue (owner) page 400",
            f"{shop}/products/",
            "owner",
            "page",
        ),
        Probe(
            "shop-catalogue-cursor",
            "shop catalogue (owner) cursor, 400 pages deep",
            f"{shop}/products/",
            "owner",
            "cursor",
        ),
        Probe("shop-orders", "shop orders page 1", f"{shop}/orders/", "owner"),
        Probe(
            "shop-orders-status",
            "shop orders `?ordering=status` page 1",
            f"{shop}/orders/?ordering=status",
            "owner",
        ),
        Probe("shop-orders-deep", "shop orders page 400", f"{shop}/orders/", "owner", "page"),
        Probe(
            "shop-orders-cursor",
            "shop orders cursor, 400 pages deep",
            f"{shop}/orders/",
            "owner",
            "cursor",
        ),
        Probe("groups", "customer's order groups page 1", "/api/v1/order-groups/", "customer"),
        Probe(
            "groups-deep",
            "customer's order groups page 400",
            "/api/v1/order-groups/",
            "customer",
            "page",
        ),
        Probe(
            "groups-cursor",
            "customer's order groups cursor, 400 pages deep",
            "/api/v1/order-groups/",
            "customer",
            "cursor",
        ),
        Probe("ledger", "shop ledger page 1", f"{shop}/ledger/", "owner"),
        Probe("ledger-deep", "shop ledger page 400", f"{shop}/ledger/", "owner", "page"),
        Probe(
            "ledger-cursor",
            "shop ledger cursor, 400 pages deep",
            f"{shop}/ledger/",
            "owner",
            "cursor",
        ),
        Probe("shop-returns", "shop returns page 1", f"{shop}/returns/", "owner"),
        Probe("returns", "customer's returns page 1", "/api/v1/returns/", "customer"),
        Probe(
            "reviews",
            "reviews of the most-reviewed product",
            f"{products}{actors.product_id}/reviews/",
            "customer",
        ),
        Probe(
            "admin-groups", "admin: order groups changelist", "/admin/orders/ordergroup/", "admin"
        ),
        Probe("admin-products", "admin: products changelist", "/admin/products/product/", "admin"),
        Probe("checkout", "checkout (pickup, cash; 1 line)", "", "customer"),
    ]


def admin_session(base: str, email: str) -> requests.Session:
    """A session signed in to the Django admin through its login form."""
    import requests

    session = requests.Session()
    page = session.get(f"{base}/admin/login/", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise SystemExit(f"admin login page: no CSRF token ({page.status_code})")
    answer = session.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": match.group(1),
            "username": email,
            "password": common.PASSWORD,
            "next": "/admin/",
        },
        headers={"Referer": f"{base}/admin/login/"},
        timeout=60,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"admin login answered {answer.status_code}")
    return session


def deep_path(session: requests.Session, base: str, probe: Probe) -> tuple[str, str]:
    """(path, note): page 400 (or the last page), or the link 400 `next` steps from `?cursor=`."""
    joiner = "&" if "?" in probe.path else "?"
    if probe.deep == "page":
        first = session.get(base + probe.path, timeout=120)
        if first.status_code != 200:
            return probe.path, f"page 1: {first.status_code}"
        count = first.json()["data"]["count"]
        page = max(1, min(DEEP_PAGE, math.ceil(count / PAGE_SIZE)))
        return f"{probe.path}{joiner}page={page}", f"page {page}"
    url = f"{base}{probe.path}{joiner}cursor="
    steps = 0
    started = time.monotonic()
    while steps < CURSOR_STEPS:
        answer = session.get(url, timeout=120)
        if answer.status_code != 200:
            return url.removeprefix(base), f"cursor step {steps}: {answer.status_code}"
        link = answer.json()["data"].get("next")
        if not link:
            break
        query = parse_qs(urlsplit(link).query)
        if not query.get("cursor", [""])[0] or "page" in query:
            return "", "no cursor pagination"
        url, steps = link, steps + 1
        if time.monotonic() - started > 120:
            break
    path = url.split("//", 1)[1].split("/", 1)[1]
    return "/" + path, f"{steps} steps"


def measure(args: argparse.Namespace, base: str, actors: Actors) -> dict[str, dict[str, Any]]:
    """Warm-up then timed requests of each probe, one at a time."""
    import requests

    sessions = {
        "anonymous": requests.Session(),
        "customer": common.bearer_session(actors.customer),
        "owner": common.bearer_session(actors.owner),
        "admin": admin_session(base, actors.admin_email),
    }
    buyers = iter(actors.buyers)
    results: dict[str, dict[str, Any]] = {}
    for probe in probes(actors):
        session = sessions[probe.who]
        path, note = probe.path, ""
        if probe.deep:
            path, note = deep_path(session, base, probe)
        stats = common.Stats()
        if not path and probe.key != "checkout":
            results[probe.key] = {"label": probe.label, "note": note, "statuses": {}}
            print(f"    {probe.label}: {note}", flush=True)
            continue

        answered: list[Any] = [None]  # the list's `count`, as last answered

        def once(
            record: bool,
            *,
            session: requests.Session = session,
            path: str = path,
            stats: common.Stats = stats,
            answered: list[Any] = answered,
        ) -> None:
            started = time.perf_counter()
            try:
                if path:
                    answer = session.get(base + path, timeout=120)
                else:  # checkout: the next buyer's cart
                    answer = requests.post(
                        f"{base}/api/v1/checkout/",
                        json=common.PICKUP_CASH,
                        headers={"Authorization": f"Bearer {next(buyers)}"},
                        timeout=120,
                    )
                status = common.status_of(answer)
            except requests.RequestException as exc:
                status = f"error {exc.__class__.__name__}"
            if record:
                stats.record(status, time.perf_counter() - started)
                if path.startswith("/api/") and status == "200":
                    answered[0] = answer.json()["data"].get("count")

        warm = time.perf_counter()
        for _ in range(args.warmup):  # one only of a request slower than a quarter of --budget
            once(False)
            if time.perf_counter() - warm > args.budget / 4:
                break
        spent = 0.0
        for n in range(args.repeat):
            if n >= 3 and spent > args.budget:
                break
            begun = time.perf_counter()
            once(True)
            spent += time.perf_counter() - begun
        results[probe.key] = {
            "label": probe.label,
            "path": path,
            "note": note,
            "n": len(stats.latencies),
            "p50": stats.percentile(50) * 1000,
            "p95": stats.percentile(95) * 1000,
            "statuses": dict(stats.statuses),
            "count": answered[0],
        }
        r = results[probe.key]
        print(
            f"    {probe.label}: p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms "
            f"({r['n']} x {', '.join(r['statuses'])}){f'; {note}' if note else ''}",
            flush=True,
        )
    return results


def count_statements(actors: Actors, results: dict[str, dict[str, Any]]) -> None:
    """The statements of one request of each kind, through the whole stack in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from users.models import User

    admin = Client(HTTP_HOST="127.0.0.1")
    admin.force_login(User.objects.get(email=actors.admin_email))
    clients = {
        "customer": Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {actors.customer}"),
        "owner": Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {actors.owner}"),
        "admin": admin,
    }
    for probe in probes(actors):
        result = results.get(probe.key, {})
        path = result.get("path")
        if not path:
            continue
        with CaptureQueriesContext(connection) as queries:
            clients[probe.who].get(path)
        result["statements"] = len(queries)


# --- One size (child process) ------------------------------------------------------------------


def run_size(args: argparse.Namespace) -> int:
    size = size_of(args, args.run_size)
    args.db_name = f"{args.db_prefix}_{size.name}"
    env = common.server_env(args, CONN_MAX_AGE="600", CATALOGUE_CACHE_TIMEOUT="0")
    os.environ.update(env)
    import warnings

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    print(
        f"== {size.name}: {size.shops} shops, {size.products} products, {size.groups} order "
        f"groups, {size.customers} customers; database {args.db_name}",
        flush=True,
    )
    started = time.monotonic()
    reused = False
    if args.reuse_db and database_exists(args.db_name):
        migrate(env)
        import django

        django.setup()
        common.cleanup_redis(args.redis)
        reused = seeded_marker() == size.marker()
    if not reused:
        common.setup_database(args, env)
    from django.contrib.auth.hashers import make_password

    password = make_password(common.PASSWORD)
    rows: dict[str, int] = {}
    if reused:
        print(f"  [{size.name}] reusing the seeded database", flush=True)
    else:
        rows = seed(size, password)
        written = ", ".join(f"{label} {count:,}" for label, count in rows.items())
        print(f"  [{size.name}] rows: {written}", flush=True)
    actors = seed_actors(size, args.warmup + args.repeat + 2, password)
    seed_seconds = time.monotonic() - started
    print(f"  [{size.name}] ready in {seed_seconds:.0f} s", flush=True)
    from django.db import connections

    connections.close_all()
    port = common.free_port()
    log = Path(tempfile.gettempdir()) / f"bench-growth-{size.name}-{port}.log"
    server = common.start_server(workers=args.workers, env=env, port=port, log=log)
    try:
        results = measure(args, f"http://127.0.0.1:{port}", actors)
        memory = workers_memory(server.pid)
    finally:
        common.stop_server(server)
    count_statements(actors, results)
    payload = {
        "size": size.name,
        "figures": {
            "shops": size.shops,
            "products": size.products,
            "groups": size.groups,
            "customers": size.customers,
        },
        "seed_seconds": seed_seconds,
        "worker_mb": memory,
        "rows": rows,
        "results": results,
    }
    if args.result:
        args.result.write_text(json.dumps(payload))
    connections.close_all()
    common.cleanup_redis(args.redis)
    if not args.keep_db:
        common.recreate_database(args.engine, args.db_name, drop_only=True)
    print(f"  [{size.name}] done in {time.monotonic() - started:.0f} s; server log: {log}")
    return 0


def workers_memory(master: int) -> float:
    """The largest resident memory (MB) of gunicorn's workers, the children of `master`."""
    output = subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return max((int(kb) / 1024 for kb in output.split()), default=0.0)


def database_exists(name: str) -> bool:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    conn.close()
    return found


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=common.ROOT,
        env=env,
        check=True,
    )


# --- Report (parent process) -------------------------------------------------------------------


def cell(result: dict[str, Any] | None) -> tuple[str, str]:
    """(p50, p95) as printed: milliseconds, or what went wrong."""
    if not result:
        return "", ""
    statuses = result.get("statuses") or {}
    if "p50" not in result:
        return result.get("note", "n/a"), ""
    bad = [s for s in statuses if not s.startswith("2")]
    p50, p95 = f"{result['p50']:.1f}", f"{result['p95']:.1f}"
    if bad:
        p50 += f" ({', '.join(bad)})"
    return p50, p95


def table(reports: list[dict[str, Any]]) -> list[list[str]]:
    header = ["request"]
    for report in reports:
        header += [f"{report['size']} p50", f"{report['size']} p95"]
    header += ["growth (p50)", "statements", "count"]
    rows = [header]
    keys = list(reports[0]["results"])
    for key in keys:
        row = [reports[0]["results"][key]["label"]]
        for report in reports:
            row += list(cell(report["results"].get(key)))
        first, last = reports[0]["results"].get(key, {}), reports[-1]["results"].get(key, {})
        growth = ""
        if len(reports) > 1 and first.get("p50") and last.get("p50"):
            growth = f"{last['p50'] / first['p50']:.1f}x"
        row.append(growth)
        counts = [str(r["results"].get(key, {}).get("statements", "")) for r in reports]
        row.append(counts[0] if len(set(counts)) == 1 else " / ".join(counts))
        answered = [r["results"].get(key, {}).get("count") for r in reports]
        row.append(" / ".join("" if n is None else f"{n:,}" for n in answered).strip(" /"))
        rows.append(row)
    return rows


def print_report(reports: list[dict[str, Any]], args: argparse.Namespace) -> None:
    rows = table(reports)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(
            zip(row, widths, strict=True))))  # fmt: skip
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sizes = "; ".join(
        f"{r['size']}: {r['figures']['shops']} shops, {r['figures']['products']:,} products, "
        f"{r['figures']['groups']:,} order groups (ready in {r['seed_seconds']:.0f} s, "
        f"gunicorn workers {r['worker_mb']:.0f} MB at most)"
        for r in reports
    )
    notes = []  # the deep pages and cursor steps taken at each size
    for key, first in reports[0]["results"].items():
        taken = [
            f"{r['size']} {r['results'][key]['note']}"
            for r in reports
            if r["results"].get(key, {}).get("note")
        ]
        if taken:
            notes.append(f"{first['label']}: {', '.join(taken)}")
    print(f"\n{sizes}")
    print("\n".join(notes))
    if args.out:
        lines = [f"Sizes: {sizes}.", ""]
        lines.append("| " + " | ".join(rows[0]) + " |")
        lines.append("|" + "---|" * len(rows[0]))
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        lines += ["", *(f"- {note}" for note in notes)]
        args.out.write_text("\n".join(lines) + "\n")
        print(f"written to {args.out}")


def main() -> int:
    args = parse_args()
    if args.run_size:
        return run_size(args)
    started = time.monotonic()
    reports = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-growth-"))
    forwarded = sys.argv[1:]
    for size in args.size_list:
        result = workdir / f"{size}.json"
        child = subprocess.run(
            [sys.executable, __file__, *forwarded, "--run-size", size, "--result", str(result)]
        )
        if child.returncode:
            print(f"the {size} run failed (exit status {child.returncode})")
            return 1
        reports.append(json.loads(result.read_text()))
    print_report(reports, args)
    print(f"total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
