"""Checkout load benchmark: a real server (gunicorn), real HTTP clients, a seeded catalogue.

    .venv/bin/python bench/checkout.py                      # PostgreSQL, database mkt_bench
    .venv/bin/python bench/checkout.py --engine mysql       # MariaDB
    .venv/bin/python bench/checkout.py --duration 30 --clients 32

What it does:
1. (re)creates its own database (`--db-name`, default `mkt_bench`) and migrates it;
2. seeds `--shops` shops, `--products` products (ledgered initial stock), enough verified
   customers (each with an address) and `--history` past order groups directly through the
   ORM, then gathers planner statistics;
3. starts gunicorn (`--workers`, DEBUG off) on a free port of 127.0.0.1; Celery tasks go to a
   Redis broker (`--redis`) that no worker reads, so e-mails cost what they cost in production
   (one push) and nothing is sent;
4. "spread": `--clients` threads, each with its own customer and `requests.Session`, put one
   product of each of 3 different shops in the cart and check out, until `--duration` seconds or
   `--max-checkouts` have passed;
5. "hot": `--hot-buyers` customers with one unit of the same product (`--hot-stock` units)
   check out at the same instant;
6. prints checkouts per second, p50/p95/p99 latency, status counts, and the oversell check
   (sold <= initial stock, stock >= 0, ledger drift empty); exits 1 if that check fails, any
   5xx was seen or a request got no answer.

It is bounded in time and requests; it never runs as part of the test suite. What it shares with
`bench/perf.py` (database, seed, server, timings, oversell check) is in `bench/common.py`.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for `bench.common`

from bench import common

# --- Set-up -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_server_arguments(parser, redis="redis://127.0.0.1:6379/7")
    parser.add_argument("--clients", type=int, default=16, help="spread: concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="spread: seconds")
    parser.add_argument(
        "--max-checkouts", type=int, default=3000, help="spread: upper bound (= customers seeded)"
    )
    common.add_race_arguments(parser)
    return parser.parse_args()


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

    rng = random.Random(42)
    password = make_password(common.PASSWORD)
    with transaction.atomic():
        shops = common.seed_shops(args.shops, rng, password)
        products, hot = common.seed_products(shops, args.products, rng, hot_stock=args.hot_stock)
        customers, addresses = common.seed_customers(customers_needed + args.hot_buyers, password)
        common.seed_order_history(args.history, customers, products, rng)
    common.analyze()
    by_shop = [[str(p.id) for p in ps] for ps in common.products_by_shop(products, len(shops))]
    tokens = common.access_tokens(customers)
    spread = list(zip(tokens[:customers_needed], (str(a.id) for a in addresses), strict=False))
    return Seed(
        spread_customers=spread,
        hot_customers=tokens[customers_needed:],
        products_by_shop=by_shop,
        hot_product_id=str(hot.id),
    )


# --- Load ---------------------------------------------------------------------------------------


def run_spread(
    args: argparse.Namespace, base: str, data: Seed
) -> tuple[common.Stats, common.Stats, float]:
    checkout_stats, cart_stats = common.Stats(), common.Stats()
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
            session = common.bearer_session(token)
            for shop_products in rng.sample(data.products_by_shop, 3):
                common.timed_post(
                    session,
                    f"{base}/api/v1/cart/items/",
                    cart_stats,
                    json={"product_id": rng.choice(shop_products), "quantity": rng.randint(1, 3)},
                    timeout=30,
                )
            body = (
                {
                    "fulfillment_method": "delivery",
                    "shipping_address_id": address_id,
                    "payment_method": "paystack",
                }
                if rng.random() < 0.5
                else common.PICKUP_CASH
            )
            common.timed_post(
                session,
                f"{base}/api/v1/checkout/",
                checkout_stats,
                json=body,
                headers={"Idempotency-Key": secrets.token_hex(16)},
                timeout=30,
            )

    elapsed = common.run_threads(client, range(args.clients), timeout=args.duration + 120)
    return checkout_stats, cart_stats, elapsed


def run_hot(base: str, data: Seed) -> tuple[common.Stats, float]:
    """Fill each hot customer's cart with one unit of the hot product, then race."""
    sessions = [common.bearer_session(token) for token in data.hot_customers]
    for session in sessions:
        response = session.post(
            f"{base}/api/v1/cart/items/",
            json={"product_id": data.hot_product_id, "quantity": 1},
            timeout=30,
        )
        if response.status_code != 201:
            raise SystemExit(f"hot: could not fill a cart: {response.status_code} {response.text}")
    return common.hot_race(base, sessions, idempotency_key=False)


# --- Report -------------------------------------------------------------------------------------


def describe(name: str, stats: common.Stats, elapsed: float, successes: int) -> None:
    print(f"\n== {name} ==")
    print(f"requests: {len(stats.latencies)} in {elapsed:.1f} s; successful checkouts: {successes}")
    if successes:
        print(f"checkouts/s: {successes / elapsed:.1f}")
    p50, p95, p99 = (stats.percentile(p) * 1000 for p in (50, 95, 99))
    worst = max(stats.latencies, default=0) * 1000
    print(f"latency ms: p50 {p50:.0f}  p95 {p95:.0f}  p99 {p99:.0f}  max {worst:.0f}")
    print("statuses:", dict(sorted(stats.statuses.items())))


def main() -> int:
    args = parse_args()
    env = common.server_env(args, PAYMENT_TIMEOUT_MINUTES="30")
    os.environ.update(env)
    customers_needed = args.max_checkouts  # one fresh customer per spread checkout

    print(f"database: {args.engine} {args.db_name} (recreated)")
    common.setup_database(args, env)
    started = time.monotonic()
    data = seed(args, customers_needed)
    print(
        f"seeded {args.shops} shops, {args.products + 1} products, "
        f"{customers_needed + args.hot_buyers} customers in {time.monotonic() - started:.1f} s"
    )

    port = common.free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-checkout-{port}.log"
    server = common.start_server(workers=args.workers, env=env, port=port, log=log)
    base = f"http://127.0.0.1:{port}"
    print(f"gunicorn: {args.workers} workers on {base} (log: {log})")
    try:
        checkout_stats, cart_stats, spread_elapsed = run_spread(args, base, data)
        hot_stats, hot_elapsed = run_hot(base, data)
    finally:
        common.stop_server(server)

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
    ok, text = common.oversell_check(data.hot_product_id, args.hot_stock)
    print("\n== oversell check ==")
    print(text)
    print("OK" if ok else "FAILED")
    all_stats = (checkout_stats, cart_stats, hot_stats)
    errors = sum(s.server_errors() for s in all_stats)
    if errors:
        print(f"{errors} server error(s): see {log}")
    unanswered = sum(s.client_errors() for s in all_stats)
    if unanswered:
        print(f"{unanswered} request(s) got no answer: see {log}")

    common.teardown(args)
    return 0 if ok and not errors and not unanswered else 1


if __name__ == "__main__":
    raise SystemExit(main())
