from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import GrowingTableAdmin
from users.countries import has_states, state_code
from users.models import Address, User
from users.selectors import Role, users_with_role


def _clean_email(form: forms.ModelForm) -> str | None:
    email = form.cleaned_data.get("email")
    return email.strip().lower() if email else None


class UserCreationAdminForm(BaseUserCreationForm):
    """Creates an account with an e-mail; shop staff are created by their shop's owner."""

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self) -> str | None:
        return _clean_email(self)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str | None:
        return _clean_email(self)


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(role.value, role.value.replace("_", " ")) for role in Role]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        value = self.value()
        return users_with_role(queryset, role=value) if value else queryset


class AddressAdminForm(forms.ModelForm):
    """The API's rule for states: in a country with a list of states, one of them (by code or
    name), stored as the code, which clears `state_unrecognised`."""

    class Meta:
        model = Address
        exclude: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        country, state = data.get("country"), data.get("state", "")
        if country and has_states(country):
            code = state_code(country, state)
            if code is None:
                self.add_error("state", f"Not a state of {country}: use its code or name.")
            else:
                data["state"] = code
                self.instance.state_unrecognised = False
        return data


class AddressInline(admin.TabularInline):
    model = Address
    form = AddressAdminForm
    extra = 0
    fields = ["full_name", "phone", "line1", "city", "state", "country", "is_default"]


@admin.register(User)
class UserAdmin(GrowingTableAdmin, BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = [
        "email",
        "handle",
        "shop",
        "first_name",
        "last_name",
        "is_email_verified",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    list_filter = [RoleFilter, "is_email_verified", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["shop"]
    search_fields = ["email", "first_name", "last_name", "handle"]
    ordering = ["-date_joined"]
    readonly_fields = ["token_version", "last_login", "date_joined"]
    raw_id_fields = ["shop"]
    inlines = [AddressInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["first_name", "last_name", "phone", "is_email_verified"]}),
        ("Shop staff", {"fields": ["shop", "handle"]}),
        (
            "Access",
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                    "token_version",
                ]
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def get_inline_instances(self, request: HttpRequest, obj: User | None = None) -> list[Any]:
        # Addresses are added once the account exists.
        return super().get_inline_instances(request, obj) if obj is not None else []


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    form = AddressAdminForm
    list_display = [
        "full_name",
        "user",
        "city",
        "state",
        "country",
        "state_unrecognised",
        "is_default",
        "created_at",
    ]
    list_filter = ["country", "state_unrecognised", "is_default"]
    list_select_related = ["user"]
    search_fields = ["full_name", "line1", "city", "user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["state_unrecognised"]
