from django.urls import path

from shops import views

urlpatterns = [
    path("shops/", views.ShopListCreateView.as_view(), name="shop-list"),
    path("shops/<uuid:shop_id>/", views.ShopDetailView.as_view(), name="shop-detail"),
    path("shops/<uuid:shop_id>/status/", views.ShopStatusView.as_view(), name="shop-status"),
    path("shops/<uuid:shop_id>/staff/", views.StaffListCreateView.as_view(), name="staff-list"),
    path(
        "shops/<uuid:shop_id>/staff/<uuid:user_id>/",
        views.StaffDetailView.as_view(),
        name="staff-detail",
    ),
    path(
        "shops/<uuid:shop_id>/staff/<uuid:user_id>/password/",
        views.StaffPasswordView.as_view(),
        name="staff-password",
    ),
    path(
        "shops/<uuid:shop_id>/delivery-zones/",
        views.DeliveryZoneListCreateView.as_view(),
        name="delivery-zone-list",
    ),
    path(
        "shops/<uuid:shop_id>/delivery-zones/<uuid:zone_id>/",
        views.DeliveryZoneDetailView.as_view(),
        name="delivery-zone-detail",
    ),
]
