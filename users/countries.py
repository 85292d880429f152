"""ISO 3166-1 countries and ISO 3166-2 subdivisions (a country's states), from `pycountry`'s
data, read once per process and kept in memory.

A state is named by its code (`NG-LA`), its code without the country (`LA`) or its name
(`Lagos`, `Lagos State`), compared without case, accents or punctuation; Nigeria's capital
territory also answers to `FCT`, `Abuja` and `Federal Capital Territory`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import pycountry


@dataclass(frozen=True)
class Country:
    code: str
    name: str


@dataclass(frozen=True)
class State:
    code: str
    name: str
    type: str
    parent: str | None


# Names people write that the standard does not list, by country: normalised name -> code.
_ALIASES: dict[str, dict[str, str]] = {
    "NG": {
        "fct": "NG-FC",
        "abuja": "NG-FC",
        "fct abuja": "NG-FC",
        "abuja fct": "NG-FC",
        "federal capital territory": "NG-FC",
    },
}
# Words that may follow a state's name ("Lagos State", "Abuja Federal Capital Territory").
_SUFFIXES = (" state",)


def _country_name(country: object) -> str:
    return getattr(country, "common_name", None) or country.name  # type: ignore[attr-defined]


COUNTRIES: tuple[Country, ...] = tuple(
    sorted(
        (Country(code=c.alpha_2, name=_country_name(c)) for c in pycountry.countries),
        key=lambda country: country.name,
    )
)
COUNTRY_CODES: frozenset[str] = frozenset(country.code for country in COUNTRIES)


def _key(text: str) -> str:
    """Lower case, no accents or dots (`F.C.T.`), other punctuation as spaces, single spaces."""
    plain = unicodedata.normalize("NFKD", text.replace(".", ""))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@functools.cache
def states(country: str) -> tuple[State, ...]:
    """The country's ISO 3166-2 subdivisions by name; empty when it has none."""
    found = pycountry.subdivisions.get(country_code=country) or ()
    return tuple(
        sorted(
            (
                State(
                    code=s.code,
                    name=s.name,
                    type=s.type,
                    parent=s.parent_code or None,
                )
                for s in found
            ),
            key=lambda state: (state.name, state.code),
        )
    )


@functools.cache
def _state_lookup(country: str) -> dict[str, str]:
    """Normalised name, code or code without the country -> code. A name two subdivisions
    share is left out (ambiguous); a code always wins over a name."""
    names: dict[str, str | None] = {}
    for state in states(country):
        for name in (state.name, state.code.split("-", 1)[1]):
            key = _key(name)
            names[key] = None if names.get(key, state.code) != state.code else state.code
    lookup = {key: code for key, code in names.items() if code is not None}
    lookup.update(_ALIASES.get(country, {}))
    lookup.update((_key(state.code), state.code) for state in states(country))
    return lookup


def has_states(country: str) -> bool:
    return bool(states(country))


def state_code(country: str, value: str) -> str | None:
    """The ISO 3166-2 code of the country's state named `value`, or None when no state of the
    country answers to it."""
    lookup = _state_lookup(country)
    key = _key(value)
    found = lookup.get(key)
    if found is None:
        for suffix in _SUFFIXES:
            if key.endswith(suffix):
                found = lookup.get(key[: -len(suffix)])
    return found


def state_codes(country: str) -> frozenset[str]:
    return frozenset(state.code for state in states(country))
