"""Statements for the hottest paths (authentication, checkout), without the ORM's per-call
machinery.

On a small machine a `bulk_create`, a `QuerySet.update` or even a simple filtered `SELECT`
spends longer building its statement than the database spends running it, and every statement
is a round trip. The write helpers here send the same statements directly and several in one go
(`Batch`): table and column names come from the models, values are prepared by the model fields
themselves (`get_db_prep_save`), so every engine (SQLite, PostgreSQL, MariaDB) receives what
the ORM would have sent. Like `bulk_create`, they send no signals and call no `save()`. For
reads, `Prepared` builds a queryset's SQL once and runs it again with other values.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DatabaseError, connection, transaction
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.transaction import TransactionManagementError

T = TypeVar("T")


def quoted_table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def quoted_column(model: type[Model], field_name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field_name).column)


def db_value(model: type[Model], field_name: str, value: Any) -> Any:
    """`value` as the database receives it for this field (e.g. a UUID as 32 hex digits on the
    engines without a UUID type)."""
    return model._meta.get_field(field_name).get_db_prep_save(value, connection)


def insert_rows(objects: Sequence[Model]) -> None:
    """INSERT new instances of one model in one statement (see `Batch.insert`)."""
    batch = Batch()
    batch.insert(objects)
    batch.execute()


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


class Batch:
    """Write statements sent to the database together, then what to do once they ran.

    On PostgreSQL the statements travel in one round trip: psycopg2 binds the parameters on the
    client, and the server runs a multi-statement query in order, stopping at the first error
    (outside a transaction, as one transaction of its own). Elsewhere they run one after
    another. Checkout writes its group, orders, items, events, stock, ledger and cart this way:
    one round trip instead of seven.
    """

    def __init__(self) -> None:
        self._statements: list[tuple[str, list[Any]]] = []
        self._inserted: list[Model] = []
        self._after: list[Callable[[], object]] = []

    def insert(self, objects: Sequence[Model]) -> None:
        """INSERT new instances of one model in one statement: every concrete field, with
        `auto_now`/`auto_now_add` filled in as `save()` would. Primary keys must be set already
        (UUID defaults are, at instantiation). For plain models with plain values only: no
        parent model, no database-side defaults or expressions (`F()`, `Now()`), and at most a
        few hundred rows (one statement, no batching)."""
        if not objects:
            return
        model = type(objects[0])
        sql, fields = _insert_statement(model, len(objects))
        params = [
            field.get_db_prep_save(
                field.pre_save(obj, True) if presave else getattr(obj, field.attname), connection
            )
            for obj in objects
            for field, presave in fields
        ]
        self._statements.append((sql, params))
        self._inserted.extend(objects)

    def update_by_id(
        self, model: type[Model], field_name: str, values: Mapping[uuid.UUID, Any], **same: Any
    ) -> None:
        """One UPDATE that sets `field_name` to a different value on each row (`values`:
        primary key -> value) and every field of `same` to one value on all of them."""
        if not values:
            return
        pk = quoted_column(model, model._meta.pk.name)
        cases = " ".join(f"WHEN {pk} = %s THEN %s" for _ in values)
        assignments = [f"{quoted_column(model, field_name)} = CASE {cases} END"]
        params: list[Any] = []
        for key, value in values.items():
            params += [
                db_value(model, model._meta.pk.name, key),
                db_value(model, field_name, value),
            ]
        for name, value in same.items():
            assignments.append(f"{quoted_column(model, name)} = %s")
            params.append(db_value(model, name, value))
        ids = [db_value(model, model._meta.pk.name, key) for key in values]
        sql = (
            f"UPDATE {quoted_table(model)} SET {', '.join(assignments)} "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})"
        )
        self._statements.append((sql, params + ids))

    def delete_where(self, model: type[Model], **equal: Any) -> None:
        """DELETE the rows whose fields equal the given values (no cascade, no signals: for
        rows nothing else points at)."""
        conditions = " AND ".join(f"{quoted_column(model, name)} = %s" for name in equal)
        params = [db_value(model, name, value) for name, value in equal.items()]
        self._statements.append((f"DELETE FROM {quoted_table(model)} WHERE {conditions}", params))

    def after(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the statements ran (not when they fail): for in-memory state
        and `on_commit` hooks that must only follow a successful write."""
        self._after.append(callback)

    def execute(self, *, savepoint: bool = False) -> None:
        """Run the statements, then the `after` callbacks. With `savepoint`, inside a
        transaction only, a failing statement (e.g. `IntegrityError` on a unique key) undoes
        the whole batch and leaves the caller's transaction usable, at no extra round trip."""
        if savepoint and self._statements:
            try:
                _run([(f"SAVEPOINT {_SAVEPOINT}", []), *self._statements, _RELEASE])
            except DatabaseError:
                _run([(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}", []), _RELEASE])
                raise
        elif self._statements:
            _run(self._statements)
        for obj in self._inserted:
            obj._state.adding = False
            obj._state.db = connection.alias
        for callback in self._after:
            callback()


_SAVEPOINT = "write_batch"
_RELEASE = (f"RELEASE SAVEPOINT {_SAVEPOINT}", [])


def _run(statements: Sequence[tuple[str, list[Any]]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = ";\n".join(sql for sql, _ in statements)
            cursor.execute(sql, [param for _, params in statements for param in params])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)


# An INSERT only depends on a model and a row count: built once per process, with the fields
# whose value `save()` would compute (`pre_save`: `auto_now`, files) marked.
_inserts: dict[tuple[type[Model], int], tuple[str, list[tuple[Field, bool]]]] = {}


def _insert_statement(model: type[Model], rows: int) -> tuple[str, list[tuple[Field, bool]]]:
    cached = _inserts.get((model, rows))
    if cached is None:
        fields = model._meta.local_concrete_fields
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"INSERT INTO {quoted_table(model)} ({columns}) VALUES " + ", ".join([row] * rows)
        marked = [(field, type(field).pre_save is not Field.pre_save) for field in fields]
        cached = _inserts[(model, rows)] = (sql, marked)
    return cached


class Param(Expression):
    """A value left open in a `Prepared` query, given by name when the query runs; `field` is
    the model field it is compared with (it prepares the value for the database)."""

    def __init__(self, name: str, field: Field) -> None:
        super().__init__(output_field=field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return "%s", (self,)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # `Param`s where a value is given at run time
    compiler: Any
    converters: dict[int, Any]
    # Model querysets: the model, its columns' attribute names and their span in a row, the
    # `select_related` populators and the annotations' positions.
    model: type[Model] | None
    attnames: list[str]
    span: slice
    populators: list[Any]
    annotations: dict[str, int]


class Prepared(Generic[T]):
    """A queryset whose SQL is built once, then run with other values: for the few reads that
    every request of a hot path makes (the caller's account, checkout's locking reads).

    The queryset leaves its values open with `Param`s and is compiled on first use (inside a
    transaction for `select_for_update`). `all(**values)` gives what iterating the queryset
    would: model instances (with their `select_related` relations and annotations) or
    `values_list` tuples of fields (or values, `flat=True`), converted by the fields as the ORM
    converts them. A `Param` given None compares as SQL does (`= NULL`: nothing matches)::

        CART_ID = Prepared(
            Cart.objects.filter(user=Param("user", Cart._meta.get_field("user")))
            .values_list("id", flat=True)
        )
        CART_ID.all(user=user.id)
    """

    def __init__(self, queryset: QuerySet[Any, T]) -> None:
        iterable, query = queryset._iterable_class, queryset.query
        if (
            iterable not in (ModelIterable, ValuesListIterable, FlatValuesListIterable)
            or (iterable is not ModelIterable and query.annotation_select)
            or query.extra_select
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or queryset._db
        ):
            raise TypeError(
                "Prepared takes model querysets (select_related and annotations included) and "
                "values_list of fields, on the default database, without prefetch_related or "
                "extra."
            )
        self._queryset = queryset
        self._flat = iterable is FlatValuesListIterable
        self._locks = bool(query.select_for_update)
        self._compiled: _Compiled | None = None
        self._compiling = threading.Lock()

    def _compile(self) -> _Compiled:
        # Building the SQL changes the query while it runs (joins, alias counts): one thread
        # builds it, on a copy.
        with self._compiling:
            if self._compiled is not None:
                return self._compiled
            compiler = self._queryset.query.clone().get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            columns = [column[0] for column in compiler.select]
            if compiler.has_extra_select or compiler.has_composite_fields(columns):
                raise TypeError("Prepared takes querysets that select only what they return.")
            converters = compiler.get_converters(columns)
            if self._queryset._iterable_class is ModelIterable:
                info = compiler.klass_info
                start, end = info["select_fields"][0], info["select_fields"][-1] + 1
                compiled = _Compiled(
                    sql,
                    params,
                    compiler,
                    converters,
                    model=info["model"],
                    attnames=[column.target.attname for column in columns[start:end]],
                    span=slice(start, end),
                    populators=get_related_populators(info, compiler.select, connection.alias),
                    annotations=dict(compiler.annotation_col_map or {}),
                )
            else:
                compiled = _Compiled(sql, params, compiler, converters, None, [], slice(0), [], {})
            self._compiled = compiled
            return compiled

    def all(self, **values: Any) -> list[T]:
        compiled = self._compiled or self._compile()
        if (
            self._locks
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        bound = [
            param.output_field.get_db_prep_value(values[param.name], connection)
            if isinstance(param, Param)
            else param
            for param in compiled.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, bound)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.model is None:
            if self._flat:
                return [row[0] for row in rows]
            return [tuple(row) for row in rows]
        objects = []
        for row in rows:
            obj = compiled.model.from_db(connection.alias, compiled.attnames, row[compiled.span])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects
