from django.urls import path

from reviews import views

urlpatterns = [
    path(
        "products/<uuid:product_id>/reviews/",
        views.ProductReviewListCreateView.as_view(),
        name="product-reviews",
    ),
    path("reviews/<uuid:review_id>/", views.ReviewDetailView.as_view(), name="review-detail"),
    path("reviews/<uuid:review_id>/reply/", views.ReviewReplyView.as_view(), name="review-reply"),
]
