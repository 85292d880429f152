"""Query-string filters of the catalogue. Invalid values are `400 validation_error`
(django-filter's backend raises them as a DRF ValidationError)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import F, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

from products.models import Category, Product
from products.selectors import category_subtree_ids, product_search

BOOLEAN_CHOICES = (("true", "true"), ("false", "false"))
ORDERING_CHOICES = (
    ("price", "price"),
    ("-price", "-price"),
    ("created_at", "created_at"),
    ("-created_at", "-created_at"),
    ("name", "name"),
    ("-name", "-name"),
    ("rating", "rating"),
    ("-rating", "-rating"),
)
DEFAULT_ORDERING = "-created_at"
MAX_PRICE_FILTER = Decimal("9999999999.99")


def _price_filter(lookup: str, help_text: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name="price",
        lookup_expr=lookup,
        min_value=Decimal("0"),
        max_value=MAX_PRICE_FILTER,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
    )


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words in the name or description (full-text search on PostgreSQL).",
    )
    shop = django_filters.UUIDFilter(field_name="shop_id", help_text="A shop id.")
    category = django_filters.CharFilter(
        method="filter_category",
        max_length=120,
        help_text="A category id or slug; products of its sub-categories are included.",
    )
    min_price = _price_filter("gte", "Lowest price, inclusive.")
    max_price = _price_filter("lte", "Highest price, inclusive.")
    in_stock = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES,
        method="filter_in_stock",
        help_text="`true`: stock > 0; `false`: out of stock.",
    )
    ordering = django_filters.ChoiceFilter(
        choices=ORDERING_CHOICES,
        method="filter_noop",
        help_text=(
            "Sort order (default `-created_at`; by relevance when searching). `rating` and "
            "`-rating` sort by the average rating, products without reviews last."
        ),
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str):
        return product_search(queryset, text=value)

    def filter_category(self, queryset: QuerySet[Product], name: str, value: str):
        ids = category_subtree_ids(ref=value.strip())
        if not ids:
            return queryset.none()
        through = Product.categories.through
        return queryset.filter(
            id__in=through.objects.filter(category_id__in=ids).values("product_id")
        )

    def filter_in_stock(self, queryset: QuerySet[Product], name: str, value: str):
        return queryset.filter(stock__gt=0) if value == "true" else queryset.filter(stock=0)

    def filter_noop(self, queryset: QuerySet[Product], name: str, value: str):
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            low = self.form.cleaned_data.get("min_price")
            high = self.form.cleaned_data.get("max_price")
            if low is not None and high is not None and low > high:
                self.form.add_error("max_price", "Must be greater than or equal to min_price.")
                return False
        return valid

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        queryset = super().filter_queryset(queryset)
        ordering = self.form.cleaned_data.get("ordering")
        if ordering in ("rating", "-rating"):
            # By the stored average; products without a review come last either way.
            average = F("rating_average")
            if ordering == "rating":
                return queryset.order_by(average.asc(nulls_last=True), "-rating_count", "id")
            return queryset.order_by(average.desc(nulls_last=True), "-rating_count", "-id")
        if ordering:
            tiebreak = "-id" if ordering.startswith("-") else "id"
            return queryset.order_by(ordering, tiebreak)
        if self.form.cleaned_data.get("search") and "search_rank" in queryset.query.annotations:
            return queryset.order_by("-search_rank", "-created_at", "-id")
        return self.default_order(queryset)

    @staticmethod
    def default_order(queryset: QuerySet[Product]) -> QuerySet[Product]:
        return queryset.order_by(DEFAULT_ORDERING, "-id")


class ProductFilterBackend(DjangoFilterBackend):
    """`ProductFilter` for the catalogue's lists. A request with none of its parameters (most
    catalogue pages) only gets the default order: building the filter set (a deep copy of every
    filter, a form) would cost more than the rest of the query."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Product], view: Any):
        params = request.query_params
        if not any(name in params for name in ProductFilter.base_filters):
            return ProductFilter.default_order(queryset)
        return super().filter_queryset(request, queryset, view)


class CategoryFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=100, help_text="Part of the name."
    )
    parent = django_filters.UUIDFilter(
        field_name="parent_id", help_text="Only the direct sub-categories of this category."
    )

    class Meta:
        model = Category
        fields: list[str] = []
