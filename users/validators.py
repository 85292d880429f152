"""Field validators for accounts and addresses."""

from __future__ import annotations

from django.core.validators import RegexValidator

from users.countries import COUNTRY_CODES

# E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all.
E164_PATTERN = r"^\+[1-9]\d{6,14}$"

validate_phone = RegexValidator(
    E164_PATTERN,
    message="Enter a phone number in international format, e.g. +2348012345678.",
    code="invalid_phone",
)


def normalise_country(value: str) -> str:
    """Upper-cased ISO 3166-1 alpha-2 code; raises ValueError when it is not one."""
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError(value)
    return code
