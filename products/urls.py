from django.urls import path

from products import views

urlpatterns = [
    path("categories/", views.CategoryListCreateView.as_view(), name="category-list"),
    path(
        "categories/<uuid:category_id>/",
        views.CategoryDetailView.as_view(),
        name="category-detail",
    ),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<uuid:product_id>/", views.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<uuid:product_id>/images/",
        views.ProductImageListView.as_view(),
        name="product-images",
    ),
    path(
        "products/<uuid:product_id>/images/<uuid:image_id>/",
        views.ProductImageDetailView.as_view(),
        name="product-image-detail",
    ),
    path(
        "products/<uuid:product_id>/inventory/",
        views.ProductInventoryView.as_view(),
        name="product-inventory",
    ),
    path(
        "products/<uuid:product_id>/variants/",
        views.ProductVariantListView.as_view(),
        name="product-variants",
    ),
    path(
        "products/<uuid:product_id>/variants/<uuid:variant_id>/",
        views.ProductVariantDetailView.as_view(),
        name="product-variant-detail",
    ),
    path(
        "variants/<uuid:variant_id>/inventory/",
        views.VariantInventoryView.as_view(),
        name="variant-inventory",
    ),
    path(
        "shops/<uuid:shop_id>/products/export/",
        views.CatalogueExportView.as_view(),
        name="shop-products-export",
    ),
    path(
        "shops/<uuid:shop_id>/products/import/",
        views.CatalogueImportView.as_view(),
        name="shop-products-import",
    ),
    path(
        "shops/<uuid:shop_id>/products/",
        views.ShopProductListCreateView.as_view(),
        name="shop-products",
    ),
]
