"""The project's URLs plus views that exist only to exercise the envelope."""

from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.urls import path
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core.responses import ok
from core.urls import urlpatterns as project_urlpatterns
from users.models import User
from users.urls import urlpatterns as _  # noqa: F401  (the apps' URLs load)


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals that must not leak")

    def post(self, request):
        return ok({"echo": request.data}, "Echoed.")


class SuspiciousView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise SuspiciousOperation("a header no client should send")


class NeedsRedisView(APIView):
    """Something that cannot work without Redis (read straight from the cache)."""

    permission_classes = [AllowAny]

    def get(self, request):
        return ok({"value": cache.get("needs-redis")}, "Read.")


class EmailListView(ListAPIView):
    permission_classes = [AllowAny]
    queryset = User.objects.order_by("email")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([{"email": u.email} for u in page])


class NewestUsersView(EmailListView):
    """Page numbers, or keyset pages with `?cursor=` (newest first)."""

    queryset = User.objects.order_by("-date_joined", "-id")
    cursor_ordering = ("-date_joined", "-id")


urlpatterns = [
    path("test/boom/", BoomView.as_view()),
    path("test/users/", EmailListView.as_view()),
    path("test/newest-users/", NewestUsersView.as_view()),
    path("test/suspicious/", SuspiciousView.as_view()),
    path("test/needs-redis/", NeedsRedisView.as_view()),
    *project_urlpatterns,
]
