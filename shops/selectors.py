"""Who may act in a shop: the one place every shop-scoped endpoint asks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import QuerySet

from core.errors import NotFound
from shops.models import Shop
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
    if user.shop_id == shop.id:
        return ShopRole.STAFF
    return None


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
