from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        # Registers the OpenAPI serializer-field extension before any schema is generated.
        import core.schema  # noqa: F401
