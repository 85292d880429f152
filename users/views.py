"""Accounts, authentication and addresses: parse, authorise, call, serialise."""

from __future__ import annotations

import functools
import uuid
from dataclasses import asdict
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.errors import NotFound, raises
from core.permissions import IsAccountWithEmail, IsPlatformAdmin
from core.responses import created, no_content, ok
from core.throttles import (
    EmailSendingIPThrottle,
    LoginEmailThrottle,
    LoginIPThrottle,
    PasswordCheckThrottle,
    PasswordForgotEmailThrottle,
    RegisterIPThrottle,
    StaffLoginAccountThrottle,
    VerifyResendEmailThrottle,
)
from users import countries, selectors, services
from users.models import Address, User
from users.serializers import (
    AddressSerializer,
    AdminUserSerializer,
    CountrySerializer,
    EmailSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    PasswordResetSerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    RegisterSerializer,
    StaffLoginSerializer,
    StateSerializer,
    TokenPairSerializer,
    TokenSerializer,
    UserListQuerySerializer,
    UserSerializer,
)

ACCEPTED = 202
NO_DATA = OpenApiResponse(OpenApiTypes.NONE, description="Envelope with a message, no data.")


def _valid(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _user_data(user: Any) -> dict[str, Any]:
    return UserSerializer(selectors.user_with_roles(user=user)).data


class PublicView(APIView):
    """Endpoints for anyone: a stale `Authorization` header must not get in the way."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


# --- Authentication ------------------------------------------------------------------------------
class RegisterView(PublicView):
    throttle_classes = [RegisterIPThrottle]

    @extend_schema(
        summary="Register an account",
        tags=["auth"],
        request=RegisterSerializer,
        responses={201: UserSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user = services.user_register(**_valid(RegisterSerializer, request.data))
        return created(_user_data(user), "Account created. Check your e-mail to verify it.")


class VerifyEmailView(PublicView):
    @extend_schema(
        summary="Verify an e-mail address",
        tags=["auth"],
        request=TokenSerializer,
        responses={200: NO_DATA},
        auth=[],
    )
    @raises(services.email_verify)
    def post(self, request: Request) -> Response:
        services.email_verify(**_valid(TokenSerializer, request.data))
        return ok(None, "E-mail address verified.")


class VerifyEmailResendView(PublicView):
    throttle_classes = [EmailSendingIPThrottle, VerifyResendEmailThrottle]

    @extend_schema(
        summary="Send the verification e-mail again",
        tags=["auth"],
        request=EmailSerializer,
        responses={202: NO_DATA},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        services.email_verification_resend(**_valid(EmailSerializer, request.data))
        return ok(
            None,
            "If an unverified account uses this address, a new link is on its way.",
            status=ACCEPTED,
        )


class LoginView(PublicView):
    throttle_classes = [LoginIPThrottle, LoginEmailThrottle]

    @extend_schema(
        summary="Log in",
        tags=["auth"],
        request=LoginSerializer,
        responses={200: LoginResponseSerializer},
        auth=[],
    )
    @raises(services.user_login)
    def post(self, request: Request) -> Response:
        user = services.user_login(**_valid(LoginSerializer, request.data))
        data = {**services.tokens_for_user(user=user), "user": _user_data(user)}
        return ok(data, "Logged in.")


class StaffLoginView(PublicView):
    throttle_classes = [LoginIPThrottle, StaffLoginAccountThrottle]

    @extend_schema(
        summary="Log in as shop staff",
        tags=["auth"],
        request=StaffLoginSerializer,
        responses={200: LoginResponseSerializer},
        auth=[],
    )
    @raises(services.staff_login)
    def post(self, request: Request) -> Response:
        user = services.staff_login(**_valid(StaffLoginSerializer, request.data))
        data = {**services.tokens_for_user(user=user), "user": _user_data(user)}
        return ok(data, "Logged in.")


class TokenRefreshView(PublicView):
    @extend_schema(
        summary="Refresh the tokens",
        tags=["auth"],
        request=RefreshSerializer,
        responses={200: TokenPairSerializer},
        auth=[],
    )
    @raises(services.token_refresh)
    def post(self, request: Request) -> Response:
        tokens = services.token_refresh(**_valid(RefreshSerializer, request.data))
        return ok(tokens, "Token refreshed.")


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Log out", tags=["auth"], request=RefreshSerializer, responses={200: NO_DATA}
    )
    @raises(services.user_logout)
    def post(self, request: Request) -> Response:
        data = _valid(RefreshSerializer, request.data)
        services.user_logout(user=request.user, refresh=data["refresh"], access_token=request.auth)
        return ok(None, "Logged out.")


class PasswordForgotView(PublicView):
    throttle_classes = [EmailSendingIPThrottle, PasswordForgotEmailThrottle]

    @extend_schema(
        summary="Ask for a password reset e-mail",
        tags=["auth"],
        request=EmailSerializer,
        responses={202: NO_DATA},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        services.password_forgot(**_valid(EmailSerializer, request.data))
        return ok(
            None,
            "If an account uses this address, a password reset link is on its way.",
            status=ACCEPTED,
        )


class PasswordResetView(PublicView):
    @extend_schema(
        summary="Reset a forgotten password",
        tags=["auth"],
        request=PasswordResetSerializer,
        responses={200: NO_DATA},
        auth=[],
    )
    @raises(services.password_reset)
    def post(self, request: Request) -> Response:
        services.password_reset(**_valid(PasswordResetSerializer, request.data))
        return ok(None, "Password changed. Log in with the new password.")


# --- The caller's own account --------------------------------------------------------------------
class MeView(APIView):
    delete_takes_body = True  # the password, documented in the schema (core.schema)

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "DELETE":
            return [IsAccountWithEmail()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method == "DELETE":
            return [PasswordCheckThrottle()]
        return []

    @extend_schema(summary="Show my account", tags=["users"], responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        return ok(_user_data(request.user), "Your account.")

    @extend_schema(
        summary="Update my account",
        tags=["users"],
        request=ProfileUpdateSerializer,
        responses={200: UserSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = _valid(ProfileUpdateSerializer, request.data, partial=True)
        user = services.user_update(user=request.user, data=data)
        return ok(_user_data(user), "Account updated.")

    @extend_schema(
        summary="Close my account",
        tags=["users"],
        request=PasswordConfirmSerializer,
        responses={204: OpenApiResponse(description="Account closed.")},
    )
    def delete(self, request: Request) -> Response:
        services.user_delete(user=request.user, **_valid(PasswordConfirmSerializer, request.data))
        return no_content()


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PasswordCheckThrottle]

    @extend_schema(
        summary="Change my password",
        tags=["users"],
        request=PasswordChangeSerializer,
        responses={
            200: OpenApiResponse(
                TokenPairSerializer,
                description="Every earlier token is revoked; a new pair is returned.",
            )
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(PasswordChangeSerializer, request.data)
        tokens = services.password_change(user=request.user, **data)
        return ok(tokens, "Password changed.")


class UserListView(GenericAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = AdminUserSerializer
    queryset = User.objects.none()  # the real one comes from users.selectors

    @extend_schema(
        summary="List accounts (admin)",
        tags=["users"],
        parameters=[
            OpenApiParameter("search", str, description="E-mail, name or handle contains."),
            OpenApiParameter("role", str, enum=[r.value for r in selectors.Role]),
        ],
        responses={200: AdminUserSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = _valid(UserListQuerySerializer, request.query_params)
        users = selectors.users_list(search=query.get("search"), role=query.get("role"))
        page = self.paginate_queryset(users)
        response = self.get_paginated_response(AdminUserSerializer(page, many=True).data)
        response.message = "Users."
        return response


# --- Addresses -----------------------------------------------------------------------------------
class AddressListView(GenericAPIView):
    permission_classes = [IsAccountWithEmail]
    serializer_class = AddressSerializer
    queryset = Address.objects.none()  # the real one comes from users.selectors

    @extend_schema(
        summary="List my addresses",
        tags=["addresses"],
        responses={200: AddressSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        addresses = selectors.addresses_for_user(user=request.user)
        page = self.paginate_queryset(addresses)
        response = self.get_paginated_response(AddressSerializer(page, many=True).data)
        response.message = "Your addresses."
        return response

    @extend_schema(
        summary="Add an address",
        tags=["addresses"],
        request=AddressSerializer,
        responses={201: AddressSerializer},
    )
    @raises(services.address_create)
    def post(self, request: Request) -> Response:
        data = _valid(AddressSerializer, request.data)
        address = services.address_create(user=request.user, data=data)
        return created(AddressSerializer(address).data, "Address added.")


class AddressDetailView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        summary="Show an address", tags=["addresses"], responses={200: AddressSerializer}
    )
    def get(self, request: Request, address_id: uuid.UUID) -> Response:
        address = selectors.address_get(user=request.user, address_id=address_id)
        return ok(AddressSerializer(address).data, "Address.")

    @extend_schema(
        summary="Update an address",
        tags=["addresses"],
        request=AddressSerializer,
        responses={200: AddressSerializer},
    )
    def patch(self, request: Request, address_id: uuid.UUID) -> Response:
        selectors.address_get(user=request.user, address_id=address_id)  # 404 before the body
        data = _valid(AddressSerializer, request.data, partial=True)
        address = services.address_update(user=request.user, address_id=address_id, data=data)
        return ok(AddressSerializer(address).data, "Address updated.")

    @extend_schema(
        summary="Delete an address",
        tags=["addresses"],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, address_id: uuid.UUID) -> Response:
        services.address_delete(user=request.user, address_id=address_id)
        return no_content()


# --- Reference lists -----------------------------------------------------------------------------
# ISO 3166 changes with a release of its package, never while the process runs: the lists are
# built once, and clients and proxies may keep them for a day.
REFERENCE_CACHE_CONTROL = "public, max-age=86400"


@functools.cache
def _country_list() -> list[dict[str, str]]:
    return [asdict(country) for country in countries.COUNTRIES]


@functools.cache
def _state_list(country: str) -> list[dict[str, str | None]]:
    return [asdict(state) for state in countries.states(country)]


class CountryListView(PublicView):
    @extend_schema(
        tags=["reference"],
        summary="List countries",
        description="ISO 3166-1, by name.",
        responses={200: CountrySerializer(many=True)},
        auth=[],
    )
    def get(self, request: Request) -> Response:
        response = ok(_country_list(), "Countries.")
        response["Cache-Control"] = REFERENCE_CACHE_CONTROL
        return response


class StateListView(PublicView):
    @extend_schema(
        tags=["reference"],
        summary="List a country's states",
        description="Empty for a country without subdivisions; unknown country: `404`.",
        responses={200: StateSerializer(many=True)},
        auth=[],
    )
    @raises(NotFound)
    def get(self, request: Request, code: str) -> Response:
        country = code.upper()
        if country not in countries.COUNTRY_CODES:
            raise NotFound("Country not found.")
        response = ok(_state_list(country), "States.")
        response["Cache-Control"] = REFERENCE_CACHE_CONTROL
        return response
