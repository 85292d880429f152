"""Index operations that are safe to run on a large table in service.

On PostgreSQL a plain `CREATE INDEX` blocks every write to the table until the index is built,
which on a table of millions of rows is minutes of failed checkouts. `AddIndexOnline` builds it
`CONCURRENTLY` there (Django's `AddIndexConcurrently`: the migration must set `atomic = False`).
MariaDB's InnoDB already builds a secondary index online (reads and writes go on meanwhile), and
has no `CONCURRENTLY`, so there the operation is a plain `AddIndex`. `RemoveIndexOnline` is the
same for dropping one.

An index on expressions (e.g. `OrderBy(..., nulls_last=True)`) is built where the database can
hold it: PostgreSQL. Django already skips it on MariaDB (no expression indexes); these operations
skip it on SQLite too, whose `CREATE INDEX` has no `NULLS LAST` (`make run`'s database is small).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


def _on_postgresql(schema_editor: Any) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def _skipped(schema_editor: Any, index: Any) -> bool:
    return schema_editor.connection.vendor == "sqlite" and index.contains_expressions


class AddIndexOnline(AddIndexConcurrently):
    """`CREATE INDEX CONCURRENTLY` on PostgreSQL, a plain (online) `AddIndex` elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _skipped(schema_editor, self.index):
            return
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _skipped(schema_editor, self.index):
            return
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexOnline(RemoveIndexConcurrently):
    """`DROP INDEX CONCURRENTLY` on PostgreSQL, a plain `RemoveIndex` elsewhere."""

    def _index(self, app_label: str, state: Any) -> Any:
        return state.models[app_label, self.model_name_lower].get_index_by_name(self.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _skipped(schema_editor, self._index(app_label, from_state)):
            return
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _skipped(schema_editor, self._index(app_label, to_state)):
            return
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
