"""Writes for shops, their staff accounts and their delivery zones."""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.catalogue_cache import catalogue_changed
from core.emails import queue_email
from core.errors import (
    Conflict,
    FileTooLarge,
    InvalidInput,
    InvalidTransition,
    UnsupportedMediaType,
    raises,
)
from core.images import image_delete, image_process, image_store
from shops.delivery import zone_states_clean
from shops.models import DeliveryZone, Shop, ShopStatus, ShopStatusEvent, generate_shop_code
from users.models import User
from users.services import user_deactivate, user_password_set, user_tokens_revoke

SHOP_NAME_TAKEN = "A shop with this name already exists."
HANDLE_TAKEN = "A staff member with this handle already exists in this shop."
SHOP_UPDATABLE_FIELDS = (
    "name",
    "description",
    "delivery_fee",
    "low_stock_threshold",
    "paystack_subaccount_code",
    # Admins only (checked by the view).
    "commission_percent",
    "payouts_paused",
)
STAFF_UPDATABLE_FIELDS = ("handle", "first_name", "last_name", "is_active")
_CODE_ATTEMPTS = 5
# The moves an admin may make: approve or reject a pending shop, suspend an approved one,
# reinstate a suspended one, reconsider a rejected one.
SHOP_STATUS_MOVES: dict[str, tuple[str, ...]] = {
    ShopStatus.PENDING: (ShopStatus.APPROVED, ShopStatus.REJECTED),
    ShopStatus.APPROVED: (ShopStatus.SUSPENDED,),
    ShopStatus.SUSPENDED: (ShopStatus.APPROVED,),
    ShopStatus.REJECTED: (ShopStatus.APPROVED, ShopStatus.PENDING),
}


def _shop_name_taken(name: str, *, exclude_id: Any = None) -> bool:
    shops = Shop.objects.filter(name__iexact=name)
    if exclude_id is not None:
        shops = shops.exclude(id=exclude_id)
    return shops.exists()


@raises(Conflict)
def shop_create(
    *,
    owner: User,
    name: str,
    description: str = "",
    delivery_fee: Decimal = Decimal("0.00"),
    low_stock_threshold: int = 5,
    paystack_subaccount_code: str = "",
) -> Shop:
    """Create a shop with a fresh random code. A name taken in any letter case is a 409."""
    if _shop_name_taken(name):
        raise Conflict(SHOP_NAME_TAKEN)
    for _ in range(_CODE_ATTEMPTS):
        shop = Shop(
            owner=owner,
            name=name,
            description=description,
            delivery_fee=delivery_fee,
            low_stock_threshold=low_stock_threshold,
            paystack_subaccount_code=paystack_subaccount_code,
            code=generate_shop_code(),
            status=(ShopStatus.PENDING if settings.SHOP_APPROVAL_REQUIRED else ShopStatus.APPROVED),
        )
        try:
            with transaction.atomic():
                shop.save(force_insert=True)
            return shop
        except IntegrityError as exc:
            # Either a concurrent request took the name, or (rarely) the random code collided.
            if _shop_name_taken(name):
                raise Conflict(SHOP_NAME_TAKEN) from exc
            if not Shop.objects.filter(code=shop.code).exists():
                raise
    raise Conflict("Could not allocate a shop code; try again.")


@raises(Conflict, FileTooLarge, UnsupportedMediaType)
def shop_update(
    *,
    shop: Shop,
    data: dict[str, Any],
    logo: IO[bytes] | None = None,
    remove_logo: bool = False,
) -> Shop:
    """Change the whitelisted fields of a shop and, optionally, its logo."""
    fields = {key: value for key, value in data.items() if key in SHOP_UPDATABLE_FIELDS}
    if "name" in fields and _shop_name_taken(fields["name"], exclude_id=shop.id):
        raise Conflict(SHOP_NAME_TAKEN)
    new_logo = None
    if logo is not None:
        # Decode and store before the transaction: no row is held while Pillow works.
        new_logo = image_store(processed=image_process(logo), folder="shops/logos")
    old_logo = shop.logo.name if (new_logo or remove_logo) else None
    try:
        with transaction.atomic():
            for key, value in fields.items():
                setattr(shop, key, value)
            if new_logo:
                shop.logo.name = new_logo
            elif remove_logo:
                shop.logo = None
            shop.save()
            catalogue_changed()  # products show their shop's name
            if old_logo:
                transaction.on_commit(lambda: image_delete(old_logo))
    except IntegrityError as exc:
        image_delete(new_logo)
        if "name" in fields and _shop_name_taken(fields["name"], exclude_id=shop.id):
            raise Conflict(SHOP_NAME_TAKEN) from exc
        raise
    except Exception:
        image_delete(new_logo)
        raise
    return shop


def shop_deactivate(*, shop: Shop) -> Shop:
    """Deactivate a shop: it and its products leave the catalogue; its orders stay."""
    if shop.is_active:
        shop.is_active = False
        shop.save(update_fields=["is_active", "updated_at"])
        catalogue_changed()
    return shop


@raises(InvalidTransition)
def shop_status_change(*, shop_id: Any, status: str, note: str = "", actor: User | None) -> Shop:
    """An admin moves a shop's status (see `SHOP_STATUS_MOVES`; anything else is
    `InvalidTransition`). The shop's row is locked while the move is checked and made; the owner
    is e-mailed once the transaction commits, and the public catalogue forgets its cached pages
    (a shop that stops being public takes its products with it, at once)."""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().select_related("owner").get(id=shop_id)
        allowed = list(SHOP_STATUS_MOVES[shop.status])
        if status not in allowed:
            raise InvalidTransition(from_status=shop.status, to_status=status, allowed=allowed)
        event = ShopStatusEvent.objects.create(
            shop=shop, from_status=shop.status, to_status=status, note=note, actor=actor
        )
        shop.status = status
        shop.status_note = note
        shop.save(update_fields=["status", "status_note", "updated_at"])
        catalogue_changed()
        if shop.owner.email:
            queue_email(
                to=shop.owner.email,
                subject=f"Your shop {shop.name} is now {status}",
                template="shop_status",
                context={
                    "shop_name": shop.name,
                    "status": status,
                    "previous": event.from_status,
                    "note": note,
                },
                key=f"shop-status:{event.id}",
            )
    return shop


def shops_close_for_owner(*, owner: User) -> None:
    """The owner's account is being closed: its shops are deactivated (their products leave the
    catalogue, their orders stay) and their staff lose access with them."""
    owned = Shop.objects.filter(owner=owner, is_active=True)
    User.objects.filter(shop__in=owned).update(token_version=F("token_version") + 1)
    if owned.update(is_active=False, updated_at=timezone.now()):
        catalogue_changed()


def _validate_password(password: str, user: User, field: str) -> None:
    """Django's validators, plus: not too similar to the staff member's handle."""
    validators = [
        *password_validation.get_default_password_validators(),
        password_validation.UserAttributeSimilarityValidator(user_attributes=("handle",)),
    ]
    try:
        password_validation.validate_password(password, user=user, password_validators=validators)
    except DjangoValidationError as exc:
        raise InvalidInput({field: list(exc.messages)}) from exc


def _handle_taken(shop: Shop | None, handle: str, *, exclude_id: Any = None) -> bool:
    staff = User.objects.filter(shop=shop, handle__iexact=handle)
    if exclude_id is not None:
        staff = staff.exclude(id=exclude_id)
    return staff.exists()


@raises(Conflict)
def staff_create(
    *, shop: Shop, handle: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """A staff account of `shop`: no e-mail, logs in with the shop code, handle and password."""
    handle = handle.lower()
    staff = User(
        email=None,
        shop=shop,
        handle=handle,
        first_name=first_name,
        last_name=last_name,
        is_email_verified=False,
    )
    _validate_password(password, staff, "password")
    if _handle_taken(shop, handle):
        raise Conflict(HANDLE_TAKEN)
    staff.set_password(password)
    try:
        with transaction.atomic():
            staff.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(HANDLE_TAKEN) from exc
    return staff


@raises(Conflict)
def staff_update(*, staff: User, data: dict[str, Any]) -> User:
    """Edit a staff account; deactivating it revokes its tokens at once."""
    fields = {key: value for key, value in data.items() if key in STAFF_UPDATABLE_FIELDS}
    if "handle" in fields:
        fields["handle"] = fields["handle"].lower()
        if _handle_taken(staff.shop, fields["handle"], exclude_id=staff.id):
            raise Conflict(HANDLE_TAKEN)
    deactivating = fields.get("is_active") is False and staff.is_active
    try:
        with transaction.atomic():
            for key, value in fields.items():
                setattr(staff, key, value)
            if fields:
                staff.save(update_fields=list(fields))
            if deactivating:
                user_tokens_revoke(user=staff)
    except IntegrityError as exc:
        raise Conflict(HANDLE_TAKEN) from exc
    return staff


def staff_deactivate(*, staff: User) -> User:
    """The staff account can no longer log in and its tokens stop working at once."""
    user_deactivate(user=staff)
    return staff


def staff_password_set(*, staff: User, new_password: str) -> User:
    """The owner sets a new password for a staff member; the member's tokens are revoked."""
    _validate_password(new_password, staff, "new_password")
    user_password_set(user=staff, password=new_password)
    return staff


# --- Delivery zones ------------------------------------------------------------------------------
MAX_DELIVERY_ZONES = 50
ZONE_FIELDS = ("name", "country", "states", "fee", "free_over", "days_min", "days_max")


def _zone_check(zone: DeliveryZone) -> None:
    """Under the shop's lock: the zone's states cleaned, its days in order, and no other zone
    of the shop with its name or covering one of its states (`*` included): which zone covers
    an address never depends on the order zones were made in."""
    zone.states = zone_states_clean(country=zone.country, states=zone.states)
    if zone.days_min > zone.days_max:
        raise InvalidInput({"days_max": ["Must not be less than `days_min`."]})
    others = list(DeliveryZone.objects.filter(shop_id=zone.shop_id).exclude(id=zone.id))
    if any(other.name.casefold() == zone.name.casefold() for other in others):
        raise Conflict("The shop has a delivery zone with this name.")
    covered = {state for other in others if other.country == zone.country for state in other.states}
    overlap = sorted(covered.intersection(zone.states))
    if overlap:
        raise Conflict(
            "Another delivery zone of the shop covers these states.", errors={"states": overlap}
        )


def _lock_shop(shop: Shop) -> None:
    Shop.objects.select_for_update().filter(pk=shop.pk).values_list("pk").first()


@transaction.atomic
@raises(InvalidInput, Conflict)
def delivery_zone_create(*, shop: Shop, data: dict[str, Any]) -> DeliveryZone:
    """Add a zone to the shop (at most `MAX_DELIVERY_ZONES`)."""
    _lock_shop(shop)
    if DeliveryZone.objects.filter(shop=shop).count() >= MAX_DELIVERY_ZONES:
        raise Conflict(f"A shop has at most {MAX_DELIVERY_ZONES} delivery zones.")
    zone = DeliveryZone(shop=shop, **{name: data[name] for name in ZONE_FIELDS if name in data})
    _zone_check(zone)
    zone.save(force_insert=True)
    return zone


@transaction.atomic
@raises(InvalidInput, Conflict)
def delivery_zone_update(*, zone: DeliveryZone, data: dict[str, Any]) -> DeliveryZone:
    """Change a zone; the whole zone is checked again as it will be."""
    _lock_shop(zone.shop)
    for name in ZONE_FIELDS:
        if name in data:
            setattr(zone, name, data[name])
    _zone_check(zone)
    zone.save()
    return zone


def delivery_zone_delete(*, zone: DeliveryZone) -> None:
    zone.delete()
