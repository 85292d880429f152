"""How carts react to the apps below them (connected in `CartsConfig.ready()`)."""

from typing import Any

from carts.services import cart_delete_for_user
from users.models import User


def on_account_closing(sender: type, *, user: User, **kwargs: Any) -> None:
    cart_delete_for_user(user=user)
