from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from carts.models import Cart, CartItem
from orders.models import OrderGroup
from shops.models import Shop
from tests.factories import (
    DEFAULT_PASSWORD,
    AddressFactory,
    CartItemFactory,
    OrderFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)
from tests.users.conftest import assert_error, bearer
from users import services
from users.models import Address, User
from users.selectors import account_with_shop

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"


def test_me_representation_of_a_shop_owner(client_for):
    owner = UserFactory(first_name="Ada", last_name="Okafor", phone="+2348012345678")
    first = ShopFactory(owner=owner, name="Beta Foods")
    second = ShopFactory(owner=owner, name="Alpha Wears")
    ShopFactory(owner=owner, name="Closed Shop", is_active=False)

    response = client_for(owner).get(ME)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == {
        "id": str(owner.id),
        "email": owner.email,
        "first_name": "Ada",
        "last_name": "Okafor",
        "phone": "+2348012345678",
        "is_email_verified": True,
        "is_platform_admin": False,
        "role": "shop_owner",
        "shops_owned": [
            {"id": str(second.id), "name": "Alpha Wears"},
            {"id": str(first.id), "name": "Beta Foods"},
        ],
        "staff_of": None,
        "handle": None,
        "date_joined": data["date_joined"],
    }
    assert data["date_joined"].endswith("Z") or "+00:00" in data["date_joined"]


def test_me_of_an_admin(client_for, admin_user):
    data = client_for(admin_user).get(ME).json()["data"]
    assert data["is_platform_admin"] is True
    assert data["role"] == "admin"


def test_me_of_shop_staff_costs_no_shop_query(client_for, django_assert_num_queries):
    staff = StaffFactory()
    client = client_for(staff)
    with django_assert_num_queries(1):  # the account with its shop, nothing else
        data = client.get(ME).json()["data"]
    assert data["staff_of"] == {"id": str(staff.shop.id), "name": staff.shop.name}
    assert data["handle"] == staff.handle


def test_patch_updates_names_and_phone(client_for, customer):
    response = client_for(customer).patch(
        ME, {"first_name": "Ngozi", "last_name": "Eze", "phone": "+447700900123"}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["first_name"], data["last_name"], data["phone"]) == (
        "Ngozi",
        "Eze",
        "+447700900123",
    )
    customer.refresh_from_db()
    assert customer.first_name == "Ngozi" and customer.phone == "+447700900123"


def test_patch_is_partial(client_for, customer):
    last_name = customer.last_name
    assert client_for(customer).patch(ME, {"first_name": "Obi"}).status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "Obi" and customer.last_name == last_name


def test_patch_ignores_protected_fields(client_for):
    user = UserFactory(email="ada@example.com", is_email_verified=False)
    response = client_for(user).patch(
        ME,
        {
            "is_staff": True,
            "is_superuser": True,
            "email": "evil@example.com",
            "is_email_verified": True,
            "token_version": 42,
            "id": "00000000-0000-0000-0000-000000000000",
            "handle": "boss",
            "first_name": "Ada",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == "ada@example.com"
    assert not user.is_staff and not user.is_superuser and not user.is_email_verified
    assert user.token_version == 0 and user.handle is None
    assert user.first_name == "Ada"


@pytest.mark.parametrize("phone", ["08012345678", "+1", "+23480abc5678", "+2348012345678901234"])
def test_patch_refuses_a_bad_phone(client_for, customer, phone):
    body = assert_error(client_for(customer).patch(ME, {"phone": phone}), 400, "validation_error")
    assert "phone" in body["errors"]


def test_patch_can_clear_the_phone(client_for):
    user = UserFactory(phone="+2348012345678")
    assert client_for(user).patch(ME, {"phone": ""}).status_code == 200
    user.refresh_from_db()
    assert user.phone == ""


def test_staff_can_edit_their_names(client_for):
    staff = StaffFactory()
    assert client_for(staff).patch(ME, {"first_name": "Kemi"}).status_code == 200


def test_me_needs_authentication(api_client):
    assert_error(api_client.get(ME), 401, "not_authenticated")
    assert_error(api_client.patch(ME, {"first_name": "x"}), 401, "not_authenticated")
    assert_error(api_client.delete(ME, {"password": "x"}), 401, "not_authenticated")


# --- DELETE /users/me/ ---------------------------------------------------------------------------
def test_delete_closes_the_account_and_erases_personal_data(client_for, login):
    user = UserFactory(
        email="ada@example.com", first_name="Ada", last_name="Okafor", phone="+2348012345678"
    )
    AddressFactory(user=user)
    AddressFactory(user=user)
    CartItemFactory(cart__user=user)
    shop = ShopFactory(owner=user)
    staff = StaffFactory(shop=shop)
    staff_tokens = services.tokens_for_user(user=staff)
    order = OrderFactory(group__customer=user)
    tokens = services.tokens_for_user(user=user)
    client = bearer(APIClient(), tokens["access"])

    response = client.delete(ME, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 204
    assert response.content == b""

    user.refresh_from_db()
    assert user.is_active is False
    # The address is replaced, not kept in part (the replacement is random hex, which may hold
    # the letters "ada" by chance: look for the address's parts instead).
    assert "ada@" not in user.email and "example.com" not in user.email
    assert user.first_name == user.last_name == user.phone == ""
    assert not user.has_usable_password()
    assert not Address.objects.filter(user=user).exists()
    assert not Cart.objects.filter(user=user).exists()
    assert not CartItem.objects.filter(cart__user=user).exists()
    assert Shop.objects.get(pk=shop.pk).is_active is False
    # Orders stay, with their own snapshot of the customer.
    group = OrderGroup.objects.get(pk=order.group_id)
    assert group.customer_id == user.id

    # Every token is revoked, the staff of the closed shop are out, the e-mail no longer logs in.
    assert_error(client.get(ME), 401, "not_authenticated")
    refused = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert_error(refused, 400, "invalid_token")
    assert_error(bearer(APIClient(), staff_tokens["access"]).get(ME), 401, "not_authenticated")
    assert_error(login("ada@example.com"), 401, "invalid_credentials")
    # The address can be registered again.
    again = APIClient().post(
        "/api/v1/auth/register/",
        {
            "email": "ada@example.com",
            "password": DEFAULT_PASSWORD,
            "first_name": "Ada",
            "last_name": "Again",
        },
    )
    assert again.status_code == 201


def test_delete_needs_the_password(client_for, customer):
    client = client_for(customer)
    body = assert_error(client.delete(ME, {"password": "Wrong-One-1"}), 400, "validation_error")
    assert "password" in body["errors"]
    assert_error(client.delete(ME, {}), 400, "validation_error")
    customer.refresh_from_db()
    assert customer.is_active and customer.first_name
    assert client.get(ME).status_code == 200


def test_delete_of_an_admin_drops_the_admin_rights(client_for, admin_user):
    response = client_for(admin_user).delete(ME, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 204
    admin_user.refresh_from_db()
    assert not admin_user.is_staff and not admin_user.is_superuser and not admin_user.is_active


def test_staff_cannot_delete_their_account(client_for):
    staff = StaffFactory()
    response = client_for(staff).delete(ME, {"password": DEFAULT_PASSWORD})
    assert_error(response, 403, "permission_denied")
    assert User.objects.get(pk=staff.pk).is_active


def test_schema_documents_the_password_of_account_deletion(api_client):
    """DELETE /users/me/ takes a body: the schema describes it, so clients and fuzzers send it."""
    schema = api_client.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/v1/users/me/"]["delete"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["required"] == ["password"]


@pytest.mark.parametrize("staff", [True, False])
def test_the_account_of_a_request_is_loaded_as_the_orm_loads_it(staff, django_assert_num_queries):
    user = StaffFactory() if staff else UserFactory()
    expected = User.objects.select_related("shop").get(id=user.id)
    with django_assert_num_queries(1):
        loaded = account_with_shop(user.id)
        shop = loaded.shop

    def values(instance):
        return {
            f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields
        }

    def types(instance):
        return {name: type(value) for name, value in values(instance).items()}

    assert (values(loaded), types(loaded)) == (values(expected), types(expected))
    if staff:
        assert (values(shop), types(shop)) == (values(expected.shop), types(expected.shop))
    else:
        assert shop is None
    assert account_with_shop(uuid.uuid4()) is None
