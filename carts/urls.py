from django.urls import path

from carts import views

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<uuid:item_id>/", views.CartItemDetailView.as_view(), name="cart-item"),
    path("wishlist/", views.WishlistView.as_view(), name="wishlist"),
    path("wishlist/<uuid:product_id>/", views.WishlistItemView.as_view(), name="wishlist-item"),
]
