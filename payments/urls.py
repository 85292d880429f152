from django.urls import path, re_path

from payments import views

urlpatterns = [
    path(
        "order-groups/<uuid:group_id>/payments/",
        views.PaymentInitializeView.as_view(),
        name="order-group-payments",
    ),
    path(
        "payments/paystack/webhook/",
        views.PaystackWebhookView.as_view(),
        name="paystack-webhook",
    ),
    path(
        "shops/<uuid:shop_id>/orders/<uuid:order_id>/refunds/",
        views.OrderRefundCreateView.as_view(),
        name="shop-order-refunds",
    ),
    re_path(
        r"^payments/(?P<reference>[A-Za-z0-9.=\-]{1,100})/$",
        views.PaymentDetailView.as_view(),
        name="payment-detail",
    ),
]
