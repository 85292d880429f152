"""`python manage.py refresh_status_ranks [--check]`: does every order's stored `status_rank`
(which `?ordering=status` of a shop's orders reads) match its status?

The code keeps it with every write of a status; code older than the column, still serving while
a deploy migrates, does not. Run it once after deploying the migration that adds the column.
One UPDATE per status fixes the orders that differ (unless `--check`); with `--check` it exits
with status 1 when any differs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orders.models import Order, order_status_rank


class Command(BaseCommand):
    help = "Check (--check) or fix each order's stored status rank against its status."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="Report only; exit 1 on drift.")

    def handle(self, *args: Any, **options: Any) -> None:
        stale = 0
        for status in Order.Status.values:
            rank = order_status_rank(status)
            differing = Order.objects.filter(status=status).exclude(status_rank=rank)
            stale += differing.count() if options["check"] else differing.update(status_rank=rank)
        if not stale:
            self.stdout.write(self.style.SUCCESS("Status ranks are up to date."))
        elif options["check"]:
            raise CommandError(f"Stale status rank in {stale} orders.", returncode=1)
        else:
            self.stdout.write(self.style.SUCCESS(f"Refreshed the status rank of {stale} orders."))
