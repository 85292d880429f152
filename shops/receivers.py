"""How shops react to the apps below them (connected in `ShopsConfig.ready()`)."""

from typing import Any

from shops.services import shops_close_for_owner
from users.models import User


def on_account_closing(sender: type, *, user: User, **kwargs: Any) -> None:
    shops_close_for_owner(owner=user)
