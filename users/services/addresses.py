"""An account's address book: at most `MAX_ADDRESSES`, at most one default.

Every write locks the account's row first, so concurrent requests of one account cannot pass
the limit or leave two defaults.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from core.errors import Conflict, InvalidInput, raises
from users.countries import has_states, state_code
from users.models import Address, User
from users.selectors import address_get, addresses_for_user

MAX_ADDRESSES = 10
ADDRESS_FIELDS = (
    "full_name",
    "phone",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "country",
)


def _lock_account(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()


def _clear_default(user: User, *, keep: Address | None = None) -> None:
    others = addresses_for_user(user=user).filter(is_default=True)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    others.update(is_default=False)


def _set_state(address: Address) -> None:
    """In a country with a list of states, the address's state must name one of them: it is
    stored as its code. Elsewhere the state is free text."""
    if not has_states(address.country):
        address.state_unrecognised = False
        return
    code = state_code(address.country, address.state)
    if code is None:
        message = (
            f"Enter a state of {address.country} by its code or name (see /countries/"
            f"{address.country}/states/)."
        )
        raise InvalidInput({"state": [message]})
    address.state, address.state_unrecognised = code, False


@transaction.atomic
@raises(Conflict)
def address_create(*, user: User, data: dict[str, Any]) -> Address:
    """Add an address; the first one, or one sent with `is_default`, becomes the default."""
    address = Address(user=user, **{name: data[name] for name in ADDRESS_FIELDS if name in data})
    _set_state(address)
    _lock_account(user)
    count = addresses_for_user(user=user).count()
    if count >= MAX_ADDRESSES:
        raise Conflict(f"You can keep at most {MAX_ADDRESSES} addresses; delete one first.")
    address.is_default = bool(data.get("is_default")) or count == 0
    if address.is_default:
        _clear_default(user)
    address.save(force_insert=True)
    return address


@transaction.atomic
def address_update(*, user: User, address_id: uuid.UUID, data: dict[str, Any]) -> Address:
    """Change an address; `is_default: true` makes it the only default."""
    _lock_account(user)
    address = address_get(user=user, address_id=address_id)
    fields = [name for name in ADDRESS_FIELDS if name in data]
    for name in fields:
        setattr(address, name, data[name])
    if {"state", "country"} & set(fields):
        _set_state(address)
        fields += [name for name in ("state", "state_unrecognised") if name not in fields]
    if "is_default" in data:
        address.is_default = bool(data["is_default"])
        fields.append("is_default")
        if address.is_default:
            _clear_default(user, keep=address)
    if fields:
        address.save(update_fields=fields)
    return address


@transaction.atomic
def address_delete(*, user: User, address_id: uuid.UUID) -> None:
    """Delete an address; when it was the default, the newest remaining one takes its place."""
    _lock_account(user)
    address = address_get(user=user, address_id=address_id)
    address.delete()
    if address.is_default:
        newest = addresses_for_user(user=user).order_by("-created_at", "id").first()
        if newest is not None:
            Address.objects.filter(pk=newest.pk).update(is_default=True)
