"""What the benchmarks share: their own database, the seed, the server, timings and checks.

`bench/checkout.py` and `bench/perf.py` import this module (they put the project root on
`sys.path` first); it is not part of the application and never runs in the test suite.

- command line: `add_server_arguments` and `add_race_arguments` (the options both scripts take);
- database: `server_env`, `setup_database` (recreate, migrate, `django.setup()`) and `teardown`
  (Redis clean-up and drop, unless `--keep-db`);
- seed (bulk ORM writes, inside the caller's transaction): `seed_shops`, `seed_products` (with
  the hot product and the initial ledger movements), `seed_customers`, `access_tokens`;
- server: `free_port`, `start_server`, `stop_server` (gunicorn serving `core.wsgi`);
- load: `run_threads`, `Stats` (latencies, statuses, percentiles), `bearer_session`,
  `timed_post`, `hot_race`;
- checks: `oversell_check` (sold <= initial stock, stock >= 0, no ledger drift).

Django and the project's modules are imported inside the functions that need them, after
`setup_database` has configured Django.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import requests

    from products.models import Product
    from shops.models import Shop
    from users.models import Address, User

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-Password-123"  # every seeded account's
HOT_PRODUCT_PRICE = Decimal("9999.00")
PLENTY = 1_000_000  # stock of every product but the hot one
PICKUP_CASH = {"fulfillment_method": "pickup", "payment_method": "cash"}

T = TypeVar("T")


# --- Command line -------------------------------------------------------------------------------


def add_server_arguments(parser: argparse.ArgumentParser, *, redis: str) -> None:
    """The database, Redis, catalogue size and gunicorn options (`redis`: the default URL)."""
    parser.add_argument("--engine", choices=["postgresql", "mysql"], default="postgresql")
    parser.add_argument("--db-name", default="mkt_bench")
    parser.add_argument("--redis", default=redis, help="cache and broker")
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--history", type=int, default=20000, help="past order groups, as in a shop in service"
    )


def add_race_arguments(parser: argparse.ArgumentParser) -> None:
    """The hot race's size and `--keep-db`."""
    parser.add_argument("--hot-buyers", type=int, default=50)
    parser.add_argument("--hot-stock", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database after")


# --- Database -----------------------------------------------------------------------------------


def server_env(args: argparse.Namespace, **extra: str) -> dict[str, str]:
    """The environment of the server and of this process: production settings (DEBUG off, a
    fresh secret key), the bench's database, Redis as cache and as a broker no worker reads,
    no SMTP host; `extra` adds or overrides variables."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "core.settings.production",
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DB_ENGINE": args.engine,
            "DB_NAME": args.db_name,
            "REDIS_URL": args.redis,
            "CACHE_KEY_PREFIX": "bench",
            "CELERY_BROKER_URL": args.redis,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    env.pop("EMAIL_HOST", None)
    return env


def _check_db_name(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise SystemExit("--db-name: letters, digits and underscores only")
    return name


def recreate_database(engine: str, name: str, *, drop_only: bool = False) -> None:
    """Drop the database `name` (connections to it included) and create it again, empty."""
    name = _check_db_name(name)
    if engine == "postgresql":
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    else:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", user="root")
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        if not drop_only:
            cursor.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        conn.close()


def setup_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Recreate and migrate the bench's database, configure Django in this process (`env` must
    already be in `os.environ`) and clear the bench's Redis keys."""
    recreate_database(args.engine, args.db_name)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    import django

    django.setup()
    cleanup_redis(args.redis)  # a cache left by an earlier run would answer for another database


def cleanup_redis(url: str) -> None:
    """Remove the bench's cache keys and the tasks queued during the run (no worker reads them)."""
    import redis

    client = redis.Redis.from_url(url)
    for pattern in ("bench:*", "celery*", "_kombu.*", "unacked*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    client.close()


def teardown(args: argparse.Namespace) -> None:
    """Close this process's connections, clean Redis and drop the database unless `--keep-db`."""
    from django.db import connections

    connections.close_all()
    cleanup_redis(args.redis)
    if not args.keep_db:
        recreate_database(args.engine, args.db_name, drop_only=True)


# --- Seed ---------------------------------------------------------------------------------------
# Bulk writes through the ORM, to be called inside the caller's `transaction.atomic()`.


def seed_shops(count: int, rng: random.Random, password: str) -> list[Shop]:
    """`count` verified owners, each with a shop (random delivery fee, low-stock threshold 5)."""
    from shops.models import Shop
    from users.models import User

    owners = User.objects.bulk_create(
        User(email=f"owner{n}@bench.test", password=password, is_email_verified=True)
        for n in range(count)
    )
    return Shop.objects.bulk_create(
        Shop(
            owner=owner,
            name=f"Bench shop {n}",
            description="Seeded for the benchmark.",
            delivery_fee=Decimal(rng.choice(["0.00", "500.00", "1200.00"])),
            low_stock_threshold=5,
        )
        for n, owner in enumerate(owners)
    )


def seed_products(
    shops: Sequence[Shop], count: int, rng: random.Random, *, hot_stock: int
) -> tuple[list[Product], Product]:
    """`count` products spread round-robin over `shops` (product n in shop n % len(shops)) with
    plenty of stock, the hot product of the first shop with `hot_stock` units, each with its
    one (default) variant, set as `product.variant`, and the variant's initial ledger movement.
    Returns (products, hot product)."""
    from products.models import InventoryMovement, Product, ProductVariant

    products = [
        Product(
            shop=shops[n % len(shops)],
            name=f"Product {n}",
            slug=f"product-{n}",
            description=f"Product {n}, seeded for the benchmark. " * 3,
        )
        for n in range(count)
    ]
    hot = Product(shop=shops[0], name="Hot product", slug="hot-product")
    every = [*products, hot]
    Product.objects.bulk_create(every, batch_size=1000)
    for n, product in enumerate(every):
        hot_one = product is hot
        product.variant = ProductVariant(
            product=product,
            shop=product.shop,
            sku=f"bench-{n}",
            sku_key=f"bench-{n}",
            price=HOT_PRODUCT_PRICE if hot_one else Decimal(rng.randrange(100, 500_000)) / 100,
            stock=hot_stock if hot_one else PLENTY,
        )
    ProductVariant.objects.bulk_create([p.variant for p in every], batch_size=1000)
    for product in every:  # the stored price range of a product with one variant
        product.price_min = product.price_max = product.variant.price
    Product.objects.bulk_update(every, ["price_min", "price_max"], batch_size=1000)
    InventoryMovement.objects.bulk_create(
        (
            InventoryMovement(
                product=p,
                variant=p.variant,
                delta=p.variant.stock,
                reason="initial",
                stock_after=p.variant.stock,
            )
            for p in every
        ),
        batch_size=2000,
    )
    return products, hot


def products_by_shop(products: Sequence[Product], shop_count: int) -> list[list[Product]]:
    """The products of `seed_products`, one list a shop, in the order of the shops."""
    return [list(products[s::shop_count]) for s in range(shop_count)]


def seed_customers(count: int, password: str) -> tuple[list[User], list[Address]]:
    """`count` verified customers, each with a default address in Lagos."""
    from users.models import Address, User

    customers = User.objects.bulk_create(
        (
            User(
                email=f"customer{n}@bench.test",
                first_name="Bench",
                last_name=f"Customer {n}",
                password=password,
                is_email_verified=True,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    addresses = Address.objects.bulk_create(
        (
            Address(
                user=c,
                full_name=c.full_name,
                phone="+2348012345678",
                line1="1 Bench Road",
                city="Lagos",
                state="NG-LA",
                country="NG",
                is_default=True,
            )
            for c in customers
        ),
        batch_size=2000,
    )
    return customers, addresses


def seed_order_history(
    count: int, customers: Sequence[User], products: Sequence[Product], rng: random.Random
) -> None:
    """`count` past order groups of `customers` (completed, paid in cash, one order of one line
    each), as a marketplace in service has.

    Not decoration: PostgreSQL checks the foreign keys of new rows (an order's group, an item's
    order) with plans it keeps for the life of a connection, made when the connection first
    needs them. Against empty order tables that plan reads the whole table, and keeps doing so
    as the table grows until autovacuum next analyses it: a checkout would cost more with every
    order the run adds. With a history, as in production, the plan uses the primary key."""
    from orders.models import Order, OrderEvent, OrderGroup, OrderItem

    groups, orders, items, events = [], [], [], []
    for n in range(count):
        customer, product = rng.choice(customers), rng.choice(products)
        group = OrderGroup(
            number=f"MKT-H{n:07d}",
            customer=customer,
            customer_name=customer.full_name,
            customer_email=customer.email,
            status="completed",
            payment_method="cash",
            payment_status="paid",
            fulfillment_method="pickup",
            currency="NGN",
            subtotal=product.variant.price,
            delivery_fee=Decimal("0.00"),
            total=product.variant.price,
        )
        order = Order(
            group=group,
            number=f"{group.number}-1",
            shop_id=product.shop_id,
            status="completed",
            subtotal=product.variant.price,
            delivery_fee=Decimal("0.00"),
            total=product.variant.price,
            is_paid=True,
            cash_collected=True,
        )
        groups.append(group)
        orders.append(order)
        items.append(
            OrderItem(
                order=order,
                product=product,
                variant=product.variant,
                product_name=product.name,
                sku=product.variant.sku,
                unit_price=product.variant.price,
                quantity=1,
                line_total=product.variant.price,
            )
        )
        events.append(OrderEvent(order=order, status="completed", note="Seeded."))
    for model, rows in (
        (OrderGroup, groups),
        (Order, orders),
        (OrderItem, items),
        (OrderEvent, events),
    ):
        model.objects.bulk_create(rows, batch_size=2000)


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather them a little later."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        else:
            tables = ", ".join(connection.introspection.table_names(cursor))
            cursor.execute(f"ANALYZE TABLE {tables}")
            cursor.fetchall()


def access_tokens(users: Iterable[User]) -> list[str]:
    """A JWT access token for each user, in order."""
    from users.tokens import tokens_for_user

    return [tokens_for_user(user=user)["access"] for user in users]


# --- Server -------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    *,
    workers: int,
    env: dict[str, str],
    port: int,
    log: Path,
    options: Sequence[str] = (),
) -> subprocess.Popen:
    """Start gunicorn (`core.wsgi`, `workers` workers plus `options`) on 127.0.0.1:`port`, its
    output in `log`, and wait (30 s at most) until `/health/` answers 200."""
    import requests

    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "core.wsgi:application",
        "--workers",
        str(workers),
        *options,
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    handle = log.open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited early; see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health/", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"gunicorn did not become ready in 30 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop), SIGKILL after 30 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- Load ---------------------------------------------------------------------------------------


def run_threads(target: Callable[[T], None], args: Iterable[T], *, timeout: float) -> float:
    """Call `target(arg)` in one thread per arg, all started at once, and wait for them (at most
    `timeout` seconds for each). Returns the seconds it all took."""
    threads = [threading.Thread(target=target, args=(arg,)) for arg in args]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return time.monotonic() - started


@dataclass
class Stats:
    """Latencies (seconds) and status counts of requests, recorded from any thread.

    A status is the HTTP status, followed by the error code of the envelope when it is not a
    success (`"409 insufficient_stock"`), or `"error <exception>"` when no answer came."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: str, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1

    def percentile(self, p: float) -> float:
        """The p-th percentile (1 to 99) of the latencies, in seconds; 0 when there are none."""
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1]

    def server_errors(self) -> int:
        """5xx answers."""
        return sum(n for key, n in self.statuses.items() if key.startswith("5"))

    def client_errors(self) -> int:
        """Requests that got no answer (connection refused or reset, time-out)."""
        return sum(n for key, n in self.statuses.items() if key.startswith("error"))


def status_of(response: requests.Response) -> str:
    """`"201"`, or `"<status> <envelope code>"` for anything else than a success."""
    if response.status_code < 300:
        return str(response.status_code)
    try:
        code = response.json().get("code") or "?"
    except ValueError:
        code = "not-json"
    return f"{response.status_code} {code}"


def bearer_session(token: str) -> requests.Session:
    """A `requests.Session` that sends `token` as its Bearer token."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def timed_post(
    session: requests.Session, url: str, stats: Stats, **kwargs: Any
) -> requests.Response | None:
    """POST `url`, record its status and latency in `stats`; None when no answer came."""
    import requests

    started = time.perf_counter()
    try:
        response = session.post(url, **kwargs)
    except requests.RequestException as exc:
        stats.record(f"error {exc.__class__.__name__}", time.perf_counter() - started)
        return None
    stats.record(status_of(response), time.perf_counter() - started)
    return response


def hot_race(
    base: str, sessions: Sequence[requests.Session], *, idempotency_key: bool
) -> tuple[Stats, float]:
    """Every session checks out its cart (pickup, cash) at the same instant (a barrier), from
    one thread each. Returns the stats and the seconds the race took."""
    stats = Stats()
    barrier = threading.Barrier(len(sessions))

    def buyer(session: requests.Session) -> None:
        headers = {"Idempotency-Key": secrets.token_hex(16)} if idempotency_key else {}
        barrier.wait()
        timed_post(
            session,
            f"{base}/api/v1/checkout/",
            stats,
            json=PICKUP_CASH,
            headers=headers,
            timeout=60,
        )

    return stats, run_threads(buyer, sessions, timeout=120)


# --- Checks -------------------------------------------------------------------------------------


def oversell_check(hot_product_id: str, hot_stock: int) -> tuple[bool, str]:
    """Sold <= initial stock, stock >= 0, stock + sold = initial stock, no product with a
    negative stock, `ledger_drift()` empty. Returns (all true, the figures in one line)."""
    from django.db import connections
    from django.db.models import Sum

    from orders.models import OrderItem
    from products.inventory import ledger_drift
    from products.models import Product, ProductVariant

    connections.close_all()
    hot = Product.objects.get(id=hot_product_id)
    sold = (
        OrderItem.objects.filter(product_id=hot.id).aggregate(total=Sum("quantity"))["total"] or 0
    )
    negative = ProductVariant.objects.filter(stock__lt=0).count()
    drift = ledger_drift()
    ok = sold <= hot_stock and hot.stock >= 0 and hot.stock + sold == hot_stock
    ok = ok and negative == 0 and not drift
    text = (
        f"hot product: initial {hot_stock}, sold {sold}, stock now {hot.stock}; "
        f"variants with negative stock: {negative}; ledger drift: {len(drift)} variant(s)"
    )
    return ok, text
