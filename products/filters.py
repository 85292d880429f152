"""Query-string filters of the catalogue. Invalid values are `400 validation_error`
(django-filter's backend raises them as a DRF ValidationError)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import F, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

from products.models import MAX_OPTIONS, Category, Product
from products.selectors import (
    category_subtree_ids,
    product_search,
    products_in_categories,
    variants_matching,
)

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
        method="filter_noop",  # with the other variant conditions, in `filter_queryset`
        min_value=Decimal("0"),
        max_value=MAX_PRICE_FILTER,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
    )


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_noop",  # after the other filters, in `filter_queryset`
        max_length=200,
        help_text=(
            "Words in the name or description, or a variant's whole SKU. On PostgreSQL a "
            "full-text search, ranked, that answers at most the newest "
            f"{settings.SEARCH_CANDIDATES:,} matching products (plus the products of that "
            "SKU): `count` is then exact and at most that."
        ),
    )
    shop = django_filters.UUIDFilter(field_name="shop_id", help_text="A shop id.")
    category = django_filters.CharFilter(
        method="filter_category",
        max_length=120,
        help_text="A category id or slug; products of its sub-categories are included.",
    )
    min_price = _price_filter("gte", "Lowest price, inclusive (of some active variant).")
    max_price = _price_filter("lte", "Highest price, inclusive (of some active variant).")
    in_stock = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES,
        method="filter_noop",
        help_text="`true`: some active variant has stock; `false`: none has.",
    )
    option = django_filters.CharFilter(
        method="filter_noop",
        max_length=201,
        help_text="`Name:value` (repeatable: all must hold on one active variant).",
    )
    sku = django_filters.CharFilter(
        method="filter_noop", max_length=64, help_text="A variant's SKU (any case)."
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

    def filter_category(self, queryset: QuerySet[Product], name: str, value: str):
        ids = category_subtree_ids(ref=value.strip())
        if not ids:
            return queryset.none()
        return products_in_categories(queryset, category_ids=ids)

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
            try:
                self.option_conditions()
            except ValueError as exc:
                self.form.add_error("option", str(exc))
                return False
        return valid

    def option_conditions(self) -> list[tuple[str, str]]:
        """`?option=Size:M&option=Colour:Red` as (name, value) pairs (`ValueError` if invalid)."""
        given = self.data.getlist("option") if hasattr(self.data, "getlist") else []
        if len(given) > MAX_OPTIONS:
            raise ValueError(f"At most {MAX_OPTIONS} options.")
        pairs: list[tuple[str, str]] = []
        for pair in given:
            name, _, value = pair.partition(":")
            name, value = name.strip(), value.strip()
            if not name or not value or len(pair) > 201 or "\x00" in pair:
                raise ValueError("Give options as `Name:value`.")
            pairs.append((name, value))
        return pairs

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        options = self.option_conditions()
        variant: dict[str, object] = {"is_active": True}
        if data.get("min_price") is not None:
            variant["price__gte"] = data["min_price"]
        if data.get("max_price") is not None:
            variant["price__lte"] = data["max_price"]
        if data.get("sku"):
            variant["sku_key"] = data["sku"].strip().lower()
        if data.get("in_stock") == "true":
            variant["stock__gt"] = 0
        if len(variant) > 1 or options:
            queryset = queryset.filter(variants_matching(options=options, **variant))
        if data.get("in_stock") == "false":
            queryset = queryset.exclude(variants_matching(is_active=True, stock__gt=0))
        if data.get("search"):
            queryset = product_search(queryset, text=data["search"])
        ordering = data.get("ordering")
        if ordering in ("rating", "-rating"):
            # By the stored average; products without a review come last either way.
            average = F("rating_average")
            if ordering == "rating":
                return queryset.order_by(average.asc(nulls_last=True), "-rating_count", "id")
            return queryset.order_by(average.desc(nulls_last=True), "-rating_count", "-id")
        if ordering in ("price", "-price"):
            # The lowest price of the active variants, stored on the product.
            ordering = ordering.replace("price", "price_min")
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
