from __future__ import annotations

import unicodedata
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import MAX_BODY_LENGTH, MAX_TITLE_LENGTH, Review
from reviews.selectors import REVIEW_ORDERINGS

ALLOWED_CONTROL_CHARACTERS = {"\n", "\r", "\t"}


def plain_text(value: str) -> str:
    """Review text is plain text: line breaks and tabs, but no other control characters. It is
    stored as written and never rendered as HTML (clients show it as text)."""
    if any(
        unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROL_CHARACTERS
        for char in value
    ):
        raise serializers.ValidationError("Control characters are not allowed.")
    return value


class ReviewReplySerializer(serializers.Serializer):
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class ReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    product_id = serializers.UUIDField(read_only=True)
    rating = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    author_name = serializers.SerializerMethodField()
    verified_purchase = serializers.SerializerMethodField()
    is_visible = serializers.BooleanField(read_only=True)
    reply = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_author_name(self, review: Review) -> str:
        """First name and the initial of the last name ("Ada O.")."""
        author = review.author
        initial = f"{author.last_name.strip()[:1].upper()}." if author.last_name.strip() else ""
        return " ".join(part for part in (author.first_name.strip(), initial) if part) or (
            "Customer"
        )

    def get_verified_purchase(self, review: Review) -> bool:
        return True  # only buyers can review

    @extend_schema_field(ReviewReplySerializer(allow_null=True))
    def get_reply(self, review: Review) -> dict[str, Any] | None:
        if review.replied_at is None:
            return None
        reply = {"body": review.reply_body, "created_at": review.replied_at}
        return ReviewReplySerializer(reply).data


class ReviewCreateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(
        max_length=MAX_TITLE_LENGTH, allow_blank=True, default="", validators=[plain_text]
    )
    body = serializers.CharField(
        max_length=MAX_BODY_LENGTH, allow_blank=True, default="", validators=[plain_text]
    )


class ReviewUpdateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    title = serializers.CharField(
        max_length=MAX_TITLE_LENGTH, allow_blank=True, required=False, validators=[plain_text]
    )
    body = serializers.CharField(
        max_length=MAX_BODY_LENGTH, allow_blank=True, required=False, validators=[plain_text]
    )
    is_visible = serializers.BooleanField(
        required=False, help_text="Admins only: false hides the review (it stops counting)."
    )


class ReviewReplyCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, validators=[plain_text])


class ReviewListQuerySerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    ordering = serializers.ChoiceField(
        choices=list(REVIEW_ORDERINGS), required=False, default="-created_at"
    )
