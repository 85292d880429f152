"""The delivery rule (`shops.delivery`), table-driven, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from shops.delivery import delivery_quote, zone_states_clean
from shops.models import DeliveryZone

D = Decimal
FLAT = D("500.00")


def zone(name, states, fee, free_over=None, days=(1, 2), country="NG"):
    return DeliveryZone(
        name=name,
        country=country,
        states=states,
        fee=D(fee),
        free_over=None if free_over is None else D(free_over),
        days_min=days[0],
        days_max=days[1],
    )


LAGOS = zone("Lagos", ["NG-LA"], "1000.00", free_over="20000.00", days=(1, 2))
SOUTH_WEST = zone("South West", ["NG-OG", "NG-OY"], "2000.00", days=(2, 4))
REST = zone("Rest", ["*"], "3500.00", free_over="50000.00", days=(3, 7))
GHANA = zone("Ghana", ["*"], "9000.00", days=(5, 10), country="GH")


@pytest.mark.parametrize(
    ("zones", "country", "state", "subtotal", "expected"),
    [
        # No zones: v1's flat fee everywhere, no estimate.
        ([], "NG", "NG-BO", "100.00", (True, "500.00", None, None, None)),
        ([], "GH", "GH-AA", "100.00", (True, "500.00", None, None, None)),
        # A named state before `*`, whatever the order of the zones.
        ([REST, LAGOS], "NG", "NG-LA", "100.00", (True, "1000.00", "Lagos", 1, 2)),
        ([LAGOS, REST], "NG", "NG-LA", "100.00", (True, "1000.00", "Lagos", 1, 2)),
        ([LAGOS, SOUTH_WEST, REST], "NG", "NG-OY", "100.00", (True, "2000.00", "South West", 2, 4)),
        ([LAGOS, SOUTH_WEST, REST], "NG", "NG-BO", "100.00", (True, "3500.00", "Rest", 3, 7)),
        # Free from `free_over` on (inclusive), the estimate unchanged.
        ([LAGOS, REST], "NG", "NG-LA", "19999.99", (True, "1000.00", "Lagos", 1, 2)),
        ([LAGOS, REST], "NG", "NG-LA", "20000.00", (True, "0.00", "Lagos", 1, 2)),
        ([LAGOS, REST], "NG", "NG-KN", "20000.00", (True, "3500.00", "Rest", 3, 7)),
        ([LAGOS, REST], "NG", "NG-KN", "50000.00", (True, "0.00", "Rest", 3, 7)),
        ([SOUTH_WEST], "NG", "NG-OG", "9999999.00", (True, "2000.00", "South West", 2, 4)),
        # Zones that cover nothing for the address: no delivery.
        ([LAGOS], "NG", "NG-KN", "100.00", (False, None, None, None, None)),
        ([LAGOS, SOUTH_WEST], "NG", "Somewhere", "100.00", (False, None, None, None, None)),
        ([LAGOS, REST], "GH", "GH-AA", "100.00", (False, None, None, None, None)),
        # `*` is per country.
        ([LAGOS, REST, GHANA], "GH", "GH-AA", "100.00", (True, "9000.00", "Ghana", 5, 10)),
        ([GHANA], "NG", "NG-LA", "100.00", (False, None, None, None, None)),
        # An unrecognised state still reaches the country's `*` zone.
        ([LAGOS, REST], "NG", "Somewhere", "100.00", (True, "3500.00", "Rest", 3, 7)),
    ],
)  # fmt: skip
def test_delivery_quote(zones, country, state, subtotal, expected):
    quote = delivery_quote(
        flat_fee=FLAT, zones=zones, country=country, state=state, subtotal=D(subtotal)
    )
    fee = None if quote.fee is None else str(quote.fee)
    assert (quote.deliverable, fee, quote.zone_name, quote.days_min, quote.days_max) == expected


def test_two_zones_naming_one_state_are_settled_by_the_cheaper():
    dear = zone("Dear", ["NG-LA"], "900.00")
    cheap = zone("Cheap", ["NG-LA"], "800.00")
    for zones in ([dear, cheap], [cheap, dear]):
        quote = delivery_quote(
            flat_fee=FLAT, zones=zones, country="NG", state="NG-LA", subtotal=D(1)
        )
        assert quote.zone_name == "Cheap"


@pytest.mark.parametrize(
    ("country", "states", "cleaned"),
    [
        ("NG", ["NG-LA"], ["NG-LA"]),
        ("NG", ["Ogun", "lagos", "NG-LA", "oyo state"], ["NG-LA", "NG-OG", "NG-OY"]),
        ("NG", ["*"], ["*"]),
        ("NG", ["*", "*"], ["*"]),
        ("NG", ["FCT"], ["NG-FC"]),
        ("AQ", ["*"], ["*"]),
    ],
)
def test_zone_states_are_cleaned_to_codes(country, states, cleaned):
    assert zone_states_clean(country=country, states=states) == cleaned


@pytest.mark.parametrize(
    ("country", "states"),
    [
        ("NG", []),
        ("NG", ["*", "NG-LA"]),
        ("NG", ["NG-LA", "Atlantis"]),
        ("GH", ["NG-LA"]),
        ("AQ", ["x"]),
    ],
)
def test_zone_states_refused(country, states):
    with pytest.raises(InvalidInput) as refused:
        zone_states_clean(country=country, states=states)
    assert list(refused.value.errors) == ["states"]
