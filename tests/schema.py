"""The database's own view of a table, for the tests of migrations that add columns the models
do not declare."""

from __future__ import annotations

from django.db import connection


def table_columns(table: str) -> set[str]:
    """The names of the table's columns, as the database has them."""
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return {column.name for column in description}
