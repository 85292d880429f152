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

from core.errors import NotFound, PermissionDenied, raises
from core.permissions import IsPlatformAdmin
from core.responses import created, ok
from payments import selectors
from payments.filters import LedgerFilter
from payments.models import LedgerEntry, Payout, PayoutAccount
from payments.serializers import (
    AdjustmentInputSerializer,
    BalanceSerializer,
    BankQuerySerializer,
    BankSerializer,
    LedgerEntrySerializer,
    PayoutAccountInputSerializer,
    PayoutAccountSerializer,
    PayoutRunInputSerializer,
    PayoutRunSerializer,
    PayoutSerializer,
    StatementQuerySerializer,
)
from payments.services import payouts
from payments.services.settlement import adjustment_create, shop_balance
from shops.models import Shop
from shops.selectors import shop_membership
from users.models import User

TAGS = ["settlement"]
OWNER_ONLY = "Only the shop owner can see the shop's money."


@raises(PermissionDenied)
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

    # Keyset pages (`?cursor=`) follow the default order, newest first.
    cursor_ordering = ("-created_at", "-id")
    serializer_class = LedgerEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LedgerFilter

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        shop = shop_for_manager(user=self.request.user, shop_id=self.kwargs["shop_id"])
        return selectors.ledger_for_shop(shop=shop)

    @extend_schema(tags=TAGS, summary="A shop's ledger (owner, admins)")
    @raises(shop_for_manager)
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
    @raises(shop_for_manager)
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
    @raises(PermissionDenied)
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_membership(user=request.user, shop_id=shop_id).shop
        if not request.user.is_platform_admin:
            raise PermissionDenied("Only platform admins adjust a shop's balance.")
        body = AdjustmentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = adjustment_create(shop=shop, actor=request.user, **body.validated_data)
        return created(LedgerEntrySerializer(entry).data, "Adjustment recorded.")


class BankListView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Banks a shop can be paid into (from Paystack, cached)",
        parameters=[BankQuerySerializer],
        responses=BankSerializer(many=True),
    )
    @raises(payouts.banks_list)
    def get(self, request: Request) -> Response:
        query = BankQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        banks = payouts.banks_list(country=query.validated_data["country"])
        return ok(BankSerializer(banks, many=True).data, "Banks.")


class PayoutAccountView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="A shop's payout account (owner, admins); 404 when none",
        responses=PayoutAccountSerializer,
    )
    @raises(shop_for_manager, NotFound)
    def get(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_for_manager(user=request.user, shop_id=shop_id)
        account = PayoutAccount.objects.filter(shop=shop).first()
        if account is None:
            raise NotFound("This shop has no payout account.")
        return ok(PayoutAccountSerializer(account).data, "Payout account.")

    @extend_schema(
        tags=TAGS,
        summary="Set a shop's payout account (owner, admins)",
        description=(
            "The account's name is resolved with Paystack and a transfer recipient created; "
            "an account Paystack cannot resolve is `400 validation_error`."
        ),
        request=PayoutAccountInputSerializer,
        responses=PayoutAccountSerializer,
    )
    @raises(shop_for_manager, payouts.payout_account_set)
    def put(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_for_manager(user=request.user, shop_id=shop_id)
        body = PayoutAccountInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account = payouts.payout_account_set(shop=shop, **body.validated_data)
        return ok(PayoutAccountSerializer(account).data, "Payout account set.")


class ShopPayoutListView(ListAPIView):
    """A shop's payouts, newest first (owner, admins)."""

    serializer_class = PayoutSerializer

    def get_queryset(self) -> QuerySet[Payout]:
        if getattr(self, "swagger_fake_view", False):
            return Payout.objects.none()
        shop = shop_for_manager(user=self.request.user, shop_id=self.kwargs["shop_id"])
        return selectors.payouts_for_shop(shop=shop)

    @extend_schema(tags=TAGS, summary="A shop's payouts (owner, admins)")
    @raises(shop_for_manager)
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response.message = "Payouts."
        return response


class PayoutRunView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        tags=TAGS,
        summary="Run the payout job now (admin)",
        description=(
            "Creates a payout for every eligible shop (or the one given) and sends them to "
            "Paystack in the background; answers with the payouts created."
        ),
        request=PayoutRunInputSerializer,
        responses={202: PayoutRunSerializer},
    )
    def post(self, request: Request) -> Response:
        body = PayoutRunInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created_ids = payouts.payouts_run(shop_id=body.validated_data["shop_id"])
        payouts.payouts_send_later(created_ids)
        created_payouts = list(Payout.objects.filter(id__in=created_ids).order_by("created_at"))
        return ok(PayoutRunSerializer({"payouts": created_payouts}).data, "Payouts started.", 202)
