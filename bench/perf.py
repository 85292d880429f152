"""Throughput and latency of the main endpoints against the framework's ceiling, in one run.

    .venv/bin/python bench/perf.py                  # PostgreSQL, database mkt_bench, Redis DB 6
    .venv/bin/python bench/perf.py --duration 5     # shorter runs
    .venv/bin/python bench/perf.py --help

What it does:
1. (re)creates its own database (`--db-name`, default `mkt_bench`) and migrates it;
2. seeds, in bulk through the ORM: `--shops` shops, `--products` products with categories, image
   rows (all pointing at one tiny PNG in a temporary media folder) and their initial ledger
   movement, a hot product with `--hot-stock` units, and verified customers: cart readers (a
   cart of 3 lines), spread buyers (an address and a cart with one product of each of 3 shops)
   and hot buyers (one unit of the hot product in the cart); and `--history` past order groups
   (20,000), as a marketplace in service has (see `common.seed_order_history` for why it
   matters); then gathers planner statistics;
3. counts the queries of one request of each kind in-process (`CaptureQueriesContext`);
4. starts gunicorn (`core.wsgi`, `--workers` workers, DEBUG off, persistent database
   connections, Redis cache; Celery tasks are pushed to a Redis broker that no worker reads,
   so e-mails cost what they cost in production, one push, and nothing is sent) on a free port
   of 127.0.0.1;
5. drives it with `wrk` (Debian package `wrk`): the ceiling `GET /api/v1/ping/` (DRF, no
   database), the product list (pages of 20 of 2,000), product detail and a shop's catalogue,
   each anonymous and as a customer (a shop's catalogue is never cached for a signed-in caller:
   the database path), the cart read and the "spread" checkout (each request a new customer
   with a 3-shop cart); then the "hot" race (`--hot-buyers` customers check out the last
   `--hot-stock` units at once, Python threads behind a barrier);
6. prints a table (requests/s, ratio to the ceiling, p50/p95/p99, statuses, queries a request),
   the comparison with the backend this project replaces, and the oversell check (sold <= stock,
   stock >= 0, `ledger_drift()` empty); exits 1 on any 5xx, socket error or failed check.

Everything is bounded in time and requests; the server is stopped, the broker's queue and the
bench's cache keys are removed and the database is dropped (unless `--keep-db`) at the end. What
it shares with `bench/checkout.py` (database, seed, server, hot race, oversell check) is in
`bench/common.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for `bench.common`

from bench import common

# 1x1 transparent PNG: every seeded image row points at this one file.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PAGE_SIZE = 20  # the API's default page size
MIN_PRODUCTS = 1000
CART_READERS = 32
# The backend this project replaces, same kind of machine (2 gunicorn workers, MariaDB).
OLD_BACKEND = {"list": 34.5, "cart": 119.0, "checkout": 74.0}
GOALS = {"list": 10.0, "cart": 3.0, "checkout": 3.0}


# --- Set-up -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_server_arguments(parser, redis="redis://127.0.0.1:6379/6")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads a worker")
    parser.add_argument("--connections", type=int, default=8, help="wrk: open connections")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each one")
    parser.add_argument(
        "--checkouts", type=int, default=4000, help="spread: upper bound (= buyers seeded)"
    )
    common.add_race_arguments(parser)
    args = parser.parse_args()
    if args.products < MIN_PRODUCTS or args.shops < 3:
        parser.error(f"--products must be >= {MIN_PRODUCTS} and --shops >= 3")
    return args


@dataclass
class Seed:
    product_ids: list[str]
    shop_ids: list[str]
    hot_product_id: str
    readers: list[str]  # tokens of customers with a 3-line cart (read only)
    buyers: list[tuple[str, str]]  # (token, address id): a 3-shop cart each, checked out once
    hot_buyers: list[str]
    probe_buyers: list[tuple[str, str, int]]  # (token, address id, lines): in-process checkouts


def seed(args: argparse.Namespace, media_root: Path) -> Seed:
    """Everything in bulk, in one transaction."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from carts.models import Cart, CartItem
    from products.models import Category, Product, ProductImage

    rng = random.Random(42)
    (media_root / "products").mkdir(parents=True, exist_ok=True)
    (media_root / "products" / "bench.png").write_bytes(TINY_PNG)
    password = make_password(common.PASSWORD)
    probes = [3, 20]  # lines of the carts whose checkout queries are counted in-process
    with transaction.atomic():
        shops = common.seed_shops(args.shops, rng, password)
        roots = Category.objects.bulk_create(
            Category(name=f"Department {n}", slug=f"department-{n}") for n in range(4)
        )
        leaves = Category.objects.bulk_create(
            Category(name=f"Aisle {n}", slug=f"aisle-{n}", parent=roots[n % 4]) for n in range(12)
        )
        products, hot = common.seed_products(shops, args.products, rng, hot_stock=args.hot_stock)
        through = Product.categories.through
        through.objects.bulk_create(
            (
                through(product_id=p.id, category_id=c.id)
                for n, p in enumerate(products)
                for c in {leaves[n % 12], roots[n % 4]}
            ),
            batch_size=2000,
        )
        ProductImage.objects.bulk_create(
            (
                ProductImage(product=p, image="products/bench.png", position=i)
                for n, p in enumerate(products)
                for i in range(1 + n % 2)
            ),
            batch_size=2000,
        )
        total = CART_READERS + args.checkouts + args.hot_buyers + len(probes)
        customers, addresses = common.seed_customers(total, password)
        carts = Cart.objects.bulk_create((Cart(user=c) for c in customers), batch_size=2000)
        by_shop = common.products_by_shop(products, len(shops))
        items: list[CartItem] = []
        hot_from = CART_READERS + args.checkouts
        probe_from = hot_from + args.hot_buyers
        for n, cart in enumerate(carts):
            if n < hot_from:
                lines = 3
            elif n < probe_from:
                items.append(CartItem(cart=cart, product=hot, variant=hot.variant, quantity=1))
                continue
            else:
                lines = probes[n - probe_from]
            for shop_products in rng.sample(by_shop, min(lines, len(by_shop))):
                picked = rng.sample(shop_products, max(1, lines // len(by_shop)))
                items.extend(
                    CartItem(cart=cart, product=p, variant=p.variant, quantity=rng.randint(1, 3))
                    for p in picked
                )
        CartItem.objects.bulk_create(items, batch_size=2000)
        common.seed_order_history(args.history, customers[:CART_READERS], products, rng)
    common.analyze()
    tokens = common.access_tokens(customers)
    address_ids = [str(a.id) for a in addresses]
    hot_from = CART_READERS + args.checkouts
    probe_from = hot_from + args.hot_buyers
    return Seed(
        product_ids=[str(p.id) for p in products],
        shop_ids=[str(s.id) for s in shops],
        hot_product_id=str(hot.id),
        readers=tokens[:CART_READERS],
        buyers=list(
            zip(tokens[CART_READERS:hot_from], address_ids[CART_READERS:hot_from], strict=True)
        ),
        hot_buyers=tokens[hot_from:probe_from],
        probe_buyers=[
            (tokens[probe_from + i], address_ids[probe_from + i], lines)
            for i, lines in enumerate(probes)
        ],
    )


# --- In-process query counts --------------------------------------------------------------------


def count_queries(data: Seed) -> dict[str, str]:
    """Queries of one request of each kind, through the whole stack in this process."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.catalogue_cache import catalogue_version_bump

    anonymous = Client(HTTP_HOST="127.0.0.1")

    def customer(token: str) -> Client:
        return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")

    def measure(client: Client, method: str, path: str, **extra) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(path, **extra)
        return response.status_code, len(queries)

    counts: dict[str, str] = {}
    product = data.product_ids[0]
    for name, path in (
        ("list", "/api/v1/products/?page=3"),
        ("detail", f"/api/v1/products/{product}/"),
        ("shop", f"/api/v1/shops/{data.shop_ids[0]}/products/?page=2"),
    ):
        catalogue_version_bump()
        _, miss = measure(anonymous, "get", path)
        _, hit = measure(anonymous, "get", path)
        _, member_hit = measure(customer(data.readers[0]), "get", path)
        catalogue_version_bump()
        _, member_miss = measure(customer(data.readers[0]), "get", path)
        counts[name] = f"{miss} miss / {hit} hit"
        counts[f"{name}-auth"] = (
            str(member_miss)
            if member_hit == member_miss
            else f"{member_miss} miss / {member_hit} hit"
        )
    _, cart = measure(customer(data.readers[0]), "get", "/api/v1/cart/")
    counts["cart"] = str(cart)
    checkout = []
    for token, address_id, lines in data.probe_buyers:
        status, n = measure(
            customer(token),
            "post",
            "/api/v1/checkout/",
            data={
                "fulfillment_method": "delivery",
                "shipping_address_id": address_id,
                "payment_method": "paystack",
            },
            content_type="application/json",
            headers={"Idempotency-Key": secrets.token_hex(16)},
        )
        if status != 201:
            raise SystemExit(f"in-process checkout of {lines} lines answered {status}")
        checkout.append(f"{n} ({lines} lines)")
    counts["checkout"] = ", ".join(checkout)
    cache.close()
    return counts


# --- Load: wrk ----------------------------------------------------------------------------------

# Counts statuses per thread and prints one JSON line of results at the end.
LUA_COMMON = r"""
statuses = {}
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"max": %d, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", ")))
end
"""

LUA_GET_CYCLE = r"""
local requests_ = {}
local position = 0

function init(args)
  for _, path in ipairs(paths) do
    local headers = {}
    if tokens then
      headers["Authorization"] = "Bearer " .. tokens[(#requests_ % #tokens) + 1]
    end
    table.insert(requests_, wrk.format("GET", path, headers))
  end
  position = thread_id
end

function request()
  position = position + 1
  return requests_[(position % #requests_) + 1]
end
"""

LUA_CHECKOUT = r"""
local position
local step
local count = 0

function init(args)
  position = thread_id + 1
  step = thread_count
end

function request()
  if position > #buyers then
    wrk.thread:stop()
    position = 1  -- a last request answers 400 cart_empty while the thread stops
  end
  local buyer = buyers[position]
  position = position + step
  count = count + 1
  local body
  if count % 2 == 0 then
    body = '{"fulfillment_method": "delivery", "payment_method": "paystack", '
      .. '"shipping_address_id": "' .. buyer[2] .. '"}'
  else
    body = '{"fulfillment_method": "pickup", "payment_method": "cash"}'
  end
  return wrk.format("POST", "/api/v1/checkout/", {
    ["Authorization"] = "Bearer " .. buyer[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", thread_id, count, math.random(1e9)),
  }, body)
end
"""


def lua_string_list(name: str, values: list[str]) -> str:
    return f"{name} = {{\n" + ",\n".join(json.dumps(v) for v in values) + "\n}\n"


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    p50: float = 0.0  # milliseconds
    p95: float = 0.0
    p99: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    socket_errors: int = 0
    successes: int | None = None  # when only some statuses count (checkout: 201)

    @property
    def rate(self) -> float:
        done = self.requests if self.successes is None else self.successes
        return done / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if str(status).startswith("5"))


def run_wrk(
    name: str,
    base: str,
    script: str,
    workdir: Path,
    *,
    duration: float,
    connections: int,
    threads: int = 1,
) -> Result:
    path = workdir / f"{name.replace(' ', '-')}.lua"
    path.write_text(f"thread_count = {threads}\n" + script + LUA_COMMON)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(path),
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 90)
    line = next((ln for ln in output.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {name}:\n{output.stdout}\n{output.stderr}")
    raw = json.loads(line.removeprefix("RESULT "))
    return Result(
        name=name,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50=raw["p50"] / 1000,
        p95=raw["p95"] / 1000,
        p99=raw["p99"] / 1000,
        statuses=Counter(raw["statuses"]),
        socket_errors=raw["socket_errors"],
    )


def get_script(paths: list[str], tokens: list[str] | None = None) -> str:
    script = lua_string_list("paths", paths)
    if tokens:
        script += lua_string_list("tokens", tokens)
    return script + LUA_GET_CYCLE


def checkout_script(buyers: list[tuple[str, str]]) -> str:
    rows = ",\n".join(f"{{{json.dumps(t)}, {json.dumps(a)}}}" for t, a in buyers)
    return f"buyers = {{\n{rows}\n}}\n" + LUA_CHECKOUT


def prime(base: str, paths: list[str], clients: int = 4) -> None:
    """Ask for every page once, so the cached scenarios measure a warm cache."""
    import requests

    def fetch(chunk: list[str]) -> None:
        with requests.Session() as session:
            del session.headers["Accept"]  # as wrk asks
            for path in chunk:
                session.get(base + path, timeout=30).raise_for_status()

    common.run_threads(fetch, (paths[n::clients] for n in range(clients)), timeout=120)


# --- Load: the hot race (Python threads) ---------------------------------------------------------


def run_hot(base: str, data: Seed) -> Result:
    sessions = [common.bearer_session(token) for token in data.hot_buyers]
    stats, elapsed = common.hot_race(base, sessions, idempotency_key=True)
    return Result(
        name="checkout hot",
        requests=len(stats.latencies),
        seconds=elapsed,
        p50=stats.percentile(50) * 1000,
        p95=stats.percentile(95) * 1000,
        p99=stats.percentile(99) * 1000,
        statuses=stats.statuses,
        socket_errors=stats.client_errors(),
        successes=stats.statuses.get("201", 0),
    )


# --- Report -------------------------------------------------------------------------------------


def print_table(results: list[tuple[Result, str]], ceiling: float) -> None:
    header = (
        f"{'endpoint':<36} {'req/s':>8} {'x ceiling':>9} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7}  {'queries':<24} statuses"
    )
    print(header)
    print("-" * len(header))
    for result, queries in results:
        statuses = ", ".join(f"{n} x {s}" for s, n in sorted(result.statuses.items()))
        if result.socket_errors:
            statuses += f", {result.socket_errors} socket errors"
        ratio = result.rate / ceiling if ceiling else 0.0
        print(
            f"{result.name:<36} {result.rate:>8.1f} {ratio:>9.2f} {result.p50:>7.1f} "
            f"{result.p95:>7.1f} {result.p99:>7.1f}  {queries:<24} {statuses}"
        )


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    media_root = workdir / "media"
    env = common.server_env(args, CONN_MAX_AGE="600", MEDIA_ROOT=str(media_root))
    os.environ.update(env)

    print(f"database: {args.engine} {args.db_name} (recreated); redis: {args.redis}")
    # The in-process query counts need no collected static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    common.setup_database(args, env)
    started = time.monotonic()
    data = seed(args, media_root)
    print(
        f"seeded {args.shops} shops, {args.products + 1} products, "
        f"{CART_READERS + args.checkouts + args.hot_buyers + 2} customers "
        f"in {time.monotonic() - started:.1f} s"
    )
    queries = count_queries(data)
    from django.db import connections

    connections.close_all()

    port = common.free_port()
    log = workdir / "gunicorn.log"
    server = common.start_server(
        workers=args.workers,
        env=env,
        port=port,
        log=log,
        options=["--worker-class", args.worker_class, "--threads", str(args.threads)],
    )
    base = f"http://127.0.0.1:{port}"
    print(
        f"gunicorn: {args.workers} {args.worker_class} workers x {args.threads} thread(s) on "
        f"{base}; wrk: {args.connections} connections, {args.duration:.0f} s per endpoint "
        f"after {args.warmup:.0f} s of warm-up"
    )
    rng = random.Random(7)
    pages = args.products // PAGE_SIZE  # full pages only
    list_paths = [f"/api/v1/products/?page={n}" for n in range(1, pages + 1)]
    rng.shuffle(list_paths)
    detail_paths = [f"/api/v1/products/{pid}/" for pid in data.product_ids]
    rng.shuffle(detail_paths)
    shop_paths = [
        f"/api/v1/shops/{sid}/products/?page={n}" for sid in data.shop_ids for n in (1, 2, 3)
    ]
    # (name, wrk script, queries a request, paths to prime the cache with)
    scenarios = [
        ("ping (ceiling)", get_script(["/api/v1/ping/"]), "0", []),
        ("product list, anonymous", get_script(list_paths), queries["list"], list_paths),
        ("product list, customer", get_script(list_paths, data.readers), "", []),
        ("product detail, anonymous", get_script(detail_paths), queries["detail"], detail_paths),
        ("product detail, customer", get_script(detail_paths, data.readers), "", []),
        ("shop catalogue, anonymous", get_script(shop_paths), queries["shop"], shop_paths),
        ("shop catalogue, customer (no cache)", get_script(shop_paths, data.readers), "", []),
        ("cart read (3 lines)", get_script(["/api/v1/cart/"], data.readers), queries["cart"], []),
    ]
    queries_of = {
        "product list, customer": queries["list-auth"],
        "product detail, customer": queries["detail-auth"],
        "shop catalogue, customer (no cache)": queries["shop-auth"],
    }
    results: list[tuple[Result, str]] = []
    ok = True
    try:
        for name, script, query_text, paths in scenarios:
            prime(base, paths)
            if args.warmup:
                run_wrk(
                    "warmup", base, script, workdir,
                    duration=args.warmup, connections=args.connections,
                )  # fmt: skip
            result = run_wrk(
                name, base, script, workdir, duration=args.duration, connections=args.connections
            )
            results.append((result, queries_of.get(name, query_text)))
            print(f"  {name}: {result.rate:.1f} req/s", flush=True)
        spread = run_wrk(
            "checkout spread (3 shops)",
            base,
            checkout_script(data.buyers),
            workdir,
            duration=args.duration,
            connections=args.connections,
            threads=2,
        )
        spread.successes = spread.statuses.get("201", 0)
        results.append((spread, queries["checkout"]))
        print(f"  checkout spread: {spread.rate:.1f} checkouts/s", flush=True)
        hot = run_hot(base, data)
        results.append((hot, ""))
    finally:
        common.stop_server(server)

    ceiling = results[0][0].rate
    print(
        f"\n== results: {args.engine}, {args.workers} gunicorn {args.worker_class} workers, "
        f"{os.cpu_count()} CPUs shared by server, database and client =="
    )
    print_table(results, ceiling)
    by_name = {r.name: r for r, _ in results}
    print("\n== against the backend this project replaces ==")
    for key, name in (
        ("list", "product list, anonymous"),
        ("list", "product list, customer"),
        ("list", "shop catalogue, customer (no cache)"),
        ("cart", "cart read (3 lines)"),
        ("checkout", "checkout spread (3 shops)"),
    ):
        rate = by_name[name].rate
        factor = rate / OLD_BACKEND[key]
        verdict = "met" if factor >= GOALS[key] else "NOT met"
        print(
            f"{name:<36} {rate:>8.1f}/s vs {OLD_BACKEND[key]:>6.1f}/s = {factor:5.1f}x "
            f"(goal {GOALS[key]:.0f}x: {verdict})"
        )
    print(
        f"hot race: {hot.successes} of {args.hot_buyers} buyers got the last {args.hot_stock} "
        f"units; {dict(hot.statuses)}"
    )
    check_ok, check_text = common.oversell_check(data.hot_product_id, args.hot_stock)
    print(f"\n== oversell check ==\n{check_text} -> {'OK' if check_ok else 'FAILED'}")
    ok = ok and check_ok
    bad = sum(r.server_errors + r.socket_errors for r, _ in results)
    if bad:
        print(f"\n{bad} server or socket error(s): see {log}")
        ok = False

    common.teardown(args)
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
