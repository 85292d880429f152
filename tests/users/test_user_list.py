from __future__ import annotations

import pytest

from tests.factories import ShopFactory, StaffFactory, UserFactory
from tests.users.conftest import assert_error

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"


@pytest.fixture
def people(admin_user):
    owner = UserFactory(email="owner@example.com", first_name="Ada", last_name="Okafor")
    shop = ShopFactory(owner=owner, name="Ada Stores")
    closed_owner = UserFactory(email="closed@example.com")
    ShopFactory(owner=closed_owner, is_active=False)
    customer = UserFactory(email="chidi@example.com", first_name="Chidi", last_name="Eze")
    staff = StaffFactory(shop=shop, handle="tunde-cashier", first_name="Tunde")
    return {
        "admin": admin_user,
        "owner": owner,
        "closed_owner": closed_owner,
        "customer": customer,
        "staff": staff,
    }


def emails_or_handles(response):
    assert response.status_code == 200, response.content
    return {u["email"] or u["handle"] for u in response.json()["data"]["results"]}


def test_admin_lists_every_account(client_for, people):
    response = client_for(people["admin"]).get(USERS)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["count"] == 5
    assert set(data) == {"count", "next", "previous", "results"}
    first = data["results"][0]
    assert {"id", "email", "role", "shops_owned", "staff_of", "is_active"} <= set(first)
    assert "password" not in first and "token_version" not in first


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("OWNER@", {"owner@example.com"}),
        ("chidi", {"chidi@example.com"}),
        ("okafor", {"owner@example.com"}),
        ("cashier", {"tunde-cashier"}),
        ("zzz", set()),
    ],
)
def test_search_by_email_name_or_handle(client_for, people, search, expected):
    response = client_for(people["admin"]).get(USERS, {"search": search})
    assert emails_or_handles(response) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"admin"}),
        ("shop_owner", {"owner"}),
        ("shop_staff", {"staff"}),
        ("customer", {"customer", "closed_owner"}),
    ],
)
def test_role_filter(client_for, people, role, expected):
    response = client_for(people["admin"]).get(USERS, {"role": role})
    got = emails_or_handles(response)
    assert got == {people[name].email or people[name].handle for name in expected}
    assert all(u["role"] == role for u in response.json()["data"]["results"])


def test_unknown_role_is_a_validation_error(client_for, admin_user):
    body = assert_error(
        client_for(admin_user).get(USERS, {"role": "owner"}), 400, "validation_error"
    )
    assert "role" in body["errors"]


def test_non_admins_are_refused(client_for, people, api_client):
    for name in ("owner", "customer", "staff"):
        assert_error(client_for(people[name]).get(USERS), 403, "permission_denied")
    assert_error(api_client.get(USERS), 401, "not_authenticated")


@pytest.mark.parametrize("extra", [3, 30])
def test_list_costs_a_fixed_number_of_queries(
    client_for, admin_user, django_assert_max_num_queries, extra
):
    for i in range(extra):
        owner = UserFactory()
        ShopFactory(owner=owner)
        StaffFactory(shop=ShopFactory(owner=owner))
    client = client_for(admin_user)
    # account (auth) + count + page + prefetch of active shops
    with django_assert_max_num_queries(4):
        response = client.get(USERS, {"page_size": 100})
    assert response.json()["data"]["count"] == 1 + extra * 2
