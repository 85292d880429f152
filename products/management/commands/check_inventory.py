"""`python manage.py check_inventory`: does every variant's stock equal its ledger's sum?

Exits with status 1 and lists the variants that drifted, so it can run from cron or CI.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from products.inventory import ledger_drift
from products.models import ProductVariant


class Command(BaseCommand):
    help = "Verify that each variant's stock equals the sum of its inventory movements."

    def handle(self, *args: Any, **options: Any) -> None:
        drift = ledger_drift()
        checked = ProductVariant.objects.count()
        if not drift:
            self.stdout.write(
                self.style.SUCCESS(f"Inventory ledger is consistent ({checked} variants).")
            )
            return
        self.stdout.write(f"{'variant':36}  {'stock':>10}  {'ledger':>10}  {'drift':>10}")
        for variant_id, stock, ledger in drift:
            diff = stock - ledger
            self.stdout.write(f"{variant_id!s:36}  {stock:>10}  {ledger:>10}  {diff:>+10}")
        raise CommandError(f"Inventory drift in {len(drift)} of {checked} variants.", returncode=1)
