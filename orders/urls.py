from django.urls import path

from orders import views

urlpatterns = [
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("order-groups/", views.OrderGroupListView.as_view(), name="order-groups"),
    path(
        "order-groups/<uuid:group_id>/",
        views.OrderGroupDetailView.as_view(),
        name="order-group",
    ),
    path(
        "order-groups/<uuid:group_id>/cancel/",
        views.OrderGroupCancelView.as_view(),
        name="order-group-cancel",
    ),
    path("shops/<uuid:shop_id>/orders/", views.ShopOrderListView.as_view(), name="shop-orders"),
    path(
        "shops/<uuid:shop_id>/orders/<uuid:order_id>/",
        views.ShopOrderDetailView.as_view(),
        name="shop-order",
    ),
    path(
        "shops/<uuid:shop_id>/orders/<uuid:order_id>/status/",
        views.ShopOrderStatusView.as_view(),
        name="shop-order-status",
    ),
    path(
        "orders/<uuid:order_id>/returns/", views.ReturnCreateView.as_view(), name="returns-create"
    ),
    path("returns/", views.ReturnListView.as_view(), name="returns"),
    path("returns/<uuid:return_id>/", views.ReturnDetailView.as_view(), name="return"),
    path("shops/<uuid:shop_id>/returns/", views.ShopReturnListView.as_view(), name="shop-returns"),
    path(
        "shops/<uuid:shop_id>/returns/<uuid:return_id>/status/",
        views.ShopReturnStatusView.as_view(),
        name="shop-return-status",
    ),
]
