"""Several writes sent to the database as one round trip, on the documented database API.

A checkout writes seven statements (its group, orders, items, events, the stock, the ledger and
the emptied cart); as ORM calls each is a round trip of its own, which on a busy machine costs
more than the statements themselves (see bench/README.md). `WriteBatch` builds the same
statements from the models' metadata (`Model._meta`: table and fields; values prepared by each
field's `pre_save` and `get_db_prep_save`, as `bulk_create` prepares them) and sends them with
`connection.cursor()`: on PostgreSQL as one multi-statement query (psycopg2 binds the parameters
on the client, the server runs them in order and stops at the first error), elsewhere one after
another. Like `bulk_create` it sends no signals and calls no `save()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Field, Model

_SAVEPOINT = "write_batch"


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # a concrete field, not a reverse relation
    return field


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(str(_field(model, name).column))


def _value(model: type[Model], name: str, value: Any) -> Any:
    return _field(model, name).get_db_prep_save(value, connection)


# An INSERT depends only on the model and the number of rows: built once per process, with the
# fields whose value `save()` computes (`pre_save`: `auto_now`, files) marked.
_inserts: dict[tuple[type[Model], int], tuple[str, list[tuple[Field, bool]]]] = {}


def _insert_statement(model: type[Model], rows: int) -> tuple[str, list[tuple[Field, bool]]]:
    found = _inserts.get((model, rows))
    if found is None:
        fields = [
            field
            for field in model._meta.get_fields()
            if isinstance(field, Field) and field.concrete and field.column
        ]
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {_table(model)} "
            f"({', '.join(connection.ops.quote_name(str(field.column)) for field in fields)}) "
            f"VALUES {', '.join([row] * rows)}"
        )
        computed = [(field, type(field).pre_save is not Field.pre_save) for field in fields]
        found = _inserts[(model, rows)] = (sql, computed)
    return found


class WriteBatch:
    """INSERTs of new rows, UPDATEs by primary key and DELETEs, run together by `execute()`,
    then the callbacks given to `after()`.

    Inserted instances must have their primary key set (UUID defaults are, at instantiation);
    Django does not see them as saved (read them; do not `save()` them). Plain models only: no
    parent model, no database-side defaults or expressions, a few hundred rows at most."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list[Any]]] = []
        self.callbacks: list[Callable[[], object]] = []

    def insert(self, objects: Sequence[Model]) -> None:
        if not objects:
            return
        sql, fields = _insert_statement(type(objects[0]), len(objects))
        self.statements.append(
            (
                sql,
                [
                    field.get_db_prep_save(
                        field.pre_save(obj, True) if computed else field.value_from_object(obj),
                        connection,
                    )
                    for obj in objects
                    for field, computed in fields
                ],
            )
        )

    def update_by_id(
        self, model: type[Model], field_name: str, values: Mapping[Any, Any], **same: Any
    ) -> None:
        """One UPDATE setting `field_name` to a value per row (primary key -> value) and every
        field of `same` to one value on all of them."""
        if not values:
            return
        pk = model._meta.pk.name
        cases = " ".join(f"WHEN {_column(model, pk)} = %s THEN %s" for _ in values)
        assignments = [f"{_column(model, field_name)} = CASE {cases} END"]
        params: list[Any] = []
        for key, value in values.items():
            params += [_value(model, pk, key), _value(model, field_name, value)]
        for name, value in same.items():
            assignments.append(f"{_column(model, name)} = %s")
            params.append(_value(model, name, value))
        ids = [_value(model, pk, key) for key in values]
        self.statements.append(
            (
                f"UPDATE {_table(model)} SET {', '.join(assignments)} "
                f"WHERE {_column(model, pk)} IN ({', '.join(['%s'] * len(ids))})",
                params + ids,
            )
        )

    def delete_where(self, model: type[Model], **equal: Any) -> None:
        """DELETE the rows whose fields equal the given values (no cascade, no signals: for
        rows nothing else points at)."""
        conditions = " AND ".join(f"{_column(model, name)} = %s" for name in equal)
        params = [_value(model, name, value) for name, value in equal.items()]
        self.statements.append((f"DELETE FROM {_table(model)} WHERE {conditions}", params))

    def after(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the statements ran (not when they fail)."""
        self.callbacks.append(callback)

    def execute(self, *, savepoint: bool = False) -> None:
        """Run the statements, then the callbacks. With `savepoint` (inside a transaction), a
        failing statement (e.g. `IntegrityError` on a unique key) undoes the whole batch and
        leaves the caller's transaction usable, at no extra round trip."""
        if savepoint and self.statements:
            try:
                _run(
                    [
                        (f"SAVEPOINT {_SAVEPOINT}", []),
                        *self.statements,
                        (f"RELEASE SAVEPOINT {_SAVEPOINT}", []),
                    ]
                )
            except DatabaseError:
                _run(
                    [
                        (f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}", []),
                        (f"RELEASE SAVEPOINT {_SAVEPOINT}", []),
                    ]
                )
                raise
        elif self.statements:
            _run(self.statements)
        for callback in self.callbacks:
            callback()


def _run(statements: Sequence[tuple[str, list[Any]]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = ";\n".join(sql for sql, _ in statements)
            cursor.execute(sql, [param for _, params in statements for param in params])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
