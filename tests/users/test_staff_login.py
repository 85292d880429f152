from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, ShopFactory, StaffFactory
from tests.users.conftest import assert_error, bearer
from users import services

pytestmark = pytest.mark.django_db

STAFF_LOGIN = "/api/v1/auth/staff/login/"


@pytest.fixture
def shop():
    return ShopFactory(name="Mama Put", code="MAMA0001")


@pytest.fixture
def staff(shop):
    return StaffFactory(shop=shop, handle="tunde", first_name="Tunde", last_name="Bello")


def staff_login(shop_code="MAMA0001", handle="tunde", password=DEFAULT_PASSWORD):
    return APIClient().post(
        STAFF_LOGIN,
        {"shop_code": shop_code, "handle": handle, "password": password},
        format="json",
    )


def test_staff_logs_in_with_shop_code_handle_and_password(staff, shop):
    response = staff_login()
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    user = data["user"]
    assert user["id"] == str(staff.id)
    assert user["email"] is None
    assert user["handle"] == "tunde"
    assert user["staff_of"] == {"id": str(shop.id), "name": "Mama Put"}
    assert user["shops_owned"] == []
    assert user["role"] == "shop_staff"
    assert user["is_platform_admin"] is False
    staff.refresh_from_db()
    assert staff.last_login is not None

    me = bearer(APIClient(), data["access"]).get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["data"]["staff_of"]["id"] == str(shop.id)


def test_shop_code_and_handle_are_case_insensitive(staff):
    assert staff_login(shop_code="mama0001").status_code == 200
    assert staff_login(handle=" Tunde ").status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shop_code": "NOPE0001"},
        {"handle": "someone"},
        {"password": "Wrong-Password-1"},
    ],
)
def test_wrong_shop_code_handle_or_password(staff, kwargs):
    assert_error(staff_login(**kwargs), 401, "invalid_credentials")


def test_handle_of_another_shop_is_refused(staff):
    other = ShopFactory(code="OTHER001")
    StaffFactory(shop=other, handle="kemi")
    assert_error(staff_login(handle="kemi"), 401, "invalid_credentials")
    assert staff_login(shop_code="OTHER001", handle="kemi").status_code == 200


def test_inactive_shop_refuses_its_staff(staff, shop):
    shop.is_active = False
    shop.save()
    assert_error(staff_login(), 401, "invalid_credentials")


def test_deactivated_staff_is_refused(staff):
    services.user_deactivate(user=staff)
    assert_error(staff_login(), 401, "invalid_credentials")


def test_every_failure_has_the_same_answer(staff, shop):
    bodies = [
        staff_login(shop_code="NOPE0001").json(),
        staff_login(handle="someone").json(),
        staff_login(password="Wrong-Password-1").json(),
    ]
    services.user_deactivate(user=staff)
    bodies.append(staff_login().json())
    assert all(body == bodies[0] for body in bodies)


def test_shop_owner_cannot_use_staff_login(shop):
    assert_error(staff_login(handle=shop.owner.email), 401, "invalid_credentials")


def test_staff_login_validation():
    response = APIClient().post(STAFF_LOGIN, {"handle": ["x"]}, format="json")
    body = assert_error(response, 400, "validation_error")
    assert {"shop_code", "handle", "password"} <= set(body["errors"])
