"""Catalogue import benchmark: a 10,000-row CSV file through the import endpoint, in-process.

    .venv/bin/python bench/catalogue_import.py                 # PostgreSQL, mkt_bench_csv
    .venv/bin/python bench/catalogue_import.py --engine mysql  # MariaDB
    .venv/bin/python bench/catalogue_import.py --rows 2000     # a smaller file

What it does:
1. (re)creates its own database (`--db-name`) and migrates it, then makes one shop with its
   owner and one category;
2. writes a file of `--rows` rows: `--rows / 4` products with a `Size` option, 4 variants each;
3. posts it to `POST /api/v1/shops/{id}/products/import/` through Django's test client (the
   whole middleware and DRF stack, the multipart parser included, no HTTP server) four times:
   the first import (every product and variant created, its stock ledgered), the same file
   again (nothing changes), a file where every row's price and stock changed (every variant
   updated, one ledger movement each) and the shop's own export of the result (nothing
   changes);
4. prints the seconds of each, rows a second, the statements each ran, and checks the answers
   (`created`, `updated`, `unchanged`) and that the ledger adds up; exits 1 when one is wrong.

It is bounded (one file, four requests) and never runs in the test suite. The database helpers
are `bench/common.py`'s.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engine", choices=["postgresql", "mysql"], default="postgresql")
    parser.add_argument("--db-name", default="mkt_bench_csv")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database after")
    return parser.parse_args()


SIZES = ("S", "M", "L", "XL")


def catalogue_file(rows: int, *, price_step: int = 0, stock_step: int = 0) -> bytes:
    from products.catalogue_csv import COLUMNS

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(rows):
        product, size = divmod(n, len(SIZES))
        writer.writerow(
            [
                f"Ankara print {product}",
                f"Wax print number {product}, 100% cotton.",
                "fabrics",
                "Size",
                SIZES[size],
                "",
                "",
                "",
                "",
                f"ANK-{product}-{SIZES[size]}",
                f"{1000 + product % 500 + size * 250 + price_step}.00",
                str(10 + size + stock_step),
                "true",
            ]
        )
    return buffer.getvalue().encode()


def post(client, url: str, content: bytes) -> tuple[float, int, dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    upload = SimpleUploadedFile("catalogue.csv", content, content_type="text/csv")
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.post(url, {"file": upload}, format="multipart")
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"import refused: {response.status_code} {response.content[:500]!r}")
    return elapsed, len(queries), response.json()["data"]


def main() -> int:
    args = parse_args()
    env = common.server_env(args, ALLOWED_HOSTS="testserver")
    os.environ.update(env)
    common.setup_database(args, env)
    try:
        from rest_framework.test import APIClient

        from products.inventory import ledger_drift
        from products.models import Category, ProductVariant
        from shops.models import Shop
        from users.models import User
        from users.services import tokens_for_user

        owner = User.objects.create_user(email="owner@bench.test", password=common.PASSWORD)
        shop = Shop.objects.create(owner=owner, name="Bench fabrics")
        Category.objects.create(name="Fabrics", slug="fabrics")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=owner)['access']}")
        url = f"/api/v1/shops/{shop.id}/products/import/"
        rows = args.rows - args.rows % len(SIZES)
        first = catalogue_file(rows)
        changed = catalogue_file(rows, price_step=1, stock_step=2)

        runs = [
            ("first import", first, {"created": rows, "updated": 0, "unchanged": 0}),
            ("same file again", first, {"created": 0, "updated": 0, "unchanged": rows}),
            ("every row changed", changed, {"created": 0, "updated": rows, "unchanged": 0}),
        ]
        ok = True
        print(f"{args.engine}, {rows} rows ({len(first) / 2**20:.2f} MB), {rows // 4} products")
        for name, content, expected in runs:
            elapsed, statements, answer = post(client, url, content)
            good = all(answer[key] == value for key, value in expected.items())
            ok = ok and good
            print(
                f"{name:20} {elapsed:7.2f} s  {rows / elapsed:8.0f} rows/s  "
                f"{statements:5d} statements  {answer}{'' if good else '  WRONG'}"
            )
        start = time.perf_counter()
        exported = client.get(f"/api/v1/shops/{shop.id}/products/export/")
        elapsed = time.perf_counter() - start
        print(f"{'export':20} {elapsed:7.2f} s  {rows / elapsed:8.0f} rows/s")
        elapsed, statements, answer = post(client, url, exported.content)
        good = answer["unchanged"] == rows
        ok = ok and good
        print(
            f"{'export imported back':20} {elapsed:7.2f} s  {rows / elapsed:8.0f} rows/s  "
            f"{statements:5d} statements  {answer}{'' if good else '  WRONG'}"
        )
        drift = ledger_drift()
        variants = ProductVariant.objects.filter(shop=shop).count()
        print(f"variants: {variants}; ledger drift: {len(drift)}")
        ok = ok and not drift and variants == rows
        return 0 if ok else 1
    finally:
        common.teardown(args)


if __name__ == "__main__":
    sys.exit(main())
