"""Writes on reviews (§15).

Only a customer with a `completed` order containing the product may review it, once. Every
write that changes which ratings count (create, a new rating, hide, show, delete) moves the
product's and its shop's `rating_count`, `rating_total` and `rating_average` by the difference,
in the same transaction, with their rows locked: concurrent reviews never lose an update, and
reading a rating costs nothing. Lock order: the review (when it exists), then its shop, then
its product (the order in which a checkout's inserts lock them).
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from core.catalogue_cache import catalogue_changed
from core.errors import Conflict, NotFound, PermissionDenied, raises
from orders.models import Order, OrderItem
from products.models import Product
from reviews.models import Review
from shops.models import Shop
from shops.selectors import is_shop_member
from users.models import User

NOT_A_BUYER = "Only customers who received this product in a completed order may review it."
ALREADY_REVIEWED = "You have already reviewed this product; edit your review instead."
ALREADY_REPLIED = "This review already has the shop's reply."
ONLY_ADMINS_HIDE = "Only platform admins can hide or show a review."
AUTHOR_FIELDS = ("rating", "title", "body")
_TENTH = Decimal("0.1")


def rating_average(*, count: int, total: int) -> Decimal | None:
    """The average shown: one decimal, half up; None with no review."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _summary_move(model: type[Model], pk: Any, *, count: int, total: int) -> None:
    """Add `count` reviews worth `total` stars to the row's summary, under its lock."""
    # On PostgreSQL a no-key lock: an order or item being inserted meanwhile (its foreign-key
    # check takes a key-share lock on the shop or product) neither waits for it nor blocks it.
    no_key = connection.features.has_select_for_no_key_update
    locked: Any = model._default_manager.select_for_update(no_key=no_key).filter(pk=pk)
    current_count, current_total = locked.values_list("rating_count", "rating_total").get()
    new_count, new_total = current_count + count, current_total + total
    model._default_manager.filter(pk=pk).update(
        rating_count=new_count,
        rating_total=new_total,
        rating_average=rating_average(count=new_count, total=new_total),
    )


def _ratings_move(*, product: Product, count: int, total: int) -> None:
    if count or total:
        # The shop before the product, as a checkout's inserts lock them (orders, then items).
        _summary_move(Shop, product.shop_id, count=count, total=total)
        _summary_move(Product, product.id, count=count, total=total)
        catalogue_changed()  # products and shops show their ratings


def has_bought(*, user: User, product_id: uuid.UUID) -> bool:
    """The customer has a completed order containing the product."""
    return OrderItem.objects.filter(
        product_id=product_id,
        order__status=Order.Status.COMPLETED,
        order__group__customer=user,
    ).exists()


@raises(NotFound, PermissionDenied, Conflict)
def review_create(
    *, user: User, product: Product, rating: int, title: str = "", body: str = ""
) -> Review:
    """A verified buyer's review of a product the caller can see (`reviews.selectors.
    product_reviewable`); a second one is a 409."""
    if not (user.email and has_bought(user=user, product_id=product.id)):
        raise PermissionDenied(NOT_A_BUYER)
    try:
        with transaction.atomic():
            # The summaries first: on MariaDB the insert's foreign-key check holds a shared lock
            # on the product, which two creators could not both upgrade.
            _ratings_move(product=product, count=1, total=rating)
            review = Review.objects.create(
                product=product, author=user, rating=rating, title=title, body=body
            )
    except IntegrityError as exc:
        if Review.objects.filter(product=product, author=user).exists():
            raise Conflict(ALREADY_REVIEWED) from exc
        raise
    review.author = user
    return review


def _locked_review(*, user: User, review_id: uuid.UUID) -> Review:
    """The review, locked (its row only), when the caller wrote it or is an admin; 404
    otherwise. Its product is read after the lock."""
    reviews = Review.objects.select_for_update()
    if not user.is_platform_admin:
        reviews = reviews.filter(author=user)
    review = reviews.filter(id=review_id).first()
    if review is None:
        raise NotFound("Review not found.")
    review.product = Product.objects.select_related("shop").get(id=review.product_id)
    return review


@raises(NotFound, PermissionDenied)
def review_update(*, user: User, review_id: uuid.UUID, data: dict[str, Any]) -> Review:
    """The author edits `rating`, `title` and `body`; an admin may also hide or show it
    (`is_visible`). Ratings follow at once."""
    if "is_visible" in data and not user.is_platform_admin:
        raise PermissionDenied(ONLY_ADMINS_HIDE)
    with transaction.atomic():
        review = _locked_review(user=user, review_id=review_id)
        if review.author_id != user.id and set(data) & set(AUTHOR_FIELDS):
            raise PermissionDenied("Only its author can edit a review.")
        counted_before = review.rating if review.is_visible else None
        for key in (*AUTHOR_FIELDS, "is_visible"):
            if key in data:
                setattr(review, key, data[key])
        counted_after = review.rating if review.is_visible else None
        review.save()
        _ratings_move(
            product=review.product,
            count=(counted_after is not None) - (counted_before is not None),
            total=(counted_after or 0) - (counted_before or 0),
        )
    return review


@raises(NotFound)
def review_delete(*, user: User, review_id: uuid.UUID) -> None:
    """The author (or an admin) deletes a review; it stops counting at once."""
    with transaction.atomic():
        review = _locked_review(user=user, review_id=review_id)
        if review.is_visible:
            _ratings_move(product=review.product, count=-1, total=-review.rating)
        review.delete()


@raises(NotFound, Conflict)
def review_reply(*, user: User, review_id: uuid.UUID, body: str) -> Review:
    """A member of the product's shop answers a visible review, once (a second reply is 409)."""
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(id=review_id).first()
        if review is not None:
            review.product = Product.objects.select_related("shop").get(id=review.product_id)
        if review is None or not is_shop_member(user=user, shop=review.product.shop):
            raise NotFound("Review not found.")
        if not review.is_visible and not user.is_platform_admin:
            raise NotFound("Review not found.")
        if review.replied_at is not None:
            raise Conflict(ALREADY_REPLIED)
        review.reply_body = body
        review.reply_author = user
        review.replied_at = timezone.now()
        review.save(update_fields=["reply_body", "reply_author", "replied_at", "updated_at"])
    return review


def reviews_erase_for_author(*, user: User) -> None:
    """The author's account is closing: their reviews go, and stop counting."""
    for review_id in Review.objects.filter(author=user).order_by("id").values_list("id", flat=True):
        review_delete(user=user, review_id=review_id)
