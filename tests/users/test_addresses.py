from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.factories import AddressFactory, StaffFactory, UserFactory
from tests.users.conftest import assert_error
from users.models import Address

ADDRESSES = "/api/v1/addresses/"
ADDRESS_KEYS = {
    "id",
    "full_name",
    "phone",
    "line1",
    "line2",
    "city",
    "state",
    "state_unrecognised",
    "postal_code",
    "country",
    "is_default",
    "created_at",
}


def detail(address_id) -> str:
    return f"{ADDRESSES}{address_id}/"


def address_body(**overrides):
    body = {
        "full_name": "Chidi Eze",
        "phone": "+2348031234567",
        "line1": "14 Admiralty Way",
        "city": "Lagos",
        "state": "Lagos",
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_create_first_address_becomes_default(client_for, customer):
    response = client_for(customer).post(ADDRESSES, address_body())
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert set(data) == ADDRESS_KEYS
    assert data["country"] == "NG"  # the default
    assert data["is_default"] is True
    assert data["line2"] == "" and data["postal_code"] == ""
    assert data["state"] == "NG-LA" and data["state_unrecognised"] is False  # stored as the code
    assert Address.objects.get(id=data["id"]).user_id == customer.id


@pytest.mark.django_db
def test_new_default_clears_the_other(client_for, customer):
    client = client_for(customer)
    first = client.post(ADDRESSES, address_body()).json()["data"]
    second = client.post(ADDRESSES, address_body(line1="2 Broad St")).json()["data"]
    assert second["is_default"] is False
    third = client.post(ADDRESSES, address_body(line1="3 Awolowo Rd", is_default=True))
    assert third.json()["data"]["is_default"] is True
    defaults = Address.objects.filter(user=customer, is_default=True)
    assert list(defaults.values_list("id", flat=True)) == [
        Address.objects.get(line1="3 Awolowo Rd").id
    ]
    # PATCH is_default on another one moves the default again.
    response = client.patch(detail(first["id"]), {"is_default": True})
    assert response.json()["data"]["is_default"] is True
    assert Address.objects.filter(user=customer, is_default=True).count() == 1


@pytest.mark.django_db
def test_list_get_patch_delete(client_for, customer):
    client = client_for(customer)
    created = client.post(ADDRESSES, address_body(country="gh", state="Greater Accra"))
    address_id = created.json()["data"]["id"]
    assert created.json()["data"]["country"] == "GH"  # normalised

    listing = client.get(ADDRESSES)
    assert listing.status_code == 200
    page = listing.json()["data"]
    assert page["count"] == 1 and page["results"][0]["id"] == address_id

    assert client.get(detail(address_id)).json()["data"]["state"] == "GH-AA"

    patched = client.patch(detail(address_id), {"city": "Kumasi", "postal_code": "AK-039"})
    assert patched.status_code == 200
    assert patched.json()["data"]["city"] == "Kumasi"
    assert patched.json()["data"]["full_name"] == "Chidi Eze"

    assert client.delete(detail(address_id)).status_code == 204
    assert_error(client.get(detail(address_id)), 404, "not_found")
    assert not Address.objects.exists()


@pytest.mark.django_db
def test_deleting_the_default_promotes_the_newest(client_for, customer):
    client = client_for(customer)
    first = client.post(ADDRESSES, address_body(line1="1 First St")).json()["data"]
    client.post(ADDRESSES, address_body(line1="2 Second St"))
    client.post(ADDRESSES, address_body(line1="3 Third St"))
    assert client.delete(detail(first["id"])).status_code == 204
    default = Address.objects.get(user=customer, is_default=True)
    assert default.line1 == "3 Third St"


@pytest.mark.django_db
def test_at_most_ten_addresses(client_for, customer):
    AddressFactory.create_batch(10, user=customer)
    response = client_for(customer).post(ADDRESSES, address_body())
    assert_error(response, 409, "conflict")
    assert Address.objects.filter(user=customer).count() == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "NGA"}, "country"),
        ({"country": "1"}, "country"),
        ({"country": ""}, "country"),
        ({"phone": "0803123"}, "phone"),
        ({"full_name": ""}, "full_name"),
        ({"line1": None}, "line1"),
        ({"city": "x" * 101}, "city"),
        ({"is_default": "maybe"}, "is_default"),
    ],
)
def test_create_validation(client_for, customer, overrides, field):
    response = client_for(customer).post(ADDRESSES, address_body(**overrides))
    body = assert_error(response, 400, "validation_error")
    assert field in body["errors"]
    assert not Address.objects.exists()


@pytest.mark.django_db
def test_patch_validation(client_for, customer):
    address = AddressFactory(user=customer)
    response = client_for(customer).patch(detail(address.id), {"country": "ZZ"})
    assert_error(response, 400, "validation_error")
    address.refresh_from_db()
    assert address.country == "NG"


@pytest.mark.django_db
def test_protected_fields_are_ignored(client_for, customer):
    other = UserFactory()
    response = client_for(customer).post(
        ADDRESSES,
        address_body(
            user=str(other.id), id="00000000-0000-0000-0000-000000000001", created_at="2000-01-01"
        ),
    )
    assert response.status_code == 201
    address = Address.objects.get()
    assert address.user_id == customer.id
    assert str(address.id) != "00000000-0000-0000-0000-000000000001"
    assert address.created_at.year != 2000


@pytest.mark.django_db
def test_another_accounts_address_is_not_found(client_for, customer):
    theirs = AddressFactory(user=UserFactory(), city="Abuja")
    client = client_for(customer)
    assert_error(client.get(detail(theirs.id)), 404, "not_found")
    assert_error(client.patch(detail(theirs.id), {"city": "Kano"}), 404, "not_found")
    assert_error(client.delete(detail(theirs.id)), 404, "not_found")
    assert client.get(ADDRESSES).json()["data"]["count"] == 0
    theirs.refresh_from_db()
    assert theirs.city == "Abuja"


@pytest.mark.django_db
def test_malformed_id_is_not_found(client_for, customer):
    assert_error(client_for(customer).get(f"{ADDRESSES}not-a-uuid/"), 404, "not_found")


@pytest.mark.django_db
def test_staff_are_refused_and_anonymous_must_log_in(client_for, api_client):
    staff = client_for(StaffFactory())
    assert_error(staff.get(ADDRESSES), 403, "permission_denied")
    assert_error(staff.post(ADDRESSES, address_body()), 403, "permission_denied")
    assert_error(api_client.get(ADDRESSES), 401, "not_authenticated")
    assert not Address.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 10])
def test_list_costs_a_fixed_number_of_queries(
    client_for, customer, django_assert_max_num_queries, count
):
    AddressFactory.create_batch(count, user=customer)
    client = client_for(customer)
    with django_assert_max_num_queries(3):  # account, count, page
        response = client.get(ADDRESSES)
    assert response.json()["data"]["count"] == count


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_respect_the_limit_and_one_default():
    from rest_framework.test import APIClient

    from users.services import tokens_for_user

    user = UserFactory()
    access = tokens_for_user(user=user)["access"]
    count = 14
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(i: int):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            barrier.wait()
            response = client.post(
                ADDRESSES, address_body(line1=f"{i} Race St", is_default=True), format="json"
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 10 + [409] * (count - 10)
    assert Address.objects.filter(user=user).count() == 10
    assert Address.objects.filter(user=user, is_default=True).count() == 1


# --- States (API.md §14) -------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "state", "stored"),
    [
        ("NG", "NG-LA", "NG-LA"),
        ("NG", "ng-la", "NG-LA"),
        ("NG", "Lagos", "NG-LA"),
        ("NG", "LAGOS STATE", "NG-LA"),
        ("NG", "akwa-ibom", "NG-AK"),
        ("NG", "FCT", "NG-FC"),
        ("NG", "abuja", "NG-FC"),
        ("NG", "Federal Capital Territory", "NG-FC"),
        ("GH", "greater accra", "GH-AA"),
        ("US", "CA", "US-CA"),
    ],
)
def test_a_state_is_named_by_code_or_name_and_stored_as_the_code(
    client_for, customer, country, state, stored
):
    response = client_for(customer).post(ADDRESSES, address_body(country=country, state=state))
    assert response.status_code == 201, response.content
    assert response.json()["data"]["state"] == stored
    assert Address.objects.get().state == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"state": "Lagoss"},
        {"state": ""},
        {"state": "Greater Accra"},  # Ghana's, not Nigeria's
        {"state": "NG-LA", "country": "GH"},
    ],
)
def test_an_unknown_state_is_refused(client_for, customer, overrides):
    body = address_body(**overrides)
    response = client_for(customer).post(ADDRESSES, body)
    errors = assert_error(response, 400, "validation_error")["errors"]
    assert list(errors) == ["state"]
    assert not Address.objects.exists()


@pytest.mark.django_db
def test_a_country_without_a_list_of_states_takes_any_state(client_for, customer):
    from users.countries import states

    assert states("AQ") == ()  # Antarctica has no ISO 3166-2 subdivisions
    response = client_for(customer).post(ADDRESSES, address_body(country="AQ", state="McMurdo"))
    assert response.status_code == 201, response.content
    assert response.json()["data"]["state"] == "McMurdo"


@pytest.mark.django_db
def test_patching_the_country_checks_the_state_again(client_for, customer):
    address = AddressFactory(user=customer, state="NG-LA")
    client = client_for(customer)
    response = client.patch(detail(address.id), {"country": "GH"})
    assert_error(response, 400, "validation_error")
    address.refresh_from_db()
    assert (address.country, address.state) == ("NG", "NG-LA")
    response = client.patch(detail(address.id), {"country": "GH", "state": "Ashanti"})
    assert response.status_code == 200, response.content
    assert response.json()["data"]["state"] == "GH-AH"


@pytest.mark.django_db
def test_correcting_an_unrecognised_state_clears_the_flag(client_for, customer):
    address = AddressFactory(user=customer, state="Somewhere", state_unrecognised=True)
    client = client_for(customer)
    shown = client.get(detail(address.id)).json()["data"]
    assert (shown["state"], shown["state_unrecognised"]) == ("Somewhere", True)
    # Another field alone leaves the flag as it is.
    assert client.patch(detail(address.id), {"city": "Ikeja"}).json()["data"]["state_unrecognised"]
    patched = client.patch(detail(address.id), {"state": "lagos"}).json()["data"]
    assert (patched["state"], patched["state_unrecognised"]) == ("NG-LA", False)
