"""Admin: reviews, read-only (their words are the customer's), hidden or shown through the
actions, which keep the ratings exact. Django admin escapes the text: it is never HTML."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import GrowingTableAdmin, fixed_choices_filter
from reviews.models import Review
from reviews.services import review_update


@admin.register(Review)
class ReviewAdmin(GrowingTableAdmin):
    list_display = ["product", "author", "rating", "title", "is_visible", "created_at"]
    # Ratings are 1 to 5 (a constraint): not read with a `SELECT DISTINCT` over the reviews.
    list_filter = [
        "is_visible",
        fixed_choices_filter("rating", "rating", lambda: [(n, str(n)) for n in range(1, 6)]),
        "created_at",
    ]
    search_fields = ["title", "body", "product__name", "author__email"]
    list_select_related = ["product", "author"]
    fields = [
        "id",
        "product",
        "author",
        "rating",
        "title",
        "body",
        "is_visible",
        "reply_body",
        "reply_author",
        "replied_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["hide", "show"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Review | None = None) -> bool:
        # Admins hide reviews (the actions); deleting is the author's.
        return False

    def _set_visible(self, request: HttpRequest, queryset: QuerySet[Review], visible: bool) -> int:
        ids = list(queryset.exclude(is_visible=visible).values_list("id", flat=True))
        for review_id in ids:
            review_update(user=request.user, review_id=review_id, data={"is_visible": visible})
        return len(ids)

    @admin.action(description="Hide the selected reviews")
    def hide(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self.message_user(request, f"{self._set_visible(request, queryset, False)} hidden.")

    @admin.action(description="Show the selected reviews again")
    def show(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self.message_user(request, f"{self._set_visible(request, queryset, True)} shown.")
