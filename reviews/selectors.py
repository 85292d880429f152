"""Reads of reviews, scoped to what the caller may see, with fixed query counts."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from core.errors import NotFound
from products.models import Product
from products.selectors import product_get_visible
from reviews.models import Review
from shops.selectors import is_shop_member, shops_for_member
from users.models import User

REVIEW_ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "rating": ("rating", "-created_at", "-id"),
    "-rating": ("-rating", "-created_at", "-id"),
}


def product_reviewable(*, user: User, product_id: uuid.UUID) -> Product:
    """A product the caller can see (public, or of a shop they are a member of), with its shop;
    404 otherwise (looked up before a body is validated)."""
    product = Product.objects.select_related("shop").filter(id=product_id).first()
    if product is None or not (
        (product.is_active and product.shop.is_public)
        or is_shop_member(user=user, shop=product.shop)
    ):
        raise NotFound("Product not found.")
    return product


def review_check_editable(*, user: User, review_id: uuid.UUID) -> None:
    """404 unless the caller wrote the review or is an admin (before a body is validated)."""
    reviews = Review.objects.filter(id=review_id)
    if not user.is_platform_admin:
        reviews = reviews.filter(author=user)
    if not reviews.exists():
        raise NotFound("Review not found.")


def review_check_repliable(*, user: User, review_id: uuid.UUID) -> None:
    """404 unless the review is of a product of a shop the caller is a member of, and visible
    (admins: any) (before a body is validated)."""
    reviews = Review.objects.filter(id=review_id, product__shop__in=shops_for_member(user=user))
    if not user.is_platform_admin:
        reviews = reviews.filter(is_visible=True)
    if not reviews.exists():
        raise NotFound("Review not found.")


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
