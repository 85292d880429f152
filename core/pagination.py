"""Pagination whose cost does not grow with the table.

Page numbers (`?page=N&page_size=M`: 20 by default, at most 100; an out-of-range page is 404)
answer `{count, next, previous, results}`. Three things keep a list flat as its table grows:

- **The count is exact only while small.** Counting a filtered list of a million rows reads a
  million rows. The rows are counted up to `PAGINATION_EXACT_COUNT_LIMIT` (1,000; one query
  that stops there); beyond that `count` is the database planner's estimate on PostgreSQL (never
  below the limit + 1) and the limit + 1 elsewhere. The header `X-Count-Exact` says which
  (`true`/`false`). An estimate only describes the list: every row stays reachable by page
  number, `next` is there while rows follow (the page reads one row more to know), and a page
  is out of range (404) when it is empty.
- **Keyset pages for the lists people scroll deep.** A list view that sets
  `cursor_ordering = ("-created_at", "-id")` also answers `?cursor=` (empty for the first page):
  its `next` and `previous` links then carry `cursor=<token>`, and each page is found from the
  position of the previous one (`created_at < ...` on an index) instead of skipping rows with
  `OFFSET`, so page 10,000 costs what page 1 does. Keyset pages follow the list's default order:
  `ordering` (other than that default) and `search` cannot be combined with `cursor`.
- **Deep page numbers skip ids, not rows** (PostgreSQL): from row `DEEP_PAGE_OFFSET` on, a page
  is read as `id IN (the page's ids, found with OFFSET)`: the skipped rows are passed over in the
  list's index alone, and only the page's own rows are read. (MariaDB refuses a `LIMIT` inside
  `IN`; it reads the page with a plain `OFFSET`.)

`CountLimitedPaginator` is the Django paginator with the same count and deep pages, also used by
the admin's changelists (`ModelAdmin.paginator`).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

DEFAULT_EXACT_COUNT_LIMIT = 1_000
DEEP_PAGE_OFFSET = 1_000
COUNT_EXACT_HEADER = "X-Count-Exact"
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def exact_count_limit() -> int:
    return int(getattr(settings, "PAGINATION_EXACT_COUNT_LIMIT", DEFAULT_EXACT_COUNT_LIMIT))


def planner_estimate(queryset: QuerySet) -> int | None:
    """The number of rows PostgreSQL's planner expects `queryset` to return (`EXPLAIN`: plans
    the query, runs nothing), or None on another database."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def limited_count(queryset: QuerySet) -> tuple[int, bool]:
    """(count, exact): the exact number of rows up to the limit, else an estimate above it."""
    limit = exact_count_limit()
    # The ids alone: the rows' annotations (e.g. a search's rank) need not be computed to count.
    counted = queryset.order_by().values("pk")[: limit + 1].count()
    if counted <= limit:
        return counted, True
    return max(limit + 1, planner_estimate(queryset.order_by()) or 0), False


class CountLimitedPage(Page):
    """A page of a list whose count is an estimate: whether another page follows is known from
    the rows themselves (one more than the page was read), not from the count."""

    def __init__(self, object_list: Any, number: int, paginator: Paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CountLimitedPaginator(Paginator):
    """Django's paginator with the count of `limited_count` (exact up to the limit; `count_exact`
    tells whether it is) and deep pages read by id. A list (not a queryset) is counted exactly.

    Beyond the limit the count only describes the list: every row stays reachable by page
    number (a page is out of range when it is empty, not when the estimate says so), and `next`
    is there while rows follow."""

    count_exact = True

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list)
        value, self.count_exact = limited_count(self.object_list)
        return value

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.count_exact or int(number) < 1:
                raise
            return int(number)  # past the estimate: the rows decide (`page`)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.count_exact:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return Page(self.rows(bottom, top), number, self)
        rows = list(self.rows(bottom, bottom + self.per_page + 1))
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return CountLimitedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def rows(self, bottom: int, top: int) -> Any:
        """The rows `bottom:top` of the list; deep in a queryset on PostgreSQL, found by id."""
        rows = self.object_list
        if (
            bottom >= DEEP_PAGE_OFFSET
            and isinstance(rows, QuerySet)
            and connections[rows.db].vendor == "postgresql"
        ):
            # The same rows in the same order as the slice, which would read every row it skips.
            return rows.filter(pk__in=rows.values("pk")[bottom:top])
        return rows[bottom:top]


class KeysetPagination(CursorPagination):
    """DRF's cursor pagination over the view's `cursor_ordering`, with the standard page size,
    a count, and a malformed cursor answered as `400 validation_error`."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    cursor_query_description = (
        "Keyset pages (empty for the first page; then follow `next`/`previous`): each page costs "
        "the same however deep. Not with `ordering` or `search`."
    )

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        ordering = self.get_ordering(request, queryset, view)
        self.position_field = queryset.model._meta.get_field(ordering[0].lstrip("-"))
        given = {
            name: request.query_params.get(name, "").strip() for name in ("ordering", "search")
        }
        conflicting = [
            name
            for name, value in given.items()
            if value and (name, value) != ("ordering", ordering[0])
        ]
        if conflicting:
            raise ValidationError(
                {
                    "cursor": [
                        "Keyset pages follow the default order: "
                        f"drop {' and '.join(f'`{name}`' for name in conflicting)}, "
                        "or use page numbers."
                    ]
                }
            )
        self.count, self.count_exact = limited_count(queryset)
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        return tuple(view.cursor_ordering)

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
            if cursor is not None and cursor.position is not None:
                position = self.position_field.to_python(cursor.position)
                if isinstance(position, datetime.datetime):
                    if timezone.is_naive(position):
                        raise ValueError("a position without its time zone")
                    position.astimezone(datetime.UTC)  # OverflowError at the calendar's ends
        except (NotFound, DjangoValidationError, ValueError, OverflowError) as error:
            message = "Invalid cursor: follow a `next` or `previous` link."
            raise ValidationError({"cursor": [message]}) from error
        return cursor

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            },
            headers={COUNT_EXACT_HEADER: "true" if self.count_exact else "false"},
        )


class StandardPagination(PageNumberPagination):
    """Page numbers for every list; keyset pages (`?cursor=`) for views with `cursor_ordering`."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    django_paginator_class = CountLimitedPaginator

    keyset: KeysetPagination | None = None

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if getattr(view, "cursor_ordering", None) and "cursor" in request.query_params:
            self.keyset = KeysetPagination()
            return self.keyset.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: list[Any]) -> Response:
        if self.keyset is not None:
            return self.keyset.get_paginated_response(data)
        assert self.page is not None  # set by paginate_queryset, which DRF calls first
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            },
            headers={
                COUNT_EXACT_HEADER: "true" if getattr(paginator, "count_exact", True) else "false"
            },
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count"]["description"] = (
            f"Exact up to {exact_count_limit():,} results; beyond that an estimate "
            f"(header `{COUNT_EXACT_HEADER}: false`)."
        )
        return described

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        if getattr(view, "cursor_ordering", None):
            parameters.append(
                {
                    "name": "cursor",
                    "required": False,
                    "in": "query",
                    "description": KeysetPagination.cursor_query_description,
                    "schema": {"type": "string"},
                }
            )
        return parameters
