from django.urls import path

from users import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/verify-email/", views.VerifyEmailView.as_view(), name="auth-verify-email"),
    path(
        "auth/verify-email/resend/",
        views.VerifyEmailResendView.as_view(),
        name="auth-verify-email-resend",
    ),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/staff/login/", views.StaffLoginView.as_view(), name="auth-staff-login"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password/forgot/", views.PasswordForgotView.as_view(), name="auth-password-forgot"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/me/", views.MeView.as_view(), name="user-me"),
    path("users/me/password/", views.PasswordChangeView.as_view(), name="user-me-password"),
    path("addresses/", views.AddressListView.as_view(), name="address-list"),
    path("addresses/<uuid:address_id>/", views.AddressDetailView.as_view(), name="address-detail"),
    path("countries/", views.CountryListView.as_view(), name="country-list"),
    path("countries/<str:code>/states/", views.StateListView.as_view(), name="state-list"),
]
