"""Admin pieces shared by several apps, and the site's names."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.filters import FieldListFilter
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from core.catalogue_cache import catalogue_changed

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
