"""Reads of reviews, scoped to what the caller may see, with fixed query counts."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from products.selectors import product_get_visible
from reviews.models import Review
from users.models import User

REVIEW_ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "rating": ("rating", "-created_at", "-id"),
    "-rating": ("-rating", "-created_at", "-id"),
}


def reviews_for_product(
    *, user: User, product_id: uuid.UUID, rating: int | None = None, ordering: str = "-created_at"
) -> QuerySet[Review]:
    """The visible reviews of a product the caller can see (404 otherwise), with their authors
    (one query a page)."""
    product = product_get_visible(user=user, product_id=product_id)
    reviews = Review.objects.filter(product=product, is_visible=True).select_related("author")
    if rating is not None:
        reviews = reviews.filter(rating=rating)
    return reviews.order_by(*REVIEW_ORDERINGS[ordering])
