from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from reviews import receivers
        from users.signals import account_closing

        account_closing.connect(
            receivers.on_account_closing, dispatch_uid="reviews.account_closing"
        )
