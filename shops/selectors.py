"""Who may act in a shop: the one place every shop-scoped endpoint asks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q, QuerySet

from core.errors import NotFound
from shops.models import DeliveryZone, Shop, public_shop_q
from users.models import User


class ShopRole(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    ADMIN = "admin"


@dataclass(frozen=True)
class Membership:
    shop: Shop
    role: ShopRole

    @property
    def can_manage_shop(self) -> bool:
        """Owner-only actions: shop settings, staff accounts."""
        return self.role in (ShopRole.OWNER, ShopRole.ADMIN)


def shop_role(*, user: User, shop: Shop) -> ShopRole | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_platform_admin:
        return ShopRole.ADMIN
    if shop.owner_id == user.id:
        return ShopRole.OWNER
    # Staff of a deactivated shop act nowhere (as in `shops_for_member`).
    if user.shop_id == shop.id and shop.is_active:
        return ShopRole.STAFF
    return None


def is_shop_member(*, user: User, shop: Shop) -> bool:
    """Owner, active staff of an active shop, or admin. Costs no query."""
    return shop_role(user=user, shop=shop) is not None


def shops_for_member(*, user: User) -> QuerySet[Shop]:
    """Shops the user may act in (all of them for admins)."""
    if not user.is_authenticated or not user.is_active:
        return Shop.objects.none()
    if user.is_platform_admin:
        return Shop.objects.all()
    if user.shop_id is not None:
        return Shop.objects.filter(id=user.shop_id, is_active=True)
    return Shop.objects.filter(owner=user)


def shop_membership(*, user: User, shop_id: uuid.UUID | str) -> Membership:
    """The caller's membership of that shop; 404 when the caller is not a member."""
    shop = shops_for_member(user=user).filter(id=shop_id).first()
    role = shop_role(user=user, shop=shop) if shop else None
    if shop is None or role is None:
        raise NotFound("Shop not found.")
    return Membership(shop=shop, role=role)


def shops_public(*, search: str = "") -> QuerySet[Shop]:
    """Public shops (active and approved), optionally matching `search` in the name or
    description."""
    return shops_search(Shop.objects.filter(public_shop_q()), search=search)


def shops_listed(*, user: User, search: str = "", status: str | None = None) -> QuerySet[Shop]:
    """`GET /shops/`: public shops; with `status`, an admin gets every shop with that status,
    active or not (the review queue), anyone else the public shops with that status."""
    if status and user.is_authenticated and user.is_platform_admin:
        return shops_search(Shop.objects.filter(status=status), search=search)
    shops = shops_public(search=search)
    return shops.filter(status=status) if status else shops


def shops_search(shops: QuerySet[Shop], *, search: str = "") -> QuerySet[Shop]:
    if search:
        shops = shops.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return shops.order_by("name", "id")


def shop_get_visible(*, user: User, shop_id: uuid.UUID | str) -> Shop:
    """A public shop, or one the caller is a member of (inactive, pending, rejected or
    suspended); 404 otherwise."""
    shop = Shop.objects.filter(id=shop_id).first()
    if shop is None or not (shop.is_public or is_shop_member(user=user, shop=shop)):
        raise NotFound("Shop not found.")
    return shop


def staff_for_shop(*, shop: Shop) -> QuerySet[User]:
    """The shop's staff accounts, active or not, by handle."""
    return User.objects.filter(shop=shop).select_related("shop").order_by("handle", "id")


def staff_member_get(*, shop: Shop, user_id: uuid.UUID | str) -> User:
    staff = staff_for_shop(shop=shop).filter(id=user_id).first()
    if staff is None:
        raise NotFound("Staff member not found.")
    return staff


def delivery_zones_for_shop(*, shop: Shop) -> QuerySet[DeliveryZone]:
    return DeliveryZone.objects.filter(shop=shop).order_by("name", "id")


def delivery_zone_get(*, shop: Shop, zone_id: uuid.UUID | str) -> DeliveryZone:
    zone = delivery_zones_for_shop(shop=shop).filter(id=zone_id).first()
    if zone is None:
        raise NotFound("Delivery zone not found.")
    zone.shop = shop
    return zone


def delivery_zones_by_shop(*, shop_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[DeliveryZone]]:
    """The zones of every one of these shops, in one query (a shop without zones is absent)."""
    zones: dict[uuid.UUID, list[DeliveryZone]] = {}
    for zone in DeliveryZone.objects.filter(shop_id__in=list(shop_ids)).order_by("name", "id"):
        zones.setdefault(zone.shop_id, []).append(zone)
    return zones
