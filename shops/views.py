"""Shops, their staff and their delivery zones. Every shop-scoped call authorises through
`shops.selectors.shop_membership`: a non-member gets 404, a member without the right 403."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import PermissionDenied, raises
from core.parsers import JSONParser, MultiPartParser
from core.permissions import IsVerifiedAccount
from core.responses import created, no_content, ok
from shops.models import DeliveryZone, Shop
from shops.selectors import (
    Membership,
    ShopRole,
    delivery_zone_get,
    delivery_zones_for_shop,
    shop_get_visible,
    shop_membership,
    shops_listed,
    staff_for_shop,
    staff_member_get,
)
from shops.serializers import (
    ADMIN_SHOP_FIELDS,
    DeliveryZoneSerializer,
    DeliveryZoneWriteSerializer,
    ShopListQuerySerializer,
    ShopSerializer,
    ShopStatusSerializer,
    ShopUpdateJSONSerializer,
    ShopUpdateSerializer,
    ShopWriteSerializer,
    StaffCreateSerializer,
    StaffPasswordSerializer,
    StaffSerializer,
    StaffUpdateSerializer,
)
from shops.services import (
    delivery_zone_create,
    delivery_zone_delete,
    delivery_zone_update,
    shop_create,
    shop_deactivate,
    shop_status_change,
    shop_update,
    staff_create,
    staff_deactivate,
    staff_password_set,
    staff_update,
)
from users.models import User

OWNER_ONLY = "Only the shop owner can do this."
ADMIN_ONLY = "Only platform admins can do this."


@raises(PermissionDenied)
def manager_membership(*, user: User, shop_id: uuid.UUID) -> Membership:
    """The owner's (or an admin's) membership; 404 for non-members, 403 for staff."""
    membership = shop_membership(user=user, shop_id=shop_id)
    if not membership.can_manage_shop:
        raise PermissionDenied(OWNER_ONLY)
    return membership


class ShopListCreateView(GenericAPIView):
    queryset = Shop.objects.none()
    serializer_class = ShopSerializer
    filter_backends: list[Any] = []

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsVerifiedAccount()]
        return [AllowAny()]

    @extend_schema(
        tags=["shops"],
        summary="List active shops (admins: any status with `?status=`)",
        parameters=[ShopListQuerySerializer],
        responses=ShopSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = ShopListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shops = shops_listed(
            user=request.user,
            search=query.validated_data["search"],
            status=query.validated_data.get("status"),
        )
        page = self.paginate_queryset(shops)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.message = "Shops."
        return response

    @extend_schema(
        tags=["shops"],
        summary="Create a shop (verified account)",
        request=ShopWriteSerializer,
        responses={201: ShopSerializer},
    )
    @raises(shop_create)
    def post(self, request: Request) -> Response:
        body = ShopWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shop = shop_create(owner=request.user, **body.validated_data)
        return created(self.get_serializer(shop).data, "Shop created.")


class ShopDetailView(GenericAPIView):
    queryset = Shop.objects.none()
    serializer_class = ShopSerializer
    parser_classes = [JSONParser, MultiPartParser]  # PATCH: JSON, or multipart with a `logo`

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(tags=["shops"], summary="Show a shop", responses=ShopSerializer)
    def get(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_get_visible(user=request.user, shop_id=shop_id)
        return ok(self.get_serializer(shop).data, "Shop.")

    @extend_schema(
        tags=["shops"],
        summary="Update a shop (owner, admin)",
        description="JSON, or `multipart/form-data` to upload a `logo` (`logo: null` removes it).",
        request={
            "application/json": ShopUpdateJSONSerializer,
            "multipart/form-data": ShopUpdateSerializer,
        },
        responses=ShopSerializer,
    )
    @raises(manager_membership, shop_update)
    def patch(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        body = ShopUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if not request.user.is_platform_admin and any(f in data for f in ADMIN_SHOP_FIELDS):
            raise PermissionDenied("Only platform admins set a shop's commission and payouts.")
        has_logo = "logo" in data
        logo = data.pop("logo", None)
        shop = shop_update(shop=shop, data=data, logo=logo, remove_logo=has_logo and logo is None)
        return ok(self.get_serializer(shop).data, "Shop updated.")

    @extend_schema(
        tags=["shops"],
        summary="Deactivate a shop (owner, admin)",
        request=None,
        responses={204: OpenApiResponse(description="Deactivated.")},
    )
    @raises(manager_membership)
    def delete(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        shop_deactivate(shop=shop)
        return no_content()


class ShopStatusView(GenericAPIView):
    queryset = Shop.objects.none()
    serializer_class = ShopSerializer

    @extend_schema(
        tags=["shops"],
        summary="Approve, reject, suspend or reinstate a shop (admin); the owner is e-mailed",
        request=ShopStatusSerializer,
        responses=ShopSerializer,
    )
    @raises(PermissionDenied, shop_status_change)
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        membership = shop_membership(user=request.user, shop_id=shop_id)
        if membership.role != ShopRole.ADMIN:
            raise PermissionDenied(ADMIN_ONLY)
        body = ShopStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shop = shop_status_change(
            shop_id=membership.shop.id,
            status=body.validated_data["status"],
            note=body.validated_data["note"],
            actor=request.user,
        )
        return ok(self.get_serializer(shop).data, f"Shop {shop.status}.")


class StaffListCreateView(GenericAPIView):
    queryset = User.objects.none()
    serializer_class = StaffSerializer
    filter_backends: list[Any] = []

    @extend_schema(
        tags=["staff"],
        summary="List a shop's staff (owner, admin)",
        responses=StaffSerializer(many=True),
    )
    @raises(manager_membership)
    def get(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        page = self.paginate_queryset(staff_for_shop(shop=shop))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.message = "Staff."
        return response

    @extend_schema(
        tags=["staff"],
        summary="Create a staff account (owner, admin)",
        request=StaffCreateSerializer,
        responses={201: StaffSerializer},
    )
    @raises(manager_membership, staff_create)
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        body = StaffCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        staff = staff_create(shop=shop, **body.validated_data)
        return created(self.get_serializer(staff).data, "Staff member created.")


class StaffDetailView(GenericAPIView):
    queryset = User.objects.none()
    serializer_class = StaffSerializer

    @extend_schema(
        tags=["staff"],
        summary="Show a staff account (owner, admin, or that staff member)",
        responses=StaffSerializer,
    )
    @raises(PermissionDenied)
    def get(self, request: Request, shop_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        membership = shop_membership(user=request.user, shop_id=shop_id)
        is_self = membership.role == ShopRole.STAFF and request.user.id == user_id
        if not (membership.can_manage_shop or is_self):
            raise PermissionDenied(OWNER_ONLY)
        staff = staff_member_get(shop=membership.shop, user_id=user_id)
        return ok(self.get_serializer(staff).data, "Staff member.")

    @extend_schema(
        tags=["staff"],
        summary="Edit a staff account (owner, admin)",
        request=StaffUpdateSerializer,
        responses=StaffSerializer,
    )
    @raises(manager_membership, staff_update)
    def patch(self, request: Request, shop_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        staff = staff_member_get(shop=shop, user_id=user_id)
        body = StaffUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        staff = staff_update(staff=staff, data=body.validated_data)
        return ok(self.get_serializer(staff).data, "Staff member updated.")

    @extend_schema(
        tags=["staff"],
        summary="Deactivate a staff account (owner, admin)",
        description="Its tokens are revoked at once.",
        request=None,
        responses={204: OpenApiResponse(description="Deactivated.")},
    )
    @raises(manager_membership)
    def delete(self, request: Request, shop_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        staff_deactivate(staff=staff_member_get(shop=shop, user_id=user_id))
        return no_content()


class StaffPasswordView(GenericAPIView):
    queryset = User.objects.none()
    serializer_class = StaffSerializer

    @extend_schema(
        tags=["staff"],
        summary="Set a staff member's password (owner, admin)",
        description="Their tokens are revoked at once.",
        request=StaffPasswordSerializer,
        responses=StaffSerializer,
    )
    @raises(manager_membership)
    def post(self, request: Request, shop_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        staff = staff_member_get(shop=shop, user_id=user_id)
        body = StaffPasswordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        staff = staff_password_set(staff=staff, new_password=body.validated_data["new_password"])
        return ok(self.get_serializer(staff).data, "Password changed.")


class DeliveryZoneListCreateView(GenericAPIView):
    queryset = DeliveryZone.objects.none()
    serializer_class = DeliveryZoneSerializer
    filter_backends: list[Any] = []

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        tags=["delivery zones"],
        summary="List a shop's delivery zones",
        description=(
            "Where the shop delivers, for how much and how soon. A shop without zones charges "
            "its `delivery_fee` everywhere."
        ),
        responses=DeliveryZoneSerializer(many=True),
    )
    def get(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_get_visible(user=request.user, shop_id=shop_id)
        page = self.paginate_queryset(delivery_zones_for_shop(shop=shop))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.message = "Delivery zones."
        return response

    @extend_schema(
        tags=["delivery zones"],
        summary="Add a delivery zone (owner, admin)",
        description=(
            "Unknown state, `*` with other states, `days_min` above `days_max`: "
            "`400 validation_error`. A state (or `*`) another zone of the shop covers, a name "
            "taken, a 51st zone: `409 conflict`."
        ),
        request=DeliveryZoneWriteSerializer,
        responses={201: DeliveryZoneSerializer},
    )
    @raises(manager_membership, delivery_zone_create)
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        body = DeliveryZoneWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        zone = delivery_zone_create(shop=shop, data=body.validated_data)
        return created(self.get_serializer(zone).data, "Delivery zone added.")


class DeliveryZoneDetailView(GenericAPIView):
    queryset = DeliveryZone.objects.none()
    serializer_class = DeliveryZoneSerializer

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(tags=["delivery zones"], summary="Show a delivery zone")
    def get(self, request: Request, shop_id: uuid.UUID, zone_id: uuid.UUID) -> Response:
        shop = shop_get_visible(user=request.user, shop_id=shop_id)
        zone = delivery_zone_get(shop=shop, zone_id=zone_id)
        return ok(self.get_serializer(zone).data, "Delivery zone.")

    @extend_schema(
        tags=["delivery zones"],
        summary="Change a delivery zone (owner, admin)",
        description="Checked again as a whole, as on creation.",
        request=DeliveryZoneWriteSerializer,
        responses=DeliveryZoneSerializer,
    )
    @raises(manager_membership, delivery_zone_update)
    def patch(self, request: Request, shop_id: uuid.UUID, zone_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        zone = delivery_zone_get(shop=shop, zone_id=zone_id)
        body = DeliveryZoneWriteSerializer(
            data=request.data, partial=True, context={"country": zone.country}
        )
        body.is_valid(raise_exception=True)
        zone = delivery_zone_update(zone=zone, data=body.validated_data)
        return ok(self.get_serializer(zone).data, "Delivery zone updated.")

    @extend_schema(
        tags=["delivery zones"],
        summary="Delete a delivery zone (owner, admin)",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    @raises(manager_membership)
    def delete(self, request: Request, shop_id: uuid.UUID, zone_id: uuid.UUID) -> Response:
        shop = manager_membership(user=request.user, shop_id=shop_id).shop
        delivery_zone_delete(zone=delivery_zone_get(shop=shop, zone_id=zone_id))
        return no_content()
