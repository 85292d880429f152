"""What the users app tells the apps above it; they connect in their `AppConfig.ready()`."""

from django.dispatch import Signal

# Sent by `user_delete` inside its transaction, with the account's row locked (`user`), before
# its personal data is erased: an app that holds the account's data erases or closes it there,
# so the account is closed with all of it or not at all.
account_closing = Signal()
