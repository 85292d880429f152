"""`python manage.py refresh_product_prices [--check]`: does every product's stored price range
(`price_min`, `price_max`, which `?ordering=price` reads) match its active variants?

The API's writes keep it; a variant edited another way (the admin's variant rows, code older
than the columns still serving during a deploy, a hand-written UPDATE) may leave it behind.
Products are read in batches by id; those that differ are listed and, unless `--check`, fixed
(each batch locked and written in its own short transaction). With `--check` it exits with
status 1 when any differs, so it can run from cron or CI.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from products.models import Product
from products.variants import product_prices_drift, product_prices_refresh

BATCH = 2000


class Command(BaseCommand):
    help = "Check (--check) or fix each product's stored price range against its variants."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="Report only; exit 1 on drift.")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, stale = 0, []
        products = Product.objects.order_by("id").values_list("id", flat=True)
        ids = list(products[:BATCH])
        while ids:
            checked += len(ids)
            found = product_prices_drift(ids)
            if found and not options["check"]:
                product_prices_refresh(found)
            stale += found
            ids = list(products.filter(id__gt=ids[-1])[:BATCH])
        for product_id in stale:
            self.stdout.write(str(product_id))
        if not stale:
            self.stdout.write(
                self.style.SUCCESS(f"Price ranges are up to date ({checked} products).")
            )
        elif options["check"]:
            raise CommandError(
                f"Stale price range in {len(stale)} of {checked} products.", returncode=1
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Refreshed {len(stale)} of {checked} products."))
