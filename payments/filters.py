"""Query filters of the settlement lists; an unknown value is a `400 validation_error`."""

from __future__ import annotations

import django_filters

from core.filters import DateTimeFilter
from payments.models import LedgerEntry


class LedgerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LedgerEntry.Kind.choices)
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
    order = django_filters.UUIDFilter(field_name="order_id", label="An order's id.")

    class Meta:
        model = LedgerEntry
        fields = ["kind", "created_after", "created_before", "order"]
