"""Admin pieces shared by several apps, and the site's names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.filters import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import Exists, Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from core.catalogue_cache import catalogue_changed
from core.pagination import CountLimitedPaginator

admin.site.site_header = "Marketplace administration"
admin.site.site_title = "Marketplace admin"
admin.site.index_title = "Shops, catalogue, orders and payments"


def titled(filter_class: type[FieldListFilter], title: str) -> type[FieldListFilter]:
    """A field filter under a title of its own: `("shop__is_active", titled(
    admin.BooleanFieldListFilter, "shop active"))` instead of a second "By is active"."""

    class TitledFilter(filter_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter


class CatalogueChangeAdminMixin(admin.ModelAdmin):
    """For the admin of what the public catalogue shows (categories, products, shops)."""

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        catalogue_changed()

    def save_related(self, request: HttpRequest, form: ModelForm, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        catalogue_changed()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)
        catalogue_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        catalogue_changed()


class FixedChoicesFilter(admin.SimpleListFilter):
    """A filter on a plain column whose choices are given, not read from the table: Django's
    default for a column without `choices` runs a `SELECT DISTINCT` over the whole table on
    every changelist page. Same query string as Django's (`<field>__exact=`)."""

    field_name: str = ""
    choice_list: Callable[[], Iterable[tuple[Any, str]]] = staticmethod(list)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return list(self.choice_list())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(**{self.field_name: value})
        except (ValidationError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


def fixed_choices_filter(
    field_name: str, title: str, choices: Callable[[], Iterable[tuple[Any, str]]]
) -> type[FixedChoicesFilter]:
    """`list_filter = [fixed_choices_filter("currency", "currency", lambda: [("NGN", "NGN")])]`."""
    return type(
        f"{field_name.title()}ChoicesFilter",
        (FixedChoicesFilter,),
        {
            "title": title,
            "parameter_name": f"{field_name}__exact",
            "field_name": field_name,
            "choice_list": staticmethod(choices),
        },
    )


class ExistsListFilter(admin.SimpleListFilter):
    """Rows with at least one related row pointing at the chosen object (a shop of one of an
    order group's orders, a category of a product), tested with `EXISTS`: no join, so no
    duplicate rows and no `DISTINCT` over a big table. The choices come from the small table
    (`choice_list`); `related` gives the related rows of one chosen object, correlated to the
    changelist's row (`OuterRef("pk")`)."""

    def choice_list(self) -> Iterable[tuple[Any, str]]:
        raise NotImplementedError

    def related(self, value: str) -> QuerySet:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return [(str(key), label) for key, label in self.choice_list()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(Exists(self.related(value)))
        except (ValidationError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class GrowingTableAdmin(admin.ModelAdmin):
    """The changelist of a table that grows with every order: a count exact only up to
    `PAGINATION_EXACT_COUNT_LIMIT` (`CountLimitedPaginator`), no second count of the whole table
    and no facet counts (each would scan the table, once per filter choice)."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CountLimitedPaginator
