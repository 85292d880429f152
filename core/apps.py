from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created


def limit_parallel_workers(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Each new PostgreSQL connection starts at most `DB_PARALLEL_WORKERS` parallel workers a
    query (a `SET` of the session: it also goes through a pooler in session mode)."""
    if connection.vendor == "postgresql" and settings.DB_PARALLEL_WORKERS is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SET max_parallel_workers_per_gather = %s", [settings.DB_PARALLEL_WORKERS]
            )


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        # Registers the OpenAPI serializer-field extension before any schema is generated.
        import core.schema  # noqa: F401

        connection_created.connect(limit_parallel_workers, dispatch_uid="limit_parallel_workers")
