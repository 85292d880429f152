"""Indexes added and removed online: CONCURRENTLY on PostgreSQL (outside a transaction), a plain
online index on MariaDB."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.migrations.state import ProjectState
from django.test.utils import CaptureQueriesContext

from core.migration_operations import AddIndexOnline, RemoveIndexOnline

pytestmark = pytest.mark.django_db(transaction=True)

INDEX = models.Index(fields=["city", "-created_at"], name="test_address_city_online")


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, "users_address"))


def run(operation, backwards: bool = False, *, first=None) -> list[str]:
    """Apply `operation` (after `first`, already applied) forwards or backwards."""
    before = ProjectState.from_apps(apps)
    if first is not None:
        first.state_forwards("users", before)
    after = before.clone()
    operation.state_forwards("users", after)
    with CaptureQueriesContext(connection) as queries:
        with connection.schema_editor(atomic=False) as editor:
            if backwards:
                operation.database_backwards("users", editor, after, before)
            else:
                operation.database_forwards("users", editor, before, after)
    return [query["sql"] for query in queries.captured_queries]


def test_an_index_is_built_and_dropped_without_blocking_writes():
    add = AddIndexOnline("address", INDEX)
    statements = run(add)
    assert "test_address_city_online" in index_names()
    created = [sql for sql in statements if "CREATE INDEX" in sql.upper()]
    assert len(created) == 1
    assert ("CONCURRENTLY" in created[0].upper()) == (connection.vendor == "postgresql")

    run(add, backwards=True)
    assert "test_address_city_online" not in index_names()

    run(add)
    remove = RemoveIndexOnline("address", INDEX.name)
    dropped = [sql for sql in run(remove, first=add) if "DROP INDEX" in sql.upper()]
    assert "test_address_city_online" not in index_names()
    assert ("CONCURRENTLY" in dropped[0].upper()) == (connection.vendor == "postgresql")
