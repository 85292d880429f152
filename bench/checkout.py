"""Checkout load benchmark: a real server (gunicorn), real HTTP clients, a seeded catalogue.

    .venv/bin/python bench/checkout.py                      # PostgreSQL, database mkt_bench
    .venv/bin/python bench/checkout.py --engine mysql       # MariaDB
    .venv/bin/python bench/checkout.py --duration 30 --clients 32

What it does:
1. (re)creates its own database (`--db-name`, default `mkt_bench`) and migrates it;
2. seeds `--shops` shops, `--products` products (ledgered initial stock) and enough verified
   customers (each with an address) directly through the ORM;
3. starts gunicorn (`--workers`, DEBUG off) on a free port of 127.0.0.1; Celery tasks go to a
   Redis broker (`--redis`) that no worker reads, so e-mails cost what they cost in production
   (one push) and nothing is sent;
4. "spread": `--clients` threads, each with its own customer and `requests.Session`, put one
   product of each of 3 different shops in the cart and check out, until `--duration` seconds or
   `--max-checkouts` have passed;
5. "hot": `--hot-buyers` customers with one unit of the same product (`--hot-stock` units)
   check out at the same instant;
6. prints checkouts per second, p50/p95/p99 latency, status counts, and the oversell check
   (sold <= initial stock, stock >= 0, ledger drift empty); exits 1 if that check fails or any
   5xx was seen.

It is bounded in time and requests; it never runs as part of the test suite.
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
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- Set-up -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "mysql"], default="postgresql")
    parser.add_argument("--db-name", default="mkt_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="broker and cache")
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=16, help="spread: concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="spread: seconds")
    parser.add_argument(
        "--max-checkouts", type=int, default=3000, help="spread: upper bound (= customers seeded)"
    )
    parser.add_argument("--hot-buyers", type=int, default=50)
    parser.add_argument("--hot-stock", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database after")
    return parser.parse_args()


def server_env(args: argparse.Namespace, secret_key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "core.settings",
            "DEBUG": "False",
            "SECRET_KEY": secret_key,
            "DB_ENGINE": args.engine,
            "DB_NAME": args.db_name,
            "REDIS_URL": args.redis,
            "CACHE_KEY_PREFIX": "bench",
            "CELERY_BROKER_URL": args.redis,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "PAYMENT_TIMEOUT_MINUTES": "30",
        }
    )
    env.pop("EMAIL_HOST", None)
    return env


def recreate_database(args: argparse.Namespace) -> None:
    name = args.db_name
    if not name.replace("_", "").isalnum():
        raise SystemExit("--db-name: letters, digits and underscores only")
    if args.engine == "postgresql":
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    else:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", user="root")
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        conn.close()


def drop_database(args: argparse.Namespace) -> None:
    from django.db import connections

    connections.close_all()
    if args.engine == "postgresql":
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.close()
    else:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", user="root")
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{args.db_name}`")
        conn.close()


@dataclass
class Seed:
    spread_customers: list[tuple[str, str]]  # (access token, address id)
    hot_customers: list[str]
    products_by_shop: list[list[str]]
    hot_product_id: str


def seed(args: argparse.Namespace, customers_needed: int) -> Seed:
    """Shops, products with their initial ledger movement, verified customers with addresses."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from products.models import InventoryMovement, Product
    from shops.models import Shop
    from users.models import Address, User
    from users.tokens import tokens_for_user

    rng = random.Random(42)
    password = make_password("Bench-Password-123")
    with transaction.atomic():
        owners = User.objects.bulk_create(
            [
                User(email=f"owner{n}@bench.test", password=password, is_email_verified=True)
                for n in range(args.shops)
            ]
        )
        shops = Shop.objects.bulk_create(
            [
                Shop(
                    owner=owner,
                    name=f"Bench shop {n}",
                    delivery_fee=Decimal(rng.choice(["0.00", "500.00", "1200.00"])),
                    low_stock_threshold=5,
                )
                for n, owner in enumerate(owners)
            ]
        )
        products = []
        for n in range(args.products):
            shop = shops[n % len(shops)]
            products.append(
                Product(
                    shop=shop,
                    name=f"Product {n}",
                    slug=f"product-{n}",
                    description="Seeded for the checkout benchmark.",
                    price=Decimal(rng.randrange(100, 500_000)) / 100,
                    stock=1_000_000,
                )
            )
        hot = Product(
            shop=shops[0],
            name="Hot product",
            slug="hot-product",
            price=Decimal("9999.00"),
            stock=args.hot_stock,
        )
        products.append(hot)
        Product.objects.bulk_create(products, batch_size=1000)
        InventoryMovement.objects.bulk_create(
            [
                InventoryMovement(product=p, delta=p.stock, reason="initial", stock_after=p.stock)
                for p in products
            ],
            batch_size=1000,
        )
        customers = User.objects.bulk_create(
            [
                User(
                    email=f"customer{n}@bench.test",
                    first_name="Bench",
                    last_name=f"Customer {n}",
                    password=password,
                    is_email_verified=True,
                )
                for n in range(customers_needed + args.hot_buyers)
            ],
            batch_size=1000,
        )
        addresses = Address.objects.bulk_create(
            [
                Address(
                    user=c,
                    full_name=c.full_name,
                    phone="+2348012345678",
                    line1="1 Bench Road",
                    city="Lagos",
                    state="Lagos",
                    country="NG",
                    is_default=True,
                )
                for c in customers
            ],
            batch_size=1000,
        )
    by_shop: list[list[str]] = [[] for _ in shops]
    for product in products[:-1]:
        by_shop[shops.index(product.shop)].append(str(product.id))
    tokens = [tokens_for_user(user=c)["access"] for c in customers]
    spread = list(zip(tokens[:customers_needed], (str(a.id) for a in addresses), strict=False))
    return Seed(
        spread_customers=spread,
        hot_customers=tokens[customers_needed:],
        products_by_shop=by_shop,
        hot_product_id=str(hot.id),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: argparse.Namespace, env: dict[str, str], port: int, log: Path):
    import requests

    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "core.wsgi:application",
        "--workers",
        str(args.workers),
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
    server.terminate()
    raise SystemExit(f"gunicorn did not become ready in 30 s; see {log}")


# --- Load ---------------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, code: str | None, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[f"{status} {code}" if code else str(status)] += 1

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1]

    def server_errors(self) -> int:
        return sum(n for key, n in self.statuses.items() if key.startswith("5"))


def _session(token: str):
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _code(response) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return "not-json"


def run_spread(args: argparse.Namespace, base: str, data: Seed) -> tuple[Stats, Stats, float]:
    checkout_stats, cart_stats = Stats(), Stats()
    customers = list(data.spread_customers)
    customers_lock = threading.Lock()
    done = Counter()
    barrier = threading.Barrier(args.clients)
    deadline_box: list[float] = []

    def client(seed_value: int) -> None:
        rng = random.Random(seed_value)
        barrier.wait()
        if not deadline_box:
            deadline_box.append(time.monotonic() + args.duration)
        while time.monotonic() < deadline_box[0]:
            with customers_lock:
                if not customers or done["checkouts"] >= args.max_checkouts:
                    return
                token, address_id = customers.pop()
                done["checkouts"] += 1
            session = _session(token)
            for shop_products in rng.sample(data.products_by_shop, 3):
                started = time.perf_counter()
                response = session.post(
                    f"{base}/api/v1/cart/items/",
                    json={"product_id": rng.choice(shop_products), "quantity": rng.randint(1, 3)},
                    timeout=30,
                )
                cart_stats.record(
                    response.status_code,
                    _code(response) if response.status_code >= 300 else None,
                    time.perf_counter() - started,
                )
            body = (
                {
                    "fulfillment_method": "delivery",
                    "shipping_address_id": address_id,
                    "payment_method": "paystack",
                }
                if rng.random() < 0.5
                else {"fulfillment_method": "pickup", "payment_method": "cash"}
            )
            started = time.perf_counter()
            response = session.post(
                f"{base}/api/v1/checkout/",
                json=body,
                headers={"Idempotency-Key": secrets.token_hex(16)},
                timeout=30,
            )
            checkout_stats.record(
                response.status_code,
                _code(response) if response.status_code >= 300 else None,
                time.perf_counter() - started,
            )

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.duration + 120)
    return checkout_stats, cart_stats, time.monotonic() - started


def run_hot(args: argparse.Namespace, base: str, data: Seed) -> tuple[Stats, float]:
    stats = Stats()
    sessions = [_session(token) for token in data.hot_customers]
    for session in sessions:
        response = session.post(
            f"{base}/api/v1/cart/items/",
            json={"product_id": data.hot_product_id, "quantity": 1},
            timeout=30,
        )
        if response.status_code != 201:
            raise SystemExit(f"hot: could not fill a cart: {response.status_code} {response.text}")
    barrier = threading.Barrier(len(sessions))

    def buyer(session) -> None:
        barrier.wait()
        started = time.perf_counter()
        response = session.post(
            f"{base}/api/v1/checkout/",
            json={"fulfillment_method": "pickup", "payment_method": "cash"},
            timeout=60,
        )
        stats.record(
            response.status_code,
            _code(response) if response.status_code >= 300 else None,
            time.perf_counter() - started,
        )

    threads = [threading.Thread(target=buyer, args=(s,)) for s in sessions]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return stats, time.monotonic() - started


# --- Report -------------------------------------------------------------------------------------


def describe(name: str, stats: Stats, elapsed: float, successes: int) -> None:
    print(f"\n== {name} ==")
    print(f"requests: {len(stats.latencies)} in {elapsed:.1f} s; successful checkouts: {successes}")
    if successes:
        print(f"checkouts/s: {successes / elapsed:.1f}")
    p50, p95, p99 = (stats.percentile(p) * 1000 for p in (50, 95, 99))
    worst = max(stats.latencies, default=0) * 1000
    print(f"latency ms: p50 {p50:.0f}  p95 {p95:.0f}  p99 {p99:.0f}  max {worst:.0f}")
    print("statuses:", dict(sorted(stats.statuses.items())))


def oversell_check(args: argparse.Namespace, data: Seed) -> bool:
    from django.db import connections
    from django.db.models import Sum

    from orders.models import OrderItem
    from products.inventory import ledger_drift
    from products.models import Product

    connections.close_all()
    hot = Product.objects.get(id=data.hot_product_id)
    sold = (
        OrderItem.objects.filter(product_id=hot.id).aggregate(total=Sum("quantity"))["total"] or 0
    )
    negative = Product.objects.filter(stock__lt=0).count()
    drift = ledger_drift()
    ok = sold <= args.hot_stock and hot.stock >= 0 and hot.stock + sold == args.hot_stock
    ok = ok and negative == 0 and not drift
    print("\n== oversell check ==")
    print(
        f"hot product: initial {args.hot_stock}, sold {sold}, stock now {hot.stock}; "
        f"products with negative stock: {negative}; ledger drift: {len(drift)} product(s)"
    )
    print("OK" if ok else "FAILED")
    return ok


def main() -> int:
    args = parse_args()
    secret_key = secrets.token_urlsafe(50)
    env = server_env(args, secret_key)
    os.environ.update(env)
    customers_needed = args.max_checkouts  # one fresh customer per spread checkout

    print(f"database: {args.engine} {args.db_name} (recreated)")
    recreate_database(args)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    import django

    django.setup()
    started = time.monotonic()
    data = seed(args, customers_needed)
    print(
        f"seeded {args.shops} shops, {args.products + 1} products, "
        f"{customers_needed + args.hot_buyers} customers in {time.monotonic() - started:.1f} s"
    )

    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-checkout-{port}.log"
    server = start_server(args, env, port, log)
    base = f"http://127.0.0.1:{port}"
    print(f"gunicorn: {args.workers} workers on {base} (log: {log})")
    try:
        checkout_stats, cart_stats, spread_elapsed = run_spread(args, base, data)
        hot_stats, hot_elapsed = run_hot(args, base, data)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    print(f"\nspread: {args.clients} clients, 3-shop carts, up to {args.duration:.0f} s")
    describe("spread: add to cart", cart_stats, spread_elapsed, 0)
    describe(
        "spread: checkout", checkout_stats, spread_elapsed, checkout_stats.statuses.get("201", 0)
    )
    describe(
        f"hot: {args.hot_buyers} buyers, {args.hot_stock} units",
        hot_stats,
        hot_elapsed,
        hot_stats.statuses.get("201", 0),
    )
    ok = oversell_check(args, data)
    errors = checkout_stats.server_errors() + cart_stats.server_errors() + hot_stats.server_errors()
    if errors:
        print(f"{errors} server error(s): see {log}")

    _purge_broker(args.redis)
    if not args.keep_db:
        drop_database(args)
    return 0 if ok and not errors else 1


def _purge_broker(url: str) -> None:
    """Drop the tasks queued during the run (no worker reads this broker)."""
    try:
        from core.celery import app

        app.control.purge()
    except Exception as exc:  # noqa: BLE001 - cleaning up is best effort
        print(f"could not purge the broker: {exc}")


if __name__ == "__main__":
    raise SystemExit(main())
