from django.apps import AppConfig


class CartsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "carts"

    def ready(self) -> None:
        from carts import receivers
        from users.signals import account_closing

        account_closing.connect(receivers.on_account_closing, dispatch_uid="carts.account_closing")
