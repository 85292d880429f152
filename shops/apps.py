from django.apps import AppConfig


class ShopsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shops"

    def ready(self) -> None:
        from shops import receivers
        from users.signals import account_closing

        account_closing.connect(receivers.on_account_closing, dispatch_uid="shops.account_closing")
