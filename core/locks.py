"""Named locks of a database session (PostgreSQL advisory locks, MariaDB/MySQL `GET_LOCK`).

The database releases them when the connection ends, so a process killed while holding one
never leaves it held: whoever asks next gets it at once. SQLite has none (`None` is answered).
"""

from __future__ import annotations

import hashlib
import logging

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def _postgresql_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _mysql_name(name: str) -> str:
    # Lock names are server-wide there (at most 64 characters): qualified by the database.
    qualified = f"{connection.settings_dict['NAME']}:{name}"
    return "mkt:" + hashlib.sha256(qualified.encode()).hexdigest()[:56]


def session_lock_try(name: str) -> bool | None:
    """Take the lock `name` for this connection without waiting: True when taken, False when
    another connection holds it, None when the database has no such locks."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_postgresql_key(name)])
        elif connection.vendor == "mysql":
            cursor.execute("SELECT GET_LOCK(%s, 0)", [_mysql_name(name)])
        else:
            return None
        return bool(cursor.fetchone()[0])


def session_lock_release(name: str) -> None:
    """Release a lock taken by `session_lock_try`. When that fails, the connection is closed
    (outside a transaction), which releases it too: a held lock must never outlive its use."""
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_postgresql_key(name)])
            elif connection.vendor == "mysql":
                cursor.execute("SELECT RELEASE_LOCK(%s)", [_mysql_name(name)])
    except DatabaseError:
        logger.warning("Could not release the session lock %s.", name, exc_info=True)
        if not connection.in_atomic_block:
            connection.close()
