"""The migration that makes addresses name their state by code, run on a database that holds
addresses written before it: every address is kept, a recognisable state becomes its code, the
rest is kept as written and flagged."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.factories import UserFactory
from users.models import Address

MIGRATION = "users.migrations.0005_address_state_codes"

# (country, state as written) -> (state after, flagged)
EXPECTED = {
    ("NG", "Lagos"): ("NG-LA", False),
    ("NG", "lagos state"): ("NG-LA", False),
    ("NG", "Akwa-Ibom"): ("NG-AK", False),
    ("NG", "FCT"): ("NG-FC", False),
    ("NG", "Abuja"): ("NG-FC", False),
    ("NG", "NG-KN"): ("NG-KN", False),
    ("NG", "Kano "): ("NG-KN", False),
    ("NG", "Lagoss"): ("Lagoss", True),
    ("NG", "Ikeja, near the airport"): ("Ikeja, near the airport", True),
    ("NG", ""): ("", True),
    ("GH", "Greater Accra"): ("GH-AA", False),
    ("GH", "Lagos"): ("Lagos", True),
    ("AQ", "McMurdo Station"): ("McMurdo Station", False),  # no list of states: as it was
}

_COLUMNS = (
    "id",
    "user",
    "full_name",
    "phone",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "country",
    "is_default",
    "created_at",
)


def _insert_old_address(user, country: str, state: str) -> uuid.UUID:
    """An address row as the schema before the migration holds it (no `state_unrecognised`)."""
    values = {
        "id": uuid.uuid4(),
        "user": user.id,
        "full_name": "Ada Obi",
        "phone": "+2348012345678",
        "line1": "12 Marina Road",
        "line2": "",
        "city": "Lagos",
        "state": state,
        "postal_code": "",
        "country": country,
        "is_default": False,
        "created_at": timezone.now(),
    }
    fields = [Address._meta.get_field(name) for name in _COLUMNS]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Address._meta.db_table)} "
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})",
            [field.get_db_prep_save(values[field.name], connection) for field in fields],
        )
    return values["id"]


@pytest.mark.django_db(transaction=True)
def test_existing_addresses_get_state_codes_and_the_rest_is_flagged(monkeypatch):
    migration = importlib.import_module(MIGRATION)
    before = migration.Migration.dependencies[0]
    monkeypatch.setattr(migration, "BATCH", 4)  # several batches, and a last partial one
    user = UserFactory()
    call_command("migrate", *before, verbosity=0)
    try:
        ids = {
            _insert_old_address(user, country, state): (country, state)
            for country, state in EXPECTED
        }
        call_command("migrate", "users", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)

    addresses = {address.id: address for address in Address.objects.filter(user=user)}
    assert set(addresses) == set(ids)  # nothing dropped
    for address_id, written in ids.items():
        address = addresses[address_id]
        assert (address.state, address.state_unrecognised) == EXPECTED[written], written
        assert (address.country, address.city, address.line1) == (
            written[0],
            "Lagos",
            "12 Marina Road",
        )
