"""Demo shops for `python manage.py seed_demo`: three shops of the demo owners, one staff
member each, with delivery zones (cheaper in Lagos; Bola Books delivers in Lagos only).
Runs after `users.demo`; skips whatever already exists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shops.models import DeliveryZone, Shop
from shops.services import delivery_zone_create, staff_create
from users.models import User

DEMO_PASSWORD = "Marketplace-Demo-1"


def _zone(
    name: str, states: list[str], fee: str, days: tuple[int, int], free_over: str | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "states": states,
        "fee": Decimal(fee),
        "free_over": None if free_over is None else Decimal(free_over),
        "days_min": days[0],
        "days_max": days[1],
    }


DEMO_SHOPS: list[dict[str, Any]] = [
    {
        "owner": "ada@example.com",
        "name": "Ada's Fabrics",
        "description": "Ankara, lace and aso-oke, cut to order.",
        "delivery_fee": Decimal("1500.00"),
        "staff": {"handle": "tolu", "first_name": "Tolu", "last_name": "Bakare"},
        "zones": [
            _zone("Lagos", ["NG-LA"], "1000.00", (1, 2), free_over="30000.00"),
            _zone("Rest of Nigeria", ["*"], "2500.00", (3, 6)),
        ],
    },
    {
        "owner": "ada@example.com",
        "name": "Lagos Gadgets",
        "description": "Phones, chargers and everything in between.",
        "delivery_fee": Decimal("2000.00"),
        "staff": {"handle": "emeka", "first_name": "Emeka", "last_name": "Nwosu"},
        "zones": [
            _zone("Lagos", ["NG-LA"], "1500.00", (0, 1), free_over="100000.00"),
            _zone("Rest of Nigeria", ["*"], "3000.00", (2, 5)),
        ],
    },
    {
        "owner": "bola@example.com",
        "name": "Bola Books",
        "description": "New and second-hand books from Nigerian and African writers.",
        "delivery_fee": Decimal("1000.00"),
        "staff": {"handle": "funke", "first_name": "Funke", "last_name": "Ojo"},
        "zones": [_zone("Lagos", ["NG-LA"], "800.00", (0, 1), free_over="20000.00")],
    },
]


def demo_shops() -> list[Shop]:
    """The demo shops that exist, in the order above, with their owner (for `seed_demo
    --show`)."""
    names = [spec["name"] for spec in DEMO_SHOPS]
    found = {
        shop.name: shop for shop in Shop.objects.filter(name__in=names).select_related("owner")
    }
    return [found[name] for name in names if name in found]


def demo_staff_handles(shops: list[Shop]) -> dict[Any, list[str]]:
    """Shop id -> the handles of its active staff."""
    handles: dict[Any, list[str]] = {}
    staff = User.objects.filter(shop__in=shops, is_active=True).order_by("handle")
    for shop_id, handle in staff.values_list("shop_id", "handle"):
        handles.setdefault(shop_id, []).append(handle)
    return handles


def seed_demo(stdout: Any) -> None:
    for spec in DEMO_SHOPS:
        owner = User.objects.filter(email=spec["owner"]).first()
        if owner is None:
            stdout.write(f"  {spec['owner']} does not exist: shop {spec['name']} skipped")
            continue
        shop, created = Shop.objects.get_or_create(
            name=spec["name"],
            defaults={
                "owner": owner,
                "description": spec["description"],
                "delivery_fee": spec["delivery_fee"],
                "low_stock_threshold": 3,
            },
        )
        staff_spec = spec["staff"]
        if not User.objects.filter(shop=shop, handle=staff_spec["handle"]).exists():
            staff_create(shop=shop, password=DEMO_PASSWORD, **staff_spec)
        if not DeliveryZone.objects.filter(shop=shop).exists():
            for zone in spec["zones"]:
                delivery_zone_create(shop=shop, data=zone)
        if created:
            stdout.write(
                f"  shop {shop.name} (owner {owner.email}), shop code {shop.code}: "
                f"staff handle {staff_spec['handle']}, password {DEMO_PASSWORD}"
            )
