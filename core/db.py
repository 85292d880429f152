"""Statements for the hottest write paths (checkout), without the ORM's per-call machinery.

On a small machine a `bulk_create` or a `QuerySet.update` spends several times longer building
its statement than the database spends running it. The helpers here write the same statements
directly: table and column names come from the models, values are prepared by the model fields
themselves (`get_db_prep_save`), so every engine (SQLite, PostgreSQL, MariaDB) receives what the
ORM would have sent. Like `bulk_create`, they send no signals and call no `save()`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

# The statements only depend on a model and a row count: built once per process.
_insert_sql: dict[tuple[type[Model], int], str] = {}


def quoted_table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def quoted_column(model: type[Model], field_name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field_name).column)


def db_value(model: type[Model], field_name: str, value: Any) -> Any:
    """`value` as the database receives it for this field (e.g. a UUID as 32 hex digits on the
    engines without a UUID type)."""
    return model._meta.get_field(field_name).get_db_prep_save(value, connection)


def insert_rows(objects: Sequence[Model]) -> None:
    """INSERT new instances of one model in one statement: every concrete field, with
    `auto_now`/`auto_now_add` filled in as `save()` would. Primary keys must be set already
    (UUID defaults are, at instantiation). For plain models with plain values only: no parent
    model, no database-side defaults or expressions (`F()`, `Now()`), and at most a few hundred
    rows (one statement, no batching)."""
    if not objects:
        return
    model = type(objects[0])
    fields = model._meta.local_concrete_fields
    sql = _insert_sql.get((model, len(objects)))
    if sql is None:
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"INSERT INTO {quoted_table(model)} ({columns}) VALUES " + ", ".join(
            [row] * len(objects)
        )
        _insert_sql[(model, len(objects))] = sql
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection)
        for obj in objects
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_committed(objects: Sequence[Model]) -> None:
    """`insert_rows`, committed at once: outside a transaction the statement is its own
    (autocommit: no `BEGIN`/`COMMIT` round trips); inside one, in a savepoint, so that a refused
    insert (`IntegrityError`, e.g. a unique key already taken) leaves the caller's transaction
    usable."""
    if connection.in_atomic_block:
        with transaction.atomic():
            insert_rows(objects)
    else:
        insert_rows(objects)


def update_row(model: type[Model], pk: Any, **values: Any) -> None:
    """UPDATE the fields of `values` on the row whose primary key is `pk`."""
    assignments = ", ".join(f"{quoted_column(model, name)} = %s" for name in values)
    params = [db_value(model, name, value) for name, value in values.items()]
    params.append(db_value(model, model._meta.pk.name, pk))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quoted_table(model)} SET {assignments} "
            f"WHERE {quoted_column(model, model._meta.pk.name)} = %s",
            params,
        )


def update_by_id(
    model: type[Model], field_name: str, values: Mapping[uuid.UUID, Any], **same: Any
) -> None:
    """One UPDATE that sets `field_name` to a different value on each row (`values`: primary
    key -> value) and every field of `same` to one value on all of them."""
    if not values:
        return
    pk = quoted_column(model, model._meta.pk.name)
    cases = " ".join(f"WHEN {pk} = %s THEN %s" for _ in values)
    assignments = [f"{quoted_column(model, field_name)} = CASE {cases} END"]
    params: list[Any] = []
    for key, value in values.items():
        params += [db_value(model, model._meta.pk.name, key), db_value(model, field_name, value)]
    for name, value in same.items():
        assignments.append(f"{quoted_column(model, name)} = %s")
        params.append(db_value(model, name, value))
    ids = [db_value(model, model._meta.pk.name, key) for key in values]
    sql = (
        f"UPDATE {quoted_table(model)} SET {', '.join(assignments)} "
        f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + ids)


def delete_where(model: type[Model], **equal: Any) -> None:
    """DELETE the rows whose fields equal the given values (no cascade, no signals: for rows
    nothing else points at)."""
    conditions = " AND ".join(f"{quoted_column(model, name)} = %s" for name in equal)
    params = [db_value(model, name, value) for name, value in equal.items()]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quoted_table(model)} WHERE {conditions}", params)
