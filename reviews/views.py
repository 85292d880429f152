"""Reviews of products (§15). Anyone reads a public product's visible reviews; only a verified
buyer writes one; its author edits or deletes it; the product's shop replies once; admins hide.
A review the caller may not touch is 404 (scope before lookup)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import raises
from core.responses import created, no_content, ok
from reviews.models import Review
from reviews.selectors import (
    product_reviewable,
    review_check_editable,
    review_check_repliable,
    reviews_for_product,
)
from reviews.serializers import (
    ReviewCreateSerializer,
    ReviewListQuerySerializer,
    ReviewReplyCreateSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
)
from reviews.services import review_create, review_delete, review_reply, review_update


class ProductReviewListCreateView(GenericAPIView):
    queryset = Review.objects.none()
    serializer_class = ReviewSerializer
    filter_backends: list[Any] = []

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        tags=["reviews"],
        summary="A product's visible reviews",
        parameters=[ReviewListQuerySerializer],
        responses=ReviewSerializer(many=True),
    )
    def get(self, request: Request, product_id: uuid.UUID) -> Response:
        query = ReviewListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reviews = reviews_for_product(
            user=request.user,
            product_id=product_id,
            rating=query.validated_data.get("rating"),
            ordering=query.validated_data["ordering"],
        )
        page = self.paginate_queryset(reviews)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.message = "Reviews."
        return response

    @extend_schema(
        tags=["reviews"],
        summary="Review a product (a customer with a completed order containing it; once)",
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
    )
    @raises(review_create)
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        product = product_reviewable(user=request.user, product_id=product_id)
        body = ReviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = review_create(user=request.user, product=product, **body.validated_data)
        return created(self.get_serializer(review).data, "Review posted.")


class ReviewDetailView(GenericAPIView):
    queryset = Review.objects.none()
    serializer_class = ReviewSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"],
        summary="Edit your review; admins hide or show one with `is_visible`",
        request=ReviewUpdateSerializer,
        responses=ReviewSerializer,
    )
    @raises(review_update)
    def patch(self, request: Request, review_id: uuid.UUID) -> Response:
        review_check_editable(user=request.user, review_id=review_id)
        body = ReviewUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = review_update(user=request.user, review_id=review_id, data=body.validated_data)
        return ok(self.get_serializer(review).data, "Review updated.")

    @extend_schema(
        tags=["reviews"],
        summary="Delete your review (admins: any)",
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    @raises(review_delete)
    def delete(self, request: Request, review_id: uuid.UUID) -> Response:
        review_delete(user=request.user, review_id=review_id)
        return no_content()


class ReviewReplyView(GenericAPIView):
    queryset = Review.objects.none()
    serializer_class = ReviewSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"],
        summary="Reply to a review of your shop's product (shop members; once)",
        request=ReviewReplyCreateSerializer,
        responses={201: ReviewSerializer},
    )
    @raises(review_reply)
    def post(self, request: Request, review_id: uuid.UUID) -> Response:
        review_check_repliable(user=request.user, review_id=review_id)
        body = ReviewReplyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = review_reply(
            user=request.user, review_id=review_id, body=body.validated_data["body"]
        )
        return created(self.get_serializer(review).data, "Reply posted.")
