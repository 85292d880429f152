"""A shop's delivery zones through the API (API.md §14)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shops.models import DeliveryZone
from shops.services import MAX_DELIVERY_ZONES
from tests.factories import DeliveryZoneFactory, ShopFactory, UserFactory
from tests.threads import run_together
from tests.users.conftest import bearer

ZONE_KEYS = {
    "id",
    "shop_id",
    "name",
    "country",
    "states",
    "fee",
    "free_over",
    "days_min",
    "days_max",
    "created_at",
    "updated_at",
}


def zones_url(shop) -> str:
    return f"/api/v1/shops/{shop.id}/delivery-zones/"


def zone_url(shop, zone_id) -> str:
    return f"{zones_url(shop)}{zone_id}/"


def body(**overrides):
    data = {
        "name": "Lagos",
        "states": ["NG-LA"],
        "fee": "1500.00",
        "free_over": "20000.00",
        "days_min": 1,
        "days_max": 2,
    }
    data.update(overrides)
    return data


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()
    return response.json()


@pytest.mark.django_db
def test_the_owner_adds_zones_and_anyone_lists_them(world):
    owner = world.client("owner")
    created = owner.post(zones_url(world.shop), body(states=["lagos"]), format="json")
    assert created.status_code == 201, created.content
    zone = created.json()["data"]
    assert set(zone) == ZONE_KEYS
    assert zone["shop_id"] == str(world.shop.id)
    assert (zone["country"], zone["states"], zone["fee"], zone["free_over"]) == (
        "NG",
        ["NG-LA"],
        "1500.00",
        "20000.00",
    )
    rest = owner.post(
        zones_url(world.shop),
        body(name="Rest of Nigeria", states=["*"], fee="3500", free_over=None, days_max=7),
        format="json",
    )
    assert rest.status_code == 201, rest.content
    assert rest.json()["data"]["free_over"] is None

    listing = world.client("anonymous").get(zones_url(world.shop))
    assert listing.status_code == 200
    page = listing.json()["data"]
    assert page["count"] == 2
    assert [z["name"] for z in page["results"]] == ["Lagos", "Rest of Nigeria"]
    detail = world.client("customer").get(zone_url(world.shop, zone["id"]))
    assert detail.json()["data"] == zone


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("customer", 404, "not_found"),
        ("other_member", 404, "not_found"),
        ("staff", 403, "permission_denied"),
        ("deactivated_staff", 401, "not_authenticated"),
    ],
)
def test_only_the_owner_and_admins_change_zones(world, role, status, code):
    zone = DeliveryZoneFactory(shop=world.shop)
    client = world.client(role)
    assert_error(client.post(zones_url(world.shop), body(name="X"), format="json"), status, code)
    assert_error(
        client.patch(zone_url(world.shop, zone.id), {"fee": "1"}, format="json"), status, code
    )
    assert_error(client.delete(zone_url(world.shop, zone.id)), status, code)
    zone.refresh_from_db()
    assert zone.fee == Decimal("1000.00")
    assert DeliveryZone.objects.count() == 1


@pytest.mark.django_db
def test_an_admin_manages_any_shops_zones(world):
    admin = world.client("admin")
    created = admin.post(zones_url(world.other_shop), body(), format="json")
    assert created.status_code == 201
    zone_id = created.json()["data"]["id"]
    patched = admin.patch(zone_url(world.other_shop, zone_id), {"fee": "99.50"}, format="json")
    assert patched.json()["data"]["fee"] == "99.50"
    assert admin.delete(zone_url(world.other_shop, zone_id)).status_code == 204
    assert not DeliveryZone.objects.exists()


@pytest.mark.django_db
def test_patch_changes_what_is_sent_and_checks_the_whole(world):
    zone = DeliveryZoneFactory(shop=world.shop, days_min=1, days_max=3)
    owner = world.client("owner")
    url = zone_url(world.shop, zone.id)
    response = owner.patch(url, {"states": ["Lagos", "Ogun"], "days_max": 4}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["states"], data["days_min"], data["days_max"]) == (
        "Lagos",
        ["NG-LA", "NG-OG"],
        1,
        4,
    )
    # days_min above the stored days_max.
    assert_error(owner.patch(url, {"days_min": 5}, format="json"), 400, "validation_error")
    # A new country: the stored states are not its.
    body_ = assert_error(
        owner.patch(url, {"country": "GH"}, format="json"), 400, "validation_error"
    )
    assert "states" in body_["errors"]
    zone.refresh_from_db()
    assert (zone.country, zone.states, zone.days_min) == ("NG", ["NG-LA", "NG-OG"], 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"states": []}, "states"),
        ({"states": "NG-LA"}, "states"),
        ({"states": ["*", "NG-LA"]}, "states"),
        ({"states": ["Atlantis"]}, "states"),
        ({"states": ["GH-AA"]}, "states"),
        ({"country": "XX"}, "country"),
        ({"fee": "-1"}, "fee"),
        ({"fee": "1.001"}, "fee"),
        ({"fee": None}, "fee"),
        ({"free_over": "-5"}, "free_over"),
        ({"days_min": -1}, "days_min"),
        ({"days_max": 366}, "days_max"),
        ({"days_min": 3, "days_max": 2}, "days_max"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 81}, "name"),
    ],
)
def test_invalid_zones_are_refused(world, overrides, field):
    response = world.client("owner").post(zones_url(world.shop), body(**overrides), format="json")
    assert field in assert_error(response, 400, "validation_error")["errors"]
    assert not DeliveryZone.objects.exists()


@pytest.mark.django_db
def test_a_state_is_in_one_zone_of_a_shop(world):
    owner = world.client("owner")
    assert (
        owner.post(
            zones_url(world.shop), body(states=["NG-LA", "NG-OG"]), format="json"
        ).status_code
        == 201
    )
    overlap = owner.post(
        zones_url(world.shop), body(name="South West", states=["Ogun", "Oyo"]), format="json"
    )
    assert assert_error(overlap, 409, "conflict")["errors"] == {"states": ["NG-OG"]}
    same_name = owner.post(
        zones_url(world.shop), body(name="LAGOS", states=["NG-OY"]), format="json"
    )
    assert_error(same_name, 409, "conflict")
    everywhere = owner.post(zones_url(world.shop), body(name="Rest", states=["*"]), format="json")
    assert everywhere.status_code == 201
    second_everywhere = owner.post(
        zones_url(world.shop), body(name="All", states=["*"]), format="json"
    )
    assert assert_error(second_everywhere, 409, "conflict")["errors"] == {"states": ["*"]}
    # Another country's `*`, and another shop's Lagos, are fine.
    ghana = owner.post(
        zones_url(world.shop), body(name="Ghana", country="GH", states=["*"]), format="json"
    )
    assert ghana.status_code == 201, ghana.content
    theirs = world.client("other_member").post(zones_url(world.other_shop), body(), format="json")
    assert theirs.status_code == 201
    assert DeliveryZone.objects.filter(shop=world.shop).count() == 3


@pytest.mark.django_db
def test_a_shop_has_at_most_fifty_zones(world):
    for n in range(MAX_DELIVERY_ZONES):
        DeliveryZoneFactory(shop=world.shop, name=f"Zone {n}", states=[])
    response = world.client("owner").post(zones_url(world.shop), body(), format="json")
    assert_error(response, 409, "conflict")
    assert DeliveryZone.objects.filter(shop=world.shop).count() == MAX_DELIVERY_ZONES


@pytest.mark.django_db
def test_unknown_and_foreign_ids_are_not_found(world):
    zone = DeliveryZoneFactory(shop=world.other_shop)
    owner = world.client("owner")
    # Another shop's zone under this shop's path.
    assert_error(
        owner.patch(zone_url(world.shop, zone.id), {"fee": "1"}, format="json"), 404, "not_found"
    )
    assert_error(owner.delete(zone_url(world.shop, zone.id)), 404, "not_found")
    assert_error(world.client("anonymous").get(zone_url(world.shop, zone.id)), 404, "not_found")
    assert_error(owner.get(f"{zones_url(world.shop)}not-a-uuid/"), 404, "not_found")
    assert_error(
        owner.get("/api/v1/shops/00000000-0000-0000-0000-000000000000/delivery-zones/"),
        404,
        "not_found",
    )
    zone.refresh_from_db()
    assert zone.fee == Decimal("1000.00")


@pytest.mark.django_db
def test_an_inactive_shops_zones_are_hidden_but_its_owner_sees_them(world):
    DeliveryZoneFactory(shop=world.shop)
    type(world.shop).objects.filter(id=world.shop.id).update(is_active=False)
    assert_error(world.client("customer").get(zones_url(world.shop)), 404, "not_found")
    assert world.client("owner").get(zones_url(world.shop)).json()["data"]["count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 30])
def test_the_zone_list_costs_a_fixed_number_of_queries(
    api_client, count, django_assert_max_num_queries
):
    shop = ShopFactory()
    for n in range(count):
        DeliveryZoneFactory(shop=shop, name=f"Zone {n}", states=[f"NG-{'LA' if n == 0 else 'KN'}"])
    with django_assert_max_num_queries(3):  # shop, count, page
        response = api_client.get(zones_url(shop))
    assert response.json()["data"]["count"] == count


@pytest.mark.django_db(transaction=True)
def test_concurrent_zones_for_one_state_leave_one():
    """Two requests naming the same state at once: the shop's lock lets one in, the other sees
    it and is refused."""
    from rest_framework.test import APIClient

    from users.services import tokens_for_user

    owner = UserFactory()
    shop = ShopFactory(owner=owner)
    access = tokens_for_user(user=owner)["access"]

    def create(n: int):
        def call() -> int:
            client = APIClient()
            bearer(client, access)
            zone = body(name=f"Lagos {n}", states=["NG-LA"])
            return client.post(zones_url(shop), zone, format="json").status_code

        return call

    statuses = run_together(*(create(n) for n in range(6)))
    assert sorted(statuses) == [201] + [409] * 5
    assert DeliveryZone.objects.filter(shop=shop).count() == 1
