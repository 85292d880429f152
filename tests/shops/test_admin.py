"""The admin's delivery zones (inline on a shop) and addresses follow the API's rules."""

from __future__ import annotations

import pytest

from shops.admin import DeliveryZoneForm
from tests.factories import AddressFactory, DeliveryZoneFactory, ShopFactory
from users.admin import AddressAdminForm
from users.models import Address

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_shops_page_shows_its_zones(admin_client):
    zone = DeliveryZoneFactory(name="Island and Mainland")
    response = admin_client.get(f"/admin/shops/shop/{zone.shop_id}/change/")
    assert response.status_code == 200
    assert "Island and Mainland" in response.content.decode()


def zone_form(**overrides):
    data = {
        "shop": ShopFactory().pk,
        "name": "Lagos",
        "country": "NG",
        "states": '["lagos", "Ogun"]',
        "fee": "1000.00",
        "free_over": "",
        "days_min": 1,
        "days_max": 2,
    }
    data.update(overrides)
    return DeliveryZoneForm(data=data)


def test_the_zone_form_stores_codes():
    form = zone_form()
    assert form.is_valid(), form.errors
    assert form.save().states == ["NG-LA", "NG-OG"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"states": '["Atlantis"]'}, "states"),
        ({"states": '["*", "NG-LA"]'}, "states"),
        ({"states": "[]"}, "states"),
        ({"days_min": 3, "days_max": 1}, "days_max"),
    ],
)
def test_the_zone_form_refuses_what_the_api_refuses(overrides, field):
    form = zone_form(**overrides)
    assert not form.is_valid() and field in form.errors


def address_form(instance, **overrides):
    data = {
        "user": instance.user_id,
        "full_name": instance.full_name,
        "phone": instance.phone,
        "line1": instance.line1,
        "line2": "",
        "city": instance.city,
        "state": instance.state,
        "postal_code": "",
        "country": instance.country,
        "is_default": "",
    }
    data.update(overrides)
    return AddressAdminForm(data=data, instance=instance)


def test_the_address_form_stores_the_code_and_clears_the_flag():
    address = AddressFactory(state="Somewhere", state_unrecognised=True)
    refused = address_form(address)
    assert not refused.is_valid() and "state" in refused.errors
    form = address_form(Address.objects.get(pk=address.pk), state="abuja")
    assert form.is_valid(), form.errors
    form.save()
    address.refresh_from_db()
    assert (address.state, address.state_unrecognised) == ("NG-FC", False)


def test_flagged_addresses_can_be_listed(admin_client):
    AddressFactory(state="Somewhere", state_unrecognised=True)
    response = admin_client.get("/admin/users/address/?state_unrecognised__exact=1")
    assert response.status_code == 200 and "Somewhere" in response.content.decode()
