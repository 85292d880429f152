from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import raises
from core.idempotency import IDEMPOTENCY_KEY_HEADER, idempotent
from core.permissions import IsAccountWithEmail, IsVerifiedAccount
from core.responses import created, ok
from orders import returns, selectors, services
from orders.checkout import checkout_create
from orders.filters import OrderGroupFilter, ReturnFilter, ShopOrderFilter
from orders.models import Order, OrderGroup, Return
from orders.serializers import (
    CheckoutSerializer,
    OrderGroupCancelSerializer,
    OrderGroupSerializer,
    OrderStatusChangeSerializer,
    ReturnCreateSerializer,
    ReturnSerializer,
    ReturnStatusChangeSerializer,
    ShopOrderSerializer,
    order_group_data,
)
from shops.selectors import shop_membership

CUSTOMER_TAGS = ["orders"]
SHOP_TAGS = ["shop orders"]


def _group_data(group_id: uuid.UUID) -> dict:
    return order_group_data(selectors.group_detail(group_id=group_id))


class CheckoutView(APIView):
    permission_classes = [IsVerifiedAccount]

    @extend_schema(
        tags=CUSTOMER_TAGS,
        request=CheckoutSerializer,
        responses={201: OrderGroupSerializer},
        parameters=[IDEMPOTENCY_KEY_HEADER],
        summary="Check out the cart",
        description=(
            "Turns the cart into one order group with one order per shop, in one transaction. "
            "Empty cart: `400 cart_empty`. Any line short of stock: `409 insufficient_stock` "
            "listing every short line; inactive product or shop: `409 product_unavailable`. "
            "Delivery is priced per shop by its delivery zone for the address (as "
            "`GET /cart/?address_id=` shows it; a shop without zones charges its flat fee); a "
            "shop that does not deliver there: `409 delivery_unavailable` with `errors.shops` "
            "= `[{shop_id, shop_name}]`. Nothing changes on any error."
        ),
    )
    @raises(checkout_create)
    @idempotent(atomic=True)  # all in the database: the key's answer is stored in its commit
    def post(self, request: Request) -> Response:
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = checkout_create(user=request.user, **serializer.validated_data)
        return created(order_group_data(group), "Order placed.")


class OrderGroupListView(ListAPIView):
    """The caller's order groups, newest first (platform admins: everyone's)."""

    # Keyset pages (`?cursor=`) follow the default order, newest first.
    cursor_ordering = ("-created_at", "-id")
    permission_classes = [IsAccountWithEmail]
    serializer_class = OrderGroupSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderGroupFilter

    def get_queryset(self) -> QuerySet[OrderGroup]:
        if getattr(self, "swagger_fake_view", False):
            return OrderGroup.objects.none()
        return selectors.groups_for_customer(user=self.request.user)

    @extend_schema(tags=CUSTOMER_TAGS, summary="List order groups")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response.message = "Order groups."
        return response


class OrderGroupDetailView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        tags=CUSTOMER_TAGS, responses={200: OrderGroupSerializer}, summary="Show an order group"
    )
    def get(self, request: Request, group_id: uuid.UUID) -> Response:
        group = selectors.group_for_customer(user=request.user, group_id=group_id)
        return ok(order_group_data(group), "Order group.")


class OrderGroupCancelView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        tags=CUSTOMER_TAGS,
        request=OrderGroupCancelSerializer,
        responses={200: OrderGroupSerializer},
        parameters=[IDEMPOTENCY_KEY_HEADER],
        summary="Cancel an order group",
        description=(
            "Only while every order of the group is pending (else `409 invalid_transition`). "
            "Stock is restored; a paid group is refunded."
        ),
    )
    @raises(services.order_group_cancel)
    @idempotent
    def post(self, request: Request, group_id: uuid.UUID) -> Response:
        selectors.group_check_for_customer(user=request.user, group_id=group_id)
        serializer = OrderGroupCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.order_group_cancel(
            user=request.user, group_id=group_id, reason=serializer.validated_data["reason"]
        )
        return ok(_group_data(group.id), "Order group cancelled.")


class ShopOrderListView(ListAPIView):
    """A shop's orders, for its members."""

    # Keyset pages (`?cursor=`) follow the default order, newest first.
    cursor_ordering = ("-created_at", "-id")
    serializer_class = ShopOrderSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ShopOrderFilter

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        membership = shop_membership(user=self.request.user, shop_id=self.kwargs["shop_id"])
        return selectors.orders_for_shop(shop=membership.shop)

    @extend_schema(tags=SHOP_TAGS, summary="List a shop's orders")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response.message = "Orders."
        return response


class ShopOrderDetailView(APIView):
    @extend_schema(
        tags=SHOP_TAGS, responses={200: ShopOrderSerializer}, summary="Show a shop's order"
    )
    def get(self, request: Request, shop_id: uuid.UUID, order_id: uuid.UUID) -> Response:
        membership = shop_membership(user=request.user, shop_id=shop_id)
        order = selectors.order_for_shop(shop=membership.shop, order_id=order_id)
        return ok(ShopOrderSerializer(order).data, "Order.")


class ShopOrderStatusView(APIView):
    @extend_schema(
        tags=SHOP_TAGS,
        request=OrderStatusChangeSerializer,
        responses={200: ShopOrderSerializer},
        summary="Change an order's status",
        description=(
            "pending -> processing -> shipped (delivery) -> completed; pickup orders go "
            "processing -> completed; pending and processing may be cancelled. Paystack orders "
            "must be paid before processing; cash orders need `cash_collected` (may be sent in "
            "the same request) before or at completed. Anything else: `409 invalid_transition` "
            "with `from`, `to` and `allowed`: every status the order may move to next, "
            "`completed` of a cash order included (send `cash_collected` with it)."
        ),
    )
    @raises(services.order_status_change)
    def post(self, request: Request, shop_id: uuid.UUID, order_id: uuid.UUID) -> Response:
        membership = shop_membership(user=request.user, shop_id=shop_id)
        selectors.order_check_for_shop(shop=membership.shop, order_id=order_id)
        serializer = OrderStatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_status_change(
            shop=membership.shop, order_id=order_id, actor=request.user, **serializer.validated_data
        )
        order = selectors.order_for_shop(shop=membership.shop, order_id=order_id)
        return ok(ShopOrderSerializer(order).data, "Order updated.")


# --- Returns ----------------------------------------------------------------------------------

RETURN_TAGS = ["returns"]


def _return_data(return_id: uuid.UUID) -> dict:
    return ReturnSerializer(selectors.return_detail(return_id=return_id)).data


class ReturnCreateView(APIView):
    # Any signed-in account: one that did not buy the order (shop staff included) gets 404.

    @extend_schema(
        tags=RETURN_TAGS,
        request=ReturnCreateSerializer,
        responses={201: ReturnSerializer},
        parameters=[IDEMPOTENCY_KEY_HEADER],
        summary="Ask to return part of an order",
        description=(
            "The customer of a `completed` order, within `RETURN_WINDOW_DAYS` of its completion, "
            "for at most each line's quantity less what was already returned or refunded "
            "(`409 conflict` otherwise; `errors.items` lists the lines asked beyond it). The "
            "amount is the lines' unit prices times the quantities. Another customer's order: "
            "`404`."
        ),
    )
    @raises(returns.return_create)
    @idempotent
    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        selectors.order_check_for_customer(user=request.user, order_id=order_id)
        serializer = ReturnCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ret = returns.return_create(
            user=request.user, order_id=order_id, **serializer.validated_data
        )
        return created(_return_data(ret.id), "Return requested.")


class ReturnListView(ListAPIView):
    """The caller's returns, newest first (platform admins: everyone's)."""

    # Keyset pages (`?cursor=`) follow the default order, newest first.
    cursor_ordering = ("-created_at", "-id")
    permission_classes = [IsAccountWithEmail]
    serializer_class = ReturnSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReturnFilter

    def get_queryset(self) -> QuerySet[Return]:
        if getattr(self, "swagger_fake_view", False):
            return Return.objects.none()
        return selectors.returns_for_customer(user=self.request.user)

    @extend_schema(tags=RETURN_TAGS, summary="List returns")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response.message = "Returns."
        return response


class ReturnDetailView(APIView):
    @extend_schema(
        tags=RETURN_TAGS,
        responses={200: ReturnSerializer},
        summary="Show a return",
        description="Its customer, members of its shop and admins; anyone else gets `404`.",
    )
    def get(self, request: Request, return_id: uuid.UUID) -> Response:
        ret = selectors.return_for_user(user=request.user, return_id=return_id)
        return ok(ReturnSerializer(ret).data, "Return.")


class ShopReturnListView(ListAPIView):
    """A shop's returns, for its members."""

    # Keyset pages (`?cursor=`) follow the default order, newest first.
    cursor_ordering = ("-created_at", "-id")
    serializer_class = ReturnSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReturnFilter

    def get_queryset(self) -> QuerySet[Return]:
        if getattr(self, "swagger_fake_view", False):
            return Return.objects.none()
        membership = shop_membership(user=self.request.user, shop_id=self.kwargs["shop_id"])
        return selectors.returns_for_shop(shop=membership.shop)

    @extend_schema(tags=RETURN_TAGS, summary="List a shop's returns")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response.message = "Returns."
        return response


class ShopReturnStatusView(APIView):
    @extend_schema(
        tags=RETURN_TAGS,
        request=ReturnStatusChangeSerializer,
        responses={200: ReturnSerializer},
        summary="Move a return",
        description=(
            "requested -> approved or rejected; approved -> received (the units back in stock "
            "with reason `return` unless `restock` is false) or rejected; received -> refunded "
            "(the amount goes back: through Paystack for a paid Paystack order, recorded as "
            "cash otherwise). A rejected return frees its units for another return. Anything "
            "else: `409 invalid_transition` with `from`, `to` and `allowed`."
        ),
    )
    @raises(returns.return_status_change)
    def post(self, request: Request, shop_id: uuid.UUID, return_id: uuid.UUID) -> Response:
        membership = shop_membership(user=request.user, shop_id=shop_id)
        selectors.return_check_for_shop(shop=membership.shop, return_id=return_id)
        serializer = ReturnStatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        returns.return_status_change(
            shop=membership.shop,
            return_id=return_id,
            actor=request.user,
            **serializer.validated_data,
        )
        return ok(_return_data(return_id), "Return updated.")
