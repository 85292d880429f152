"""Loads demo data into an empty database: `python manage.py seed_demo`.

Each app that has something to show contributes a `seed_demo(stdout)` function in its
`demo.py`; they run floor by floor inside one transaction. The command lives in the top app,
the only one that may import all the others.

The demo accounts and shop codes (needed to log in as shop staff) are printed last, after
whatever the seeding printed (e-mails on the console), and again by `seed_demo --if-empty` on a
database that has data, and by `seed_demo --show` alone.
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
    help = (
        "Load demo data (accounts, shops, catalogue, orders, reviews) when the database is "
        "empty, then print the demo accounts and shop codes."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Load nothing when any user already exists."
        )
        parser.add_argument(
            "--show", action="store_true", help="Only print the demo accounts and shop codes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["show"]:
            self.show()
            return
        if options["if_empty"] and get_user_model().objects.exists():
            self.stdout.write("Database already has data; demo data not loaded.")
        else:
            with transaction.atomic():
                for module in SEED_MODULES:
                    module.seed_demo(self.stdout)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.show()

    def show(self) -> None:
        accounts = users_demo.demo_accounts()
        shops = shops_demo.demo_shops()
        if not accounts:
            self.stdout.write("No demo accounts here: run `python manage.py seed_demo`.")
            return
        owners = {shop.owner_id for shop in shops}
        write = self.stdout.write
        write("")
        write(self.style.MIGRATE_HEADING(f"Demo accounts (password {users_demo.DEMO_PASSWORD})"))
        for user in accounts:
            if user.is_superuser:
                role = "platform admin (API and /admin/)"
            elif user.id in owners:
                role = "shop owner"
            else:
                role = "customer"
            write(f"  {user.email:<24} {role}")
        if shops:
            write(
                self.style.MIGRATE_HEADING(
                    "Shop staff: POST /api/v1/auth/staff/login/ with the shop code and a handle"
                )
            )
            staff = shops_demo.demo_staff_handles(shops)
            for shop in shops:
                handles = ", ".join(staff.get(shop.id, [])) or "none"
                write(f"  {shop.name:<24} code {shop.code}   handles {handles}")
        write("Print this again with: python manage.py seed_demo --show")
