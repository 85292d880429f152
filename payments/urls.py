from django.urls import path, re_path

from payments import settlement_views, views

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
    path(
        "shops/<uuid:shop_id>/balance/",
        settlement_views.ShopBalanceView.as_view(),
        name="shop-balance",
    ),
    path(
        "shops/<uuid:shop_id>/ledger/",
        settlement_views.ShopLedgerView.as_view(),
        name="shop-ledger",
    ),
    path(
        "shops/<uuid:shop_id>/ledger/adjustments/",
        settlement_views.ShopAdjustmentView.as_view(),
        name="shop-ledger-adjustments",
    ),
    path("banks/", settlement_views.BankListView.as_view(), name="banks"),
    path(
        "shops/<uuid:shop_id>/payout-account/",
        settlement_views.PayoutAccountView.as_view(),
        name="shop-payout-account",
    ),
    path(
        "shops/<uuid:shop_id>/payouts/",
        settlement_views.ShopPayoutListView.as_view(),
        name="shop-payouts",
    ),
    path("payouts/run/", settlement_views.PayoutRunView.as_view(), name="payouts-run"),
    path(
        "shops/<uuid:shop_id>/statement/",
        settlement_views.ShopStatementView.as_view(),
        name="shop-statement",
    ),
]
