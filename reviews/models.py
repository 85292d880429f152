"""Reviews of products by the customers who bought them (§15)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000


class Review(models.Model):
    """One customer's review of one product: plain text, never rendered as HTML. Only a visible
    review counts in the product's and the shop's `rating_*` (kept by `reviews.services`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="reviews"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=MAX_TITLE_LENGTH, blank=True)
    body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    is_visible = models.BooleanField(default=True)
    # The shop's one reply.
    reply_body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    reply_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "author"], name="review_once_per_product"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]
        # A product's reviews, newest first (`reviews.selectors.reviews_for_product`), and the
        # same with `?rating=` or ordered by rating.
        indexes = [
            models.Index(fields=["product", "is_visible", "-created_at"], name="review_product"),
            models.Index(
                fields=["product", "is_visible", "rating", "-created_at", "-id"],
                name="review_product_rating",
            ),
            # The admin's changelist, newest first.
            models.Index(fields=["-created_at", "-id"], name="review_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.product_id}"
