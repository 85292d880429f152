from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import raises
from core.idempotency import IDEMPOTENCY_KEY_HEADER, idempotent
from core.permissions import IsAccountWithEmail
from core.responses import created, ok
from orders.selectors import order_check_for_shop
from payments import selectors, services, webhooks
from payments.models import Payment
from payments.serializers import (
    OrderRefundCreateSerializer,
    OrderRefundSerializer,
    PaymentDetailQuerySerializer,
    PaymentInitializeInputSerializer,
    PaymentInitializeOutputSerializer,
    PaymentSerializer,
)
from shops.selectors import shop_membership

TAGS = ["payments"]


class PaymentInitializeView(APIView):
    # Paying is shopping: shop staff cannot (403), like checkout and the order groups.
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        summary="Start paying an order group with Paystack",
        description=(
            "Creates a payment attempt with its own reference and returns Paystack's "
            "`authorization_url`. `amount` is in kobo. `409 already_paid` for a paid group, "
            "`409 order_not_payable` for a cash, cancelled or expired one, "
            "`409 amount_below_minimum` below Paystack's minimum (NGN 50.00; Paystack is not "
            "called), `409 conflict` after too many attempts (attempts that failed at Paystack "
            "do not count); `502` / `504` when Paystack fails or does not answer within a few "
            "seconds (the attempt is then `failed`), and at once, without calling Paystack, for "
            "a short while after repeated failures."
        ),
        parameters=[IDEMPOTENCY_KEY_HEADER],
        request=PaymentInitializeInputSerializer,
        responses={201: PaymentInitializeOutputSerializer},
        tags=TAGS,
    )
    @raises(services.payment_initialize)
    @idempotent
    def post(self, request: Request, group_id: uuid.UUID) -> Response:
        group = selectors.group_payable_by(user=request.user, group_id=group_id)
        PaymentInitializeInputSerializer(data=request.data).is_valid(raise_exception=True)
        email = group.customer_email or request.user.email or ""
        payment = services.payment_initialize(group=group, email=email)
        return created(PaymentInitializeOutputSerializer(payment).data, "Payment initialised.")


class PaymentDetailView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        summary="Show a payment attempt",
        parameters=[
            OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH),
            PaymentDetailQuerySerializer,
        ],
        responses={200: PaymentSerializer},
        tags=TAGS,
    )
    @raises(services.payment_verify)
    def get(self, request: Request, reference: str) -> Response:
        query = PaymentDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        payment = selectors.payment_for_user(user=request.user, reference=reference)
        if query.validated_data["refresh"] and payment.status != Payment.Status.SUCCESS:
            services.payment_verify(payment=payment)
            payment = selectors.payment_for_user(user=request.user, reference=reference)
        return ok(PaymentSerializer(payment).data, "Payment retrieved.")


class PaystackWebhookView(APIView):
    """Paystack's calls: no authentication, no throttling, no CSRF; the signature is the proof."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Receive a Paystack event",
        description=(
            "Raw Paystack event. `x-paystack-signature` must be the HMAC-SHA512 of the raw body "
            "keyed with the secret key, else `400 invalid_signature` and nothing is stored. "
            "The event is stored once and processed in the background."
        ),
        parameters=[
            OpenApiParameter(
                "x-paystack-signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True
            )
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: OpenApiResponse(OpenApiTypes.NONE, description="Event received (no data).")
        },
        auth=[],
        tags=TAGS,
    )
    @raises(webhooks.webhook_receive)
    def post(self, request: Request) -> Response:
        # The raw bytes, exactly as signed: never parsed before the signature is checked.
        body = request.body
        webhooks.webhook_receive(body=body, signature=request.headers.get("x-paystack-signature"))
        return ok(None, "Event received.")


class OrderRefundCreateView(APIView):
    @extend_schema(
        summary="Refund part of a completed order",
        description=(
            "A partial refund with no return (e.g. a damaged item the customer keeps), by a "
            "member of the order's shop or an admin: some units of some `items` and/or the "
            "`delivery_fee` (once). The amount is the lines' unit prices times the quantities, "
            "plus the fee when asked. `409 conflict` for an order not `completed`, a line asked "
            "beyond its quantity less what was already returned or refunded (`errors.items`), "
            "a fee already refunded, or more than is left of the payment. A paid Paystack order "
            "is refunded through Paystack (`status` `pending` until sent, then settled by "
            "Paystack's webhook); a cash order's refund is recorded as `cash`, `processed`."
        ),
        parameters=[IDEMPOTENCY_KEY_HEADER],
        request=OrderRefundCreateSerializer,
        responses={201: OrderRefundSerializer},
        tags=["returns"],
    )
    @raises(services.order_refund_create)
    @idempotent
    def post(self, request: Request, shop_id: uuid.UUID, order_id: uuid.UUID) -> Response:
        membership = shop_membership(user=request.user, shop_id=shop_id)
        order_check_for_shop(shop=membership.shop, order_id=order_id)
        serializer = OrderRefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = services.order_refund_create(
            shop=membership.shop, order_id=order_id, actor=request.user, **serializer.validated_data
        )
        refund = selectors.order_refund_detail(refund_id=refund.id)
        return created(OrderRefundSerializer(refund).data, "Refund recorded.")
