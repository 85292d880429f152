"""Query filters of the order lists; an unknown value is a `400 validation_error`."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from core.filters import DateTimeFilter
from orders.models import Order, OrderGroup, Return


class OrderGroupFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderGroup.Status.choices)

    class Meta:
        model = OrderGroup
        fields = ["status"]


class _OrderOrdering(django_filters.OrderingFilter):
    def filter(self, qs: QuerySet[Order], value: Any) -> QuerySet[Order]:
        if not value:
            return qs
        # `status` follows the lifecycle, not the alphabet: the stored rank, which an index
        # serves. Under a status filter every order has the same rank: it is left out, so that
        # the status filter's index serves the order.
        one_status = bool(self.parent.form.cleaned_data.get("status"))
        keys: list[Any] = []
        for item in value:
            if item.lstrip("-") != "status":
                keys.append(item)
            elif not one_status:
                keys.append(item.replace("status", "status_rank"))
        return qs.order_by(*keys, "-created_at", "-id")


class ShopOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    created_after = DateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created at or after (ISO 8601 date or date-time).",
    )
    created_before = DateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        label="Created before (ISO 8601 date or date-time).",
    )
    ordering = _OrderOrdering(
        fields=(("created_at", "created_at"), ("status", "status")),
        label="created_at, -created_at, status (lifecycle order) or -status; default -created_at.",
    )

    class Meta:
        model = Order
        fields = ["status", "created_after", "created_before", "ordering"]


class ReturnFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Return.Status.choices)

    class Meta:
        model = Return
        fields = ["status"]
