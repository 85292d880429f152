"""Query filters shared by the apps' FilterSets, safe with any input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError


class UTCDateTimeField(forms.DateTimeField):
    """A date-time turned into UTC and kept within the years every database stores (1000-9999),
    so that an odd offset (`+23:59`) or an extreme year is a `400`, never a database error."""

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        try:
            result = result.astimezone(UTC) if result.tzinfo else result
        except OverflowError as exc:
            raise ValidationError("Enter a valid date/time.", code="invalid") from exc
        if not 1000 <= result.year <= 9999:
            raise ValidationError("Enter a date between the years 1000 and 9999.", code="invalid")
        return result


class DateTimeFilter(django_filters.DateTimeFilter):
    field_class = UTCDateTimeField
