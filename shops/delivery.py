"""What a shop charges to deliver to an address, and how soon: a pure decision, the same for
the cart (`carts.selectors.cart_summary`) and for checkout (`orders.checkout`, on the locked
rows), tested without a database.

A shop without zones charges its flat `delivery_fee` everywhere (v1), with no estimate. A shop
with zones delivers to an address only through a zone of the address's country that covers
its state: a zone naming the state wins over the country's `*` zone. The fee is the zone's, or
nothing when the shop's subtotal reaches the zone's `free_over`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.errors import InvalidInput
from shops.models import EVERYWHERE
from users.countries import state_code

ZERO = Decimal("0.00")


class Zone(Protocol):
    name: str
    country: str
    states: list[str]
    fee: Decimal
    free_over: Decimal | None
    days_min: int
    days_max: int


@dataclass(frozen=True)
class DeliveryQuote:
    """`fee` is None when the shop does not deliver there; `zone` is None for a shop without
    zones (the flat fee, no estimate)."""

    deliverable: bool
    fee: Decimal | None
    zone_name: str | None = None
    days_min: int | None = None
    days_max: int | None = None


UNDELIVERABLE = DeliveryQuote(deliverable=False, fee=None)


def covering_zone(zones: Iterable[Zone], *, country: str, state: str) -> Zone | None:
    """The most specific zone for the state: one naming it, else the country's `*` zone. Two
    zones of a shop never name one state (`shops.services`); were they to, the cheaper wins."""
    named: list[Zone] = []
    everywhere: list[Zone] = []
    for zone in zones:
        if zone.country != country:
            continue
        if state in zone.states:
            named.append(zone)
        elif EVERYWHERE in zone.states:
            everywhere.append(zone)
    candidates = named or everywhere
    return min(candidates, key=lambda zone: (zone.fee, zone.name)) if candidates else None


def delivery_quote(
    *,
    flat_fee: Decimal,
    zones: Sequence[Zone],
    country: str,
    state: str,
    subtotal: Decimal,
) -> DeliveryQuote:
    """The shop's delivery to an address in `country`/`state` for an order of `subtotal`."""
    if not zones:
        return DeliveryQuote(deliverable=True, fee=flat_fee)
    zone = covering_zone(zones, country=country, state=state)
    if zone is None:
        return UNDELIVERABLE
    free = zone.free_over is not None and subtotal >= zone.free_over
    return DeliveryQuote(
        deliverable=True,
        fee=ZERO if free else zone.fee,
        zone_name=zone.name,
        days_min=zone.days_min,
        days_max=zone.days_max,
    )


def zone_states_clean(*, country: str, states: Sequence[str]) -> list[str]:
    """A zone's states as stored: the country's state codes (sent by code or name), sorted and
    without repeats, or `["*"]` alone; `InvalidInput` otherwise."""
    if not states:
        raise InvalidInput({"states": [f'Name at least one state, or "{EVERYWHERE}".']})
    if EVERYWHERE in states:
        if len(set(states)) != 1:
            raise InvalidInput(
                {"states": [f'"{EVERYWHERE}" covers the whole country: send it alone.']}
            )
        return [EVERYWHERE]
    codes = {value: state_code(country, value) for value in states}
    unknown = [value for value, code in codes.items() if code is None]
    if unknown:
        raise InvalidInput(
            {
                "states": [
                    f"Not a state of {country}: {', '.join(unknown)} (see /countries/"
                    f"{country}/states/)."
                ]
            }
        )
    return sorted({code for code in codes.values() if code is not None})
