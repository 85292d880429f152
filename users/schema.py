"""OpenAPI description of the project's JWT authentication (a bearer scheme)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class AccountJWTScheme(SimpleJWTScheme):
    target_class = "users.authentication.AccountJWTAuthentication"
    name = "jwtAuth"
