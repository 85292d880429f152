"""Loads demo data into an empty database: `python manage.py seed_demo`.

Each app that has something to show contributes a `seed_demo(stdout)` function in its
`demo.py`; they run floor by floor inside one transaction. The command lives in the top app,
the only one that may import all the others.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from orders import demo as orders_demo
from products import demo as products_demo
from reviews import demo as reviews_demo
from shops import demo as shops_demo
from users import demo as users_demo

SEED_MODULES = [users_demo, shops_demo, products_demo, orders_demo, reviews_demo]


class Command(BaseCommand):
    help = "Load demo data (accounts, shops, catalogue, orders, reviews) into an empty database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any user already exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and get_user_model().objects.exists():
            self.stdout.write("Database already has data; demo data not loaded.")
            return
        with transaction.atomic():
            for module in SEED_MODULES:
                module.seed_demo(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
