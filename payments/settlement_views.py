"""Settlement: a shop's balance, ledger, statement and adjustments (API.md §10)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PermissionDenied
from core.responses import created, ok
from payments import selectors
from payments.filters import LedgerFilter
from payments.models import LedgerEntry
from payments.serializers import (
    AdjustmentInputSerializer,
    BalanceSerializer,
    LedgerEntrySerializer,
    StatementQuerySerializer,
)
from payments.services.settlement import adjustment_create, shop_balance
from shops.models import Shop
from shops.selectors import shop_membership
from users.models import User

TAGS = ["settlement"]
OWNER_ONLY = "Only the shop owner can see the shop's money."


def shop_for_manager(*, user: User, shop_id: uuid.UUID) -> Shop:
    """The shop, for its owner or an admin; 404 for non-members, 403 for its staff."""
    membership = shop_membership(user=user, shop_id=shop_id)
    if not membership.can_manage_shop:
        raise PermissionDenied(OWNER_ONLY)
    return membership.shop


class ShopBalanceView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="A shop's balance (members, admins)",
        responses=BalanceSerializer,
    )
    def get(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_membership(user=request.user, shop_id=shop_id).shop
        return ok(BalanceSerializer(shop_balance(shop=shop)).data, "Balance.")


class ShopLedgerView(ListAPIView):
    """A shop's ledger entries, newest first (owner, admins)."""

    serializer_class = LedgerEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LedgerFilter

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        shop = shop_for_manager(user=self.request.user, shop_id=self.kwargs["shop_id"])
        return selectors.ledger_for_shop(shop=shop)

    @extend_schema(tags=TAGS, summary="A shop's ledger (owner, admins)")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response.message = "Ledger entries."
        return response


class ShopStatementView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="A shop's monthly statement as CSV (owner, admins)",
        description=(
            "One row an entry of the month (UTC), oldest first, with the running balance, "
            "between an `opening_balance` and a `closing_balance` row."
        ),
        parameters=[OpenApiParameter("month", str, description="YYYY-MM; default this month.")],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV.")},
    )
    def get(self, request: Request, shop_id: uuid.UUID) -> HttpResponse:
        shop = shop_for_manager(user=request.user, shop_id=shop_id)
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        month = query.validated_data.get("month") or timezone.now().strftime("%Y-%m")
        year, number = (int(part) for part in month.split("-"))
        body = selectors.shop_statement_csv(shop=shop, year=year, month=number)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        filename = f"statement-{shop.code}-{month}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ShopAdjustmentView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Adjust a shop's balance (admin)",
        request=AdjustmentInputSerializer,
        responses={201: LedgerEntrySerializer},
    )
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_membership(user=request.user, shop_id=shop_id).shop
        if not request.user.is_platform_admin:
            raise PermissionDenied("Only platform admins adjust a shop's balance.")
        body = AdjustmentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = adjustment_create(shop=shop, actor=request.user, **body.validated_data)
        return created(LedgerEntrySerializer(entry).data, "Adjustment recorded.")
