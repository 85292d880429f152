"""ISO 3166 reference lists (API.md §14): from memory, for anyone, cacheable."""

from __future__ import annotations

import pytest

from tests.users.conftest import bearer
from users.countries import state_code

COUNTRIES = "/api/v1/countries/"

NIGERIA = {
    "NG-AB": "Abia", "NG-AD": "Adamawa", "NG-AK": "Akwa Ibom", "NG-AN": "Anambra",
    "NG-BA": "Bauchi", "NG-BE": "Benue", "NG-BO": "Borno", "NG-BY": "Bayelsa",
    "NG-CR": "Cross River", "NG-DE": "Delta", "NG-EB": "Ebonyi", "NG-ED": "Edo",
    "NG-EK": "Ekiti", "NG-EN": "Enugu", "NG-FC": "Abuja Federal Capital Territory",
    "NG-GO": "Gombe", "NG-IM": "Imo", "NG-JI": "Jigawa", "NG-KD": "Kaduna", "NG-KE": "Kebbi",
    "NG-KN": "Kano", "NG-KO": "Kogi", "NG-KT": "Katsina", "NG-KW": "Kwara", "NG-LA": "Lagos",
    "NG-NA": "Nasarawa", "NG-NI": "Niger", "NG-OG": "Ogun", "NG-ON": "Ondo", "NG-OS": "Osun",
    "NG-OY": "Oyo", "NG-PL": "Plateau", "NG-RI": "Rivers", "NG-SO": "Sokoto", "NG-TA": "Taraba",
    "NG-YO": "Yobe", "NG-ZA": "Zamfara",
}  # fmt: skip


@pytest.mark.django_db
def test_countries_are_iso_3166_1_for_anyone_and_cacheable(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get(COUNTRIES)
    assert response.status_code == 200
    assert "max-age=" in response["Cache-Control"] and "public" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "success"
    countries = {country["code"]: country["name"] for country in body["data"]}
    assert len(countries) == len(body["data"]) == 249
    assert countries["NG"] == "Nigeria" and countries["GH"] == "Ghana"
    assert all(set(country) == {"code", "name"} for country in body["data"])
    names = [country["name"] for country in body["data"]]
    assert names == sorted(names)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["NG", "ng"])
def test_nigeria_has_its_36_states_and_the_fct(api_client, code, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get(f"{COUNTRIES}{code}/states/")
    assert response.status_code == 200
    assert "max-age=" in response["Cache-Control"]
    states = response.json()["data"]
    assert {state["code"]: state["name"] for state in states} == NIGERIA
    types = {state["code"]: state["type"] for state in states}
    assert types["NG-FC"] == "Capital territory"
    assert sum(kind == "State" for kind in types.values()) == 36
    assert {state["parent"] for state in states} == {None}


@pytest.mark.django_db
def test_other_countries_come_from_the_package_with_their_parents(api_client):
    states = api_client.get(f"{COUNTRIES}GB/states/").json()["data"]
    by_code = {state["code"]: state for state in states}
    assert by_code["GB-ENG"]["parent"] is None
    assert by_code["GB-LND"]["parent"] == "GB-ENG"
    assert len(api_client.get(f"{COUNTRIES}US/states/").json()["data"]) >= 50


@pytest.mark.django_db
def test_a_country_without_subdivisions_has_an_empty_list(api_client):
    response = api_client.get(f"{COUNTRIES}AQ/states/")
    assert response.status_code == 200 and response.json()["data"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["XX", "NGA", "1"])
def test_an_unknown_country_is_not_found(api_client, code):
    response = api_client.get(f"{COUNTRIES}{code}/states/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_stale_token_does_not_get_in_the_way(api_client):
    bearer(api_client, "not-a-token")
    assert api_client.get(COUNTRIES).status_code == 200


@pytest.mark.parametrize(
    ("country", "value", "code"),
    [
        ("NG", "NG-LA", "NG-LA"),
        ("NG", " lagos ", "NG-LA"),
        ("NG", "Lagos State", "NG-LA"),
        ("NG", "LA", "NG-LA"),
        ("NG", "Cross-River", "NG-CR"),
        ("NG", "FCT", "NG-FC"),
        ("NG", "F.C.T.", "NG-FC"),
        ("NG", "Abuja", "NG-FC"),
        ("NG", "federal capital territory", "NG-FC"),
        ("NG", "Abuja Federal Capital Territory", "NG-FC"),
        ("NG", "Ikeja", None),
        ("NG", "", None),
        ("NG", "State", None),
        ("NG", "GH-AA", None),
        ("FR", "ile-de-france", "FR-IDF"),  # accents do not matter
        ("GH", "Lagos", None),
    ],
)
def test_state_names_codes_and_aliases(country, value, code):
    assert state_code(country, value) == code
