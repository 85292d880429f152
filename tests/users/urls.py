"""The project's URLs plus one view per permission class of core.permissions."""

from django.urls import path
from rest_framework.views import APIView

from core.permissions import IsAccountWithEmail, IsPlatformAdmin, IsVerifiedAccount
from core.responses import ok
from core.urls import urlpatterns as project_urlpatterns


def guarded(permission):
    class GuardedView(APIView):
        permission_classes = [permission]

        def post(self, request):
            return ok({"user": str(request.user.pk)}, "Allowed.")

    return GuardedView.as_view()


urlpatterns = [
    path("test/verified/", guarded(IsVerifiedAccount)),
    path("test/with-email/", guarded(IsAccountWithEmail)),
    path("test/admin/", guarded(IsPlatformAdmin)),
    *project_urlpatterns,
]
