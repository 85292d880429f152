"""Reads: accounts with their roles, and the caller's addresses."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)

from core.errors import NotFound
from users.models import Address, User

ACTIVE_SHOPS_ATTR = "active_shops_owned"


class Role(StrEnum):
    """One role per account, the most powerful one winning (an admin who owns a shop is admin)."""

    ADMIN = "admin"
    SHOP_STAFF = "shop_staff"
    SHOP_OWNER = "shop_owner"
    CUSTOMER = "customer"


def _active_shops() -> QuerySet:
    """Shops sit on the floor above: they are reached through the relation they declare to their
    owner (`Shop.owner`, related name `shops_owned`), not imported."""
    shop: Any = User._meta.get_field("shops_owned").related_model
    return shop.objects.filter(is_active=True)


def _active_shops_prefetch() -> Prefetch:
    shops = _active_shops().only("id", "name", "owner_id").order_by("name")
    return Prefetch("shops_owned", queryset=shops, to_attr=ACTIVE_SHOPS_ATTR)


def user_shops_owned(user: User) -> list[Any]:
    """The account's active shops: prefetched by the selectors below, or one query."""
    if user.is_shop_staff:
        return []
    prefetched = getattr(user, ACTIVE_SHOPS_ATTR, None)
    if prefetched is not None:
        return prefetched
    shops = list(user.shops_owned.filter(is_active=True).only("id", "name").order_by("name"))
    setattr(user, ACTIVE_SHOPS_ATTR, shops)
    return shops


def user_role(user: User) -> Role:
    if user.is_platform_admin:
        return Role.ADMIN
    if user.is_shop_staff:
        return Role.SHOP_STAFF
    if user_shops_owned(user):
        return Role.SHOP_OWNER
    return Role.CUSTOMER


def user_with_roles(*, user: User) -> User:
    """Loads what the user representation needs (its shop, its active shops) in one query.

    Shop staff own no shops, so for them nothing is loaded at all.
    """
    if not user.is_shop_staff and not hasattr(user, ACTIVE_SHOPS_ATTR):
        prefetch_related_objects([user], _active_shops_prefetch())
    return user


def users_list(*, search: str | None = None, role: str | None = None) -> QuerySet[User]:
    """Every account for platform admins, newest first; two queries per page whatever its size."""
    users = User.objects.select_related("shop").prefetch_related(_active_shops_prefetch())
    if search:
        users = users.filter(
            Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(handle__icontains=search)
        )
    if role:
        users = users_with_role(users, role=role)
    return users.order_by("-date_joined", "id")


def users_with_role(users: QuerySet[User], *, role: str) -> QuerySet[User]:
    """Narrow `users` to one role, computed in the database the same way as `user_role`."""
    admin = Q(is_staff=True) | Q(is_superuser=True)
    owns_shop = Exists(_active_shops().filter(owner=OuterRef("pk")))
    if role == Role.ADMIN:
        return users.filter(admin)
    if role == Role.SHOP_STAFF:
        return users.filter(shop__isnull=False).exclude(admin)
    if role == Role.SHOP_OWNER:
        return users.filter(owns_shop, shop__isnull=True).exclude(admin)
    if role == Role.CUSTOMER:
        return users.filter(~owns_shop, shop__isnull=True).exclude(admin)
    return users


def addresses_for_user(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "id")


def address_get(*, user: User, address_id: uuid.UUID) -> Address:
    """The caller's address; another account's id is reported as not found."""
    address = addresses_for_user(user=user).filter(id=address_id).first()
    if address is None:
        raise NotFound("Address not found.")
    return address
