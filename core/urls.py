from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import views

api_v1: list[URLPattern | URLResolver] = [
    path("", views.IndexView.as_view(), name="api-root"),
    path("ping/", views.PingView.as_view(), name="ping"),
    path("", include("users.urls")),
    path("", include("shops.urls")),
    path("", include("products.urls")),
    path("", include("carts.urls")),
    path("", include("orders.urls")),
    path("", include("reviews.urls")),
    path("", include("payments.urls")),
]

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("api/", views.IndexView.as_view(), name="api-index"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        views.RedocView.as_view(url_name="schema"),
        name="redoc",
    ),
    path("health/", views.HealthView.as_view(), name="health"),
    path("health/ready/", views.ReadinessView.as_view(), name="health-ready"),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.strip("/")
    urlpatterns.append(
        re_path(rf"^{media_prefix}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

# Anything else is a JSON 404, with DEBUG on or off (never Django's HTML page).
urlpatterns.append(re_path(r"^.*$", views.not_found))

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
