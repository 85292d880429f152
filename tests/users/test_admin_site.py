from __future__ import annotations

import pytest

from tests.factories import AddressFactory, ShopFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=ada",
        "?q=tunde",
        "?role=admin",
        "?role=shop_owner",
        "?role=shop_staff",
        "?role=customer",
        "?is_email_verified__exact=1",
        "?is_active__exact=0",
    ],
)
def test_user_changelist_search_and_filters(admin_client, query):
    owner = UserFactory(email="ada@example.com", first_name="Ada")
    StaffFactory(shop=ShopFactory(owner=owner), handle="tunde")
    response = admin_client.get(f"/admin/users/user/{query}")
    assert response.status_code == 200


def test_role_filter_narrows_the_list(admin_client):
    owner = UserFactory(email="ada@example.com")
    ShopFactory(owner=owner)
    customer = UserFactory(email="chidi@example.com")
    response = admin_client.get("/admin/users/user/?role=customer")
    content = response.content.decode()
    assert customer.email in content and owner.email not in content


def test_user_change_and_add_pages(admin_client):
    user = UserFactory()
    AddressFactory(user=user)
    assert admin_client.get(f"/admin/users/user/{user.pk}/change/").status_code == 200
    assert admin_client.get("/admin/users/user/add/").status_code == 200


def test_admin_creates_an_account_with_a_lowercased_email(admin_client):
    from users.models import User

    response = admin_client.post(
        "/admin/users/user/add/",
        {
            "email": "New.Person@Example.com",
            "password1": "Xy-Long-Pass-991",
            "password2": "Xy-Long-Pass-991",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new.person@example.com").check_password("Xy-Long-Pass-991")


def test_address_admin(admin_client):
    AddressFactory()
    assert admin_client.get("/admin/users/address/?q=lagos").status_code == 200
