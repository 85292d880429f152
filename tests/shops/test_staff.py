import pytest

from tests.factories import DEFAULT_PASSWORD, StaffFactory
from tests.shops.helpers import assert_error, expect
from users.models import User

STRONG = "Fabric-Counter-42"


def staff_list(shop) -> str:
    return f"/api/v1/shops/{shop.id}/staff/"


def staff_detail(shop, user) -> str:
    return f"/api/v1/shops/{shop.id}/staff/{user.id}/"


def staff_password(shop, user) -> str:
    return f"{staff_detail(shop, user)}password/"


def staff_login(shop, handle, password):
    from rest_framework.test import APIClient

    return APIClient().post(
        "/api/v1/auth/staff/login/",
        {"shop_code": shop.code, "handle": handle, "password": password},
        format="json",
    )


# --- Create ----------------------------------------------------------------------------------


def test_owner_creates_a_staff_member_who_can_log_in(world):
    response = world.client("owner").post(
        staff_list(world.shop),
        {"handle": "Tolu.K", "password": STRONG, "first_name": "Tolu", "last_name": "K"},
        format="json",
    )
    expect(response, 201)
    data = response.json()["data"]
    assert data["handle"] == "tolu.k"
    assert data["email"] is None
    assert data["staff_of"] == {"id": str(world.shop.id), "name": world.shop.name}
    assert data["shops_owned"] == [] and data["is_active"] is True
    assert "password" not in data
    staff = User.objects.get(id=data["id"])
    assert staff.shop_id == world.shop.id and staff.check_password(STRONG)

    login = staff_login(world.shop, "tolu.k", STRONG)
    assert login.status_code == 200, login.content


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 201),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 201),
    ],
)
def test_create_permissions(world, role, status):
    response = world.client(role).post(
        staff_list(world.shop), {"handle": "newbie", "password": STRONG}, format="json"
    )
    expect(response, status)
    assert User.objects.filter(handle="newbie").exists() is (status == 201)


def test_create_ignores_protected_fields(world):
    response = world.client("owner").post(
        staff_list(world.shop),
        {
            "handle": "sneaky",
            "password": STRONG,
            "email": "sneaky@example.com",
            "is_staff": True,
            "is_superuser": True,
            "shop": str(world.other_shop.id),
        },
        format="json",
    )
    expect(response, 201)
    staff = User.objects.get(handle="sneaky")
    assert staff.email is None and not staff.is_staff and not staff.is_superuser
    assert staff.shop_id == world.shop.id


@pytest.mark.parametrize("handle", ["dupe", "DUPE", "Dupe"])
def test_handle_is_unique_within_the_shop(world, handle):
    StaffFactory(shop=world.shop, handle="dupe")
    response = world.client("owner").post(
        staff_list(world.shop), {"handle": handle, "password": STRONG}, format="json"
    )
    assert_error(response, 409, "conflict")


def test_same_handle_in_another_shop_is_fine(world):
    StaffFactory(shop=world.other_shop, handle="shared")
    response = world.client("owner").post(
        staff_list(world.shop), {"handle": "shared", "password": STRONG}, format="json"
    )
    expect(response, 201)


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "tolutolu1"])
def test_weak_passwords_are_refused(world, password):
    response = world.client("owner").post(
        staff_list(world.shop),
        {"handle": "tolutolu1", "password": password, "first_name": "Tolu"},
        format="json",
    )
    body = assert_error(response, 400, "validation_error")
    assert body["errors"]["password"]
    assert not User.objects.filter(handle="tolutolu1").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": STRONG}, "handle"),
        ({"handle": "has space", "password": STRONG}, "handle"),
        ({"handle": "-dash", "password": STRONG}, "handle"),
        ({"handle": "x" * 51, "password": STRONG}, "handle"),
        ({"handle": "ok"}, "password"),
        ({"handle": "ok", "password": STRONG, "first_name": "x" * 151}, "first_name"),
    ],
)
def test_create_validation(world, body, field):
    response = world.client("owner").post(staff_list(world.shop), body, format="json")
    assert field in assert_error(response, 400, "validation_error")["errors"]


# --- List and detail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_list_permissions(world, role, status):
    expect(world.client(role).get(staff_list(world.shop)), status)


def test_list_shows_only_this_shops_staff(world):
    StaffFactory(shop=world.other_shop, handle="elsewhere")
    rows = world.client("owner").get(staff_list(world.shop)).json()["data"]["results"]
    handles = {row["handle"] for row in rows}
    assert handles == {world.staff.handle, world.deactivated_staff.handle}
    inactive = next(r for r in rows if r["handle"] == world.deactivated_staff.handle)
    assert inactive["is_active"] is False


@pytest.mark.parametrize("count", [2, 25])
def test_list_query_count_is_fixed(world, django_assert_max_num_queries, count):
    StaffFactory.create_batch(count, shop=world.shop)
    client = world.client("owner")
    with django_assert_max_num_queries(4):
        response = client.get(staff_list(world.shop), {"page_size": 100})
    assert response.json()["data"]["count"] == count + 2


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 200),  # their own record
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_detail_permissions(world, role, status):
    response = world.client(role).get(staff_detail(world.shop, world.staff))
    expect(response, status)
    if status == 200:
        assert response.json()["data"]["handle"] == world.staff.handle


def test_staff_cannot_read_a_colleagues_record(world):
    colleague = StaffFactory(shop=world.shop)
    expect(world.client("staff").get(staff_detail(world.shop, colleague)), 403)


def test_staff_of_another_shop_through_this_shop_is_404(world):
    stranger = StaffFactory(shop=world.other_shop)
    expect(world.client("owner").get(staff_detail(world.shop, stranger)), 404)
    expect(world.client("owner").get(staff_detail(world.shop, world.owner)), 404)
    expect(
        world.client("owner").patch(staff_detail(world.shop, stranger), {"first_name": "X"}), 404
    )
    expect(world.client("owner").delete(staff_detail(world.shop, stranger)), 404)
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.first_name != "X"


# --- Update ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_update_permissions(world, role, status):
    response = world.client(role).patch(
        staff_detail(world.shop, world.staff), {"first_name": "Renamed"}, format="json"
    )
    expect(response, status)
    world.staff.refresh_from_db()
    assert (world.staff.first_name == "Renamed") is (status == 200)


def test_update_fields_and_mass_assignment(world):
    response = world.client("owner").patch(
        staff_detail(world.shop, world.staff),
        {
            "handle": "New.Handle",
            "last_name": "Okafor",
            "email": "x@example.com",
            "is_staff": True,
            "shop": str(world.other_shop.id),
            "password": "whatever-it-is-1",
        },
        format="json",
    )
    expect(response, 200)
    world.staff.refresh_from_db()
    assert world.staff.handle == "new.handle" and world.staff.last_name == "Okafor"
    assert world.staff.email is None and not world.staff.is_staff
    assert world.staff.shop_id == world.shop.id
    assert world.staff.check_password(DEFAULT_PASSWORD)


def test_update_to_a_taken_handle_is_409(world):
    StaffFactory(shop=world.shop, handle="taken")
    response = world.client("owner").patch(
        staff_detail(world.shop, world.staff), {"handle": "TAKEN"}, format="json"
    )
    assert_error(response, 409, "conflict")


def test_deactivating_through_patch_revokes_tokens_and_reactivation_works(world, client_for):
    client = world.client("owner")
    staff_client = world.client("staff")
    expect(staff_client.get(staff_detail(world.shop, world.staff)), 200)

    expect(
        client.patch(staff_detail(world.shop, world.staff), {"is_active": False}, format="json"),
        200,
    )
    expect(staff_client.get(staff_detail(world.shop, world.staff)), 401)
    assert staff_login(world.shop, world.staff.handle, DEFAULT_PASSWORD).status_code == 401

    expect(
        client.patch(staff_detail(world.shop, world.staff), {"is_active": True}, format="json"),
        200,
    )
    # Old tokens stay revoked; a new login works.
    expect(staff_client.get(staff_detail(world.shop, world.staff)), 401)
    assert staff_login(world.shop, world.staff.handle, DEFAULT_PASSWORD).status_code == 200


# --- Delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 204),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 204),
    ],
)
def test_delete_permissions(world, role, status):
    expect(world.client(role).delete(staff_detail(world.shop, world.staff)), status)
    world.staff.refresh_from_db()
    assert world.staff.is_active is (status != 204)


def test_delete_deactivates_and_tokens_stop_working_at_once(world):
    staff_client = world.client("staff")
    product_list = f"/api/v1/shops/{world.shop.id}/products/?include_inactive=true"
    expect(staff_client.get(product_list), 200)
    response = world.client("owner").delete(staff_detail(world.shop, world.staff))
    assert response.status_code == 204 and response.content == b""
    expect(staff_client.get(product_list), 401)
    world.staff.refresh_from_db()
    assert not world.staff.is_active
    assert User.objects.filter(id=world.staff.id).exists()


# --- Password reset --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 403),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_password_reset_permissions(world, role, status):
    response = world.client(role).post(
        staff_password(world.shop, world.staff), {"new_password": STRONG}, format="json"
    )
    expect(response, status)
    world.staff.refresh_from_db()
    assert world.staff.check_password(STRONG) is (status == 200)


def test_password_reset_revokes_tokens_and_the_new_password_works(world):
    staff_client = world.client("staff")
    response = world.client("owner").post(
        staff_password(world.shop, world.staff), {"new_password": STRONG}, format="json"
    )
    expect(response, 200)
    expect(staff_client.get(staff_detail(world.shop, world.staff)), 401)
    assert staff_login(world.shop, world.staff.handle, DEFAULT_PASSWORD).status_code == 401
    assert staff_login(world.shop, world.staff.handle, STRONG).status_code == 200


@pytest.mark.parametrize("password", ["", "short", "password", "123456789012"])
def test_password_reset_validation(world, password):
    response = world.client("owner").post(
        staff_password(world.shop, world.staff), {"new_password": password}, format="json"
    )
    assert "new_password" in assert_error(response, 400, "validation_error")["errors"]
    world.staff.refresh_from_db()
    assert world.staff.check_password(DEFAULT_PASSWORD)
