from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        # Registers the OpenAPI extension for our authentication class.
        from users import schema  # noqa: F401
