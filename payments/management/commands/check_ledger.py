"""`python manage.py check_ledger`: does every shop's stored balance equal its ledger's sum,
and has every completed order and every payout its entries?

Exits with status 1 and lists what drifted, so it can run from cron or CI.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.models import ShopBalance
from payments.services.settlement import ledger_cause_problems, ledger_drift


class Command(BaseCommand):
    help = "Verify the shops' ledgers: stored balances, and the entries of orders and payouts."

    def handle(self, *args: Any, **options: Any) -> None:
        drift = ledger_drift()
        problems = ledger_cause_problems()
        checked = ShopBalance.objects.count()
        if not drift and not problems:
            self.stdout.write(self.style.SUCCESS(f"Ledger is consistent ({checked} shops)."))
            return
        if drift:
            self.stdout.write(f"{'shop':36}  {'stored':>14}  {'ledger':>14}  {'drift':>14}")
            for shop_id, stored, ledger in drift:
                self.stdout.write(
                    f"{shop_id!s:36}  {stored:>14}  {ledger:>14}  {stored - ledger:>+14}"
                )
        for problem in problems:
            self.stdout.write(problem)
        raise CommandError(
            f"Ledger drift in {len(drift)} shops, {len(problems)} causes.", returncode=1
        )
