"""How reviews react to the apps below them (connected in `ReviewsConfig.ready()`)."""

from typing import Any

from reviews.services import reviews_erase_for_author
from users.models import User


def on_account_closing(sender: type, *, user: User, **kwargs: Any) -> None:
    # A review carries its author's name: it goes with the rest of their personal data.
    reviews_erase_for_author(user=user)
