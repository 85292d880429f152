"""Loads demo data into an empty database: `python manage.py seed_demo`.

Each app that has something to show contributes a `seed_demo(stdout)` function in its
`demo.py`; they run in dependency order inside one transaction.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

SEED_MODULES = ["users.demo", "shops.demo", "products.demo", "orders.demo"]


class Command(BaseCommand):
    help = "Load demo data (accounts, shops, catalogue) when the database is empty."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any user already exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and get_user_model().objects.exists():
            self.stdout.write("Database already has data; demo data not loaded.")
            return
        with transaction.atomic():
            for name in SEED_MODULES:
                try:
                    module = import_module(name)
                except ModuleNotFoundError:
                    continue
                module.seed_demo(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
