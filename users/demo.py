"""Demo accounts for `python manage.py seed_demo` (all verified, one shared password)."""

from __future__ import annotations

from typing import Any

from users.models import Address, User

DEMO_PASSWORD = "Marketplace-Demo-1"
ADMIN_EMAIL = "admin@example.com"
CUSTOMER_EMAIL = "chidi@example.com"

_ACCOUNTS: list[dict[str, Any]] = [
    {"email": ADMIN_EMAIL, "first_name": "Admin", "last_name": "User", "superuser": True},
    {"email": "ada@example.com", "first_name": "Ada", "last_name": "Okafor"},
    {"email": "bola@example.com", "first_name": "Bola", "last_name": "Adeyemi"},
    {"email": CUSTOMER_EMAIL, "first_name": "Chidi", "last_name": "Eze", "phone": "+2348031234567"},
]


def demo_accounts() -> list[User]:
    """The demo accounts that exist, in the order above (for `seed_demo --show`)."""
    emails = [spec["email"] for spec in _ACCOUNTS]
    found = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [found[email] for email in emails if email in found]


def seed_demo(stdout: Any) -> None:
    """Create the demo accounts that do not exist yet (looked up by e-mail)."""
    for spec in _ACCOUNTS:
        spec = dict(spec)
        email = spec.pop("email")
        if User.objects.filter(email=email).exists():
            continue
        if spec.pop("superuser", False):
            User.objects.create_superuser(email, DEMO_PASSWORD, **spec)
        else:
            User.objects.create_user(email, DEMO_PASSWORD, is_email_verified=True, **spec)
        stdout.write(f"  account {email} (password {DEMO_PASSWORD})")

    chidi = User.objects.get(email=CUSTOMER_EMAIL)
    if not chidi.addresses.exists():
        Address.objects.create(
            user=chidi,
            full_name="Chidi Eze",
            phone="+2348031234567",
            line1="14 Admiralty Way",
            line2="Lekki Phase 1",
            city="Lagos",
            state="NG-LA",
            postal_code="106104",
            country="NG",
            is_default=True,
        )
        # Outside Lagos: the demo shops' delivery zones price it differently, or not at all.
        Address.objects.create(
            user=chidi,
            full_name="Chidi Eze",
            phone="+2348031234567",
            line1="5 Aminu Kano Crescent",
            line2="Wuse 2",
            city="Abuja",
            state="NG-FC",
            postal_code="904101",
            country="NG",
        )
        stdout.write(f"  addresses in Lagos (default) and Abuja for {CUSTOMER_EMAIL}")
