"""Database faults for tests: a connection ended by the server, as in a restart or failover."""

from __future__ import annotations

import threading

from django.db import connection


def terminate_this_connection() -> None:
    """End this thread's database connection from another one, as a server restart or a
    failover does; the next statement on it fails."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()"
            if connection.vendor == "postgresql"
            else "SELECT CONNECTION_ID()"
        )
        backend = cursor.fetchone()[0]

    def terminate() -> None:
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
                else:
                    cursor.execute(f"KILL CONNECTION {int(backend)}")
        finally:
            connection.close()

    thread = threading.Thread(target=terminate)
    thread.start()
    thread.join(10)
