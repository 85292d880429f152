from __future__ import annotations

import io

import pytest

from users.demo import DEMO_PASSWORD, seed_demo
from users.models import Address, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_verified_accounts_once():
    seed_demo(io.StringIO())
    seed_demo(io.StringIO())  # idempotent

    emails = ["admin@example.com", "ada@example.com", "bola@example.com", "chidi@example.com"]
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    assert set(users) == set(emails)
    assert all(u.is_email_verified and u.check_password(DEMO_PASSWORD) for u in users.values())
    assert users["admin@example.com"].is_superuser
    assert not users["chidi@example.com"].is_staff
    addresses = Address.objects.filter(user=users["chidi@example.com"]).order_by("-is_default")
    assert [(a.city, a.state, a.is_default) for a in addresses] == [
        ("Lagos", "NG-LA", True),
        ("Abuja", "NG-FC", False),
    ]
