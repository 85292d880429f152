from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import InvalidInput
from core.serializers import PlannedSerializer
from shops.delivery import zone_states_clean
from shops.models import EVERYWHERE, MAX_DELIVERY_DAYS, Shop, ShopStatus
from shops.selectors import is_shop_member
from users.models import User
from users.serializers import CountryField
from users.validators import normalise_country

MAX_DELIVERY_FEE = Decimal("9999999999.99")
MAX_LOW_STOCK_THRESHOLD = 1_000_000
PRIVATE_SHOP_FIELDS = (
    "code",
    "low_stock_threshold",
    "paystack_subaccount_code",
    "commission_percent",
    "payouts_paused",
    "status_note",
)
# Settlement terms: members see them, only platform admins set them.
ADMIN_SHOP_FIELDS = ("commission_percent", "payouts_paused")

# Paystack subaccount codes look like `ACCT_8f4s1eq7ml6rlzj`.
paystack_subaccount_validator = RegexValidator(
    re.compile(r"^ACCT_[A-Za-z0-9]{1,59}$"), "Enter a Paystack subaccount code (ACCT_...)."
)
handle_validator = RegexValidator(
    re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"),
    "Use 1-50 letters, digits, dots, dashes or underscores, starting with a letter or digit.",
)


def absolute_file_url(request: Any, file_field: Any) -> str | None:
    if not file_field:
        return None
    url = file_field.url
    return request.build_absolute_uri(url) if request is not None else url


class ShopRefSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class ShopSerializer(serializers.Serializer):
    """A shop. `code`, `low_stock_threshold` and `paystack_subaccount_code` are present only
    for its owner, its staff and admins."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    logo = serializers.SerializerMethodField()
    delivery_fee = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    status = serializers.ChoiceField(choices=ShopStatus.choices, read_only=True)
    rating_average = serializers.DecimalField(
        max_digits=2, decimal_places=1, read_only=True, allow_null=True
    )
    rating_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    # Not read-only only so that the schema marks them optional: this is an output serializer.
    code = serializers.CharField(required=False, help_text="Members and admins only.")
    low_stock_threshold = serializers.IntegerField(
        required=False, help_text="Members and admins only."
    )
    paystack_subaccount_code = serializers.CharField(
        required=False, help_text="Members and admins only."
    )
    commission_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Members and admins only: the shop's commission rate (null: the default).",
    )
    payouts_paused = serializers.BooleanField(required=False, help_text="Members and admins only.")
    status_note = serializers.CharField(
        required=False, help_text="Members and admins only: the platform's note on the status."
    )

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_logo(self, shop: Shop) -> str | None:
        return absolute_file_url(self.context.get("request"), shop.logo)

    def to_representation(self, shop: Shop) -> dict[str, Any]:
        data = super().to_representation(shop)
        request = self.context.get("request")
        if request is None or not is_shop_member(user=request.user, shop=shop):
            for field in PRIVATE_SHOP_FIELDS:
                data.pop(field, None)
        return data


def _clean_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise serializers.ValidationError("This field may not be blank.")
    return value


class ShopWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000, allow_blank=True, default="")
    delivery_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_DELIVERY_FEE,
        default=Decimal("0.00"),
    )
    low_stock_threshold = serializers.IntegerField(
        min_value=0, max_value=MAX_LOW_STOCK_THRESHOLD, default=5
    )
    paystack_subaccount_code = serializers.CharField(
        max_length=64, allow_blank=True, default="", validators=[paystack_subaccount_validator]
    )

    def validate_name(self, value: str) -> str:
        return _clean_name(value)


class ShopUpdateSerializer(ShopWriteSerializer):
    """PATCH body: any of the shop's fields, and `logo` (multipart) or `logo: null` to remove it.
    `commission_percent` and `payouts_paused` are set by platform admins only."""

    logo = serializers.FileField(
        required=False, allow_null=True, help_text="JPEG, PNG or WebP, at most 5 MB."
    )
    commission_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        help_text="Admins only: the shop's commission rate in percent (null: the default).",
    )
    payouts_paused = serializers.BooleanField(
        required=False, help_text="Admins only: hold back the shop's payouts."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ShopUpdateJSONSerializer(ShopUpdateSerializer):
    """The JSON form of the PATCH body, for the schema: there `logo` can only be null (removes
    the logo). A new logo is uploaded as multipart; the view validates both forms with
    `ShopUpdateSerializer`."""

    logo = serializers.CharField(
        required=False, allow_null=True, help_text="Only null: removes the logo."
    )


class ShopStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[ShopStatus.APPROVED, ShopStatus.REJECTED, ShopStatus.SUSPENDED, ShopStatus.PENDING]
    )
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")


class ShopListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Matches the shop's name or description (case-insensitive).",
    )
    status = serializers.ChoiceField(
        choices=ShopStatus.choices,
        required=False,
        help_text="Admins: every shop with this status (active or not). Others: public shops only.",
    )


class StaffSerializer(serializers.Serializer):
    """A staff account, in the shape of the user representation, plus `is_active`."""

    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_null=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    is_email_verified = serializers.BooleanField(read_only=True)
    is_platform_admin = serializers.BooleanField(read_only=True)
    shops_owned = serializers.SerializerMethodField()
    staff_of = serializers.SerializerMethodField()
    handle = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    date_joined = serializers.DateTimeField(read_only=True)
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(ShopRefSerializer(many=True))
    def get_shops_owned(self, user: User) -> list[dict[str, str]]:
        # Staff accounts cannot own shops.
        return []

    @extend_schema_field(ShopRefSerializer(allow_null=True))
    def get_staff_of(self, user: User) -> dict[str, str] | None:
        return {"id": str(user.shop.id), "name": user.shop.name} if user.shop_id else None


class StaffCreateSerializer(serializers.Serializer):
    handle = serializers.CharField(max_length=50, validators=[handle_validator])
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, allow_blank=True, default="")


class StaffUpdateSerializer(serializers.Serializer):
    handle = serializers.CharField(max_length=50, validators=[handle_validator], required=False)
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)


class StaffPasswordSerializer(serializers.Serializer):
    new_password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


# --- Delivery zones ------------------------------------------------------------------------------
def _zone_fee(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_DELIVERY_FEE,
        **kwargs,
    )


class DeliveryZoneSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    shop_id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    states = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=f'State codes, or `["{EVERYWHERE}"]`.',
    )
    fee = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    free_over = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )
    days_min = serializers.IntegerField(read_only=True)
    days_max = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class DeliveryZoneWriteSerializer(serializers.Serializer):
    """POST body (PATCH: the same, every field optional)."""

    name = serializers.CharField(max_length=80)
    country = CountryField(default="NG", help_text="ISO 3166-1 alpha-2; the zone's states are its.")
    states = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=100,
        help_text=(
            "The country's states by ISO 3166-2 code (`NG-LA`) or name, or "
            f'`["{EVERYWHERE}"]` for the rest of the country. A state is in one zone of a shop.'
        ),
    )
    fee = _zone_fee()
    free_over = _zone_fee(
        allow_null=True, default=None, help_text="Free from this shop subtotal on; never when null."
    )
    days_min = serializers.IntegerField(min_value=0, max_value=MAX_DELIVERY_DAYS)
    days_max = serializers.IntegerField(min_value=0, max_value=MAX_DELIVERY_DAYS)

    def validate_name(self, value: str) -> str:
        return _clean_name(value)

    def validate_states(self, value: list[str]) -> list[str]:
        """Cleaned against the body's country, else the zone's (`context["country"]`, PATCH),
        else Nigeria; an invalid country is the country field's error alone."""
        sent = self.initial_data.get("country") if isinstance(self.initial_data, dict) else None
        try:
            country = normalise_country(sent) if isinstance(sent, str) else None
        except ValueError:
            return value
        country = country or self.context.get("country", "NG")
        try:
            return zone_states_clean(country=country, states=value)
        except InvalidInput as refused:
            raise serializers.ValidationError(refused.errors["states"]) from refused
