from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None, password: str | None = None, **extra) -> User:
        user = self.model(email=self.normalize_email(email).lower() if email else None, **extra)
        user.set_password(password)
        user.save(using=self.db)  # the database `db_manager()` chose, else the default
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_email_verified", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account with an e-mail (customer / shop owner / admin) or a shop staff member.

    Shop staff have no e-mail; they are identified by (shop, handle), unique in the database.
    E-mails are stored lower-cased so a plain unique index is case-insensitive on every engine.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    is_email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Shop staff only: the shop they belong to and their login handle inside it.
    shop = models.ForeignKey(
        "shops.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    handle = models.CharField(max_length=50, null=True, blank=True)
    # Bumped to revoke every token of the account at once (password change, deactivation).
    token_version = models.PositiveIntegerField(default=0)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-date_joined"]
        indexes = [
            # The admins' list of accounts, newest first (`users_list`).
            models.Index(fields=["-date_joined", "id"], name="user_newest"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shop", "handle"], name="user_shop_handle_unique"),
            models.CheckConstraint(
                condition=(
                    Q(shop__isnull=True, handle__isnull=True)
                    | Q(shop__isnull=False, handle__isnull=False, email__isnull=True)
                ),
                name="user_staff_has_shop_and_handle_only",
            ),
        ]

    def __str__(self) -> str:
        return self.email or f"{self.handle}@{self.shop_id}"

    @property
    def is_shop_staff(self) -> bool:
        return self.shop_id is not None

    @property
    def is_platform_admin(self) -> bool:
        return self.is_staff or self.is_superuser

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=16)
    line1 = models.CharField(max_length=255)
    line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100)
    # The ISO 3166-2 code (`NG-LA`) in a country with a list of states (`users.countries`);
    # free text elsewhere. `state_unrecognised` flags a state kept as it was written before
    # states were checked, which names none of the country's: no zone names it.
    state = models.CharField(max_length=100, blank=True)
    state_unrecognised = models.BooleanField(default=False)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="NG")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"


class RevokedRefreshToken(models.Model):
    """A refresh token that may not be used again (rotated or logged out), until it expires.

    Inserting the row is what consumes a refresh token: the unique `jti` makes two concurrent
    uses of one token end with exactly one winner. Expired rows are purged periodically.
    """

    jti = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.jti} ({self.user_id})"


class DeniedAccessToken(models.Model):
    """An access token revoked by logout, until it expires: the database copy of the cache's
    denylist (users.tokens), consulted when the cache cannot answer or has lost its entries."""

    jti = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.jti} ({self.user_id})"
