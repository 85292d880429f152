"""Input validation and output shape for accounts and addresses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from users.models import Address, User
from users.selectors import Role, user_role, user_shops_owned
from users.validators import normalise_country, validate_phone

PASSWORD_MAX_LENGTH = 128
TOKEN_MAX_LENGTH = 1024


def password_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        **kwargs,
    )


def phone_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=16, validators=[validate_phone], **kwargs)


# --- Output --------------------------------------------------------------------------------------
class UserShopSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class UserSerializer(serializers.ModelSerializer):
    """The user representation. Load users through `users.selectors` (or with
    `select_related("shop")` for shop staff) so it costs no query per user."""

    is_platform_admin = serializers.BooleanField(read_only=True)
    role = serializers.SerializerMethodField()
    shops_owned = serializers.SerializerMethodField()
    staff_of = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "is_email_verified",
            "is_platform_admin",
            "role",
            "shops_owned",
            "staff_of",
            "handle",
            "date_joined",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[r.value for r in Role]))
    def get_role(self, user: User) -> str:
        return user_role(user).value

    @extend_schema_field(UserShopSerializer(many=True))
    def get_shops_owned(self, user: User) -> list[dict[str, Any]]:
        return [{"id": shop.id, "name": shop.name} for shop in user_shops_owned(user)]

    @extend_schema_field(UserShopSerializer(allow_null=True))
    def get_staff_of(self, user: User) -> dict[str, Any] | None:
        if user.shop_id is None:
            return None
        return {"id": user.shop.id, "name": user.shop.name}


class AdminUserSerializer(UserSerializer):
    """What platform admins see in the user list: the representation plus account state."""

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "is_active", "last_login"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class LoginResponseSerializer(TokenPairSerializer):
    user = UserSerializer(read_only=True)


# --- Input: authentication -----------------------------------------------------------------------
class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = password_field()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone = phone_field(required=False, allow_blank=True, default="")


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = password_field()


class StaffLoginSerializer(serializers.Serializer):
    shop_code = serializers.CharField(max_length=32)
    handle = serializers.CharField(max_length=50)
    password = password_field()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=TOKEN_MAX_LENGTH)


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=TOKEN_MAX_LENGTH)


class PasswordResetSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=TOKEN_MAX_LENGTH)
    new_password = password_field()


class PasswordChangeSerializer(serializers.Serializer):
    current_password = password_field()
    new_password = password_field()


class PasswordConfirmSerializer(serializers.Serializer):
    password = password_field()


# --- Input: profile and the admin list -----------------------------------------------------------
class ProfileUpdateSerializer(serializers.Serializer):
    """The only fields an account may change on itself; anything else sent is ignored."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = phone_field(required=False, allow_blank=True)


class UserListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(max_length=100, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=[r.value for r in Role], required=False)


# --- Addresses -----------------------------------------------------------------------------------
class CountryField(serializers.CharField):
    default_error_messages = {"invalid_country": "Enter an ISO 3166-1 alpha-2 country code."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return normalise_country(value)
        except ValueError:
            self.fail("invalid_country")


class AddressSerializer(serializers.ModelSerializer):
    """Output, and input of POST (PATCH uses it with `partial=True`). Writable fields are the
    address lines and `is_default`; `id`, `created_at` and the owner are never taken from input.
    """

    phone = phone_field()
    country = CountryField(default="NG")

    class Meta:
        model = Address
        fields = [
            "id",
            "full_name",
            "phone",
            "line1",
            "line2",
            "city",
            "state",
            "state_unrecognised",
            "postal_code",
            "country",
            "is_default",
            "created_at",
        ]
        read_only_fields = ["id", "state_unrecognised", "created_at"]
        extra_kwargs = {
            "is_default": {"required": False},
            "state": {
                "help_text": (
                    "In a country with a list of states (`/countries/{code}/states/`), one of "
                    "them by code (`NG-LA`) or name (`Lagos`), case-insensitive; stored and "
                    "shown as the code. Free text elsewhere."
                )
            },
            "state_unrecognised": {
                "help_text": (
                    "True for an address kept from before states were checked whose state "
                    "names none of its country's: set a state to clear it."
                )
            },
        }


# --- Reference lists (output only) ---------------------------------------------------------------
class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2.")
    name = serializers.CharField(read_only=True)


class StateSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="ISO 3166-2, e.g. `NG-LA`.")
    name = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True, help_text="e.g. `State`, `Capital territory`.")
    parent = serializers.CharField(
        read_only=True, allow_null=True, help_text="The code of the subdivision it belongs to."
    )
