"""Counts that stop at a limit, and keyset pages (`?cursor=`) that cost the same however deep."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.db import connection
from django.utils import timezone

from core.pagination import COUNT_EXACT_HEADER, CountLimitedPaginator
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]

NEWEST = "/test/newest-users/"
BY_EMAIL = "/test/users/"


def make_users(count: int, *, same_time: int = 0) -> list[User]:
    """`count` accounts, newest first in the returned list; the first `same_time` of them share
    one `date_joined` (a tie the keyset pages must not lose or repeat)."""
    start = timezone.now() - datetime.timedelta(days=1)
    users = [
        User(
            email=f"person{n:03d}@example.com",
            date_joined=start + datetime.timedelta(seconds=max(n, same_time)),
        )
        for n in range(count)
    ]
    User.objects.bulk_create(users)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {User._meta.db_table}")
    return list(User.objects.order_by("-date_joined", "-id"))


def data_of(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]


def emails(data) -> list[str]:
    return [row["email"] for row in data["results"]]


def test_a_count_within_the_limit_is_exact(api_client, settings):
    settings.PAGINATION_EXACT_COUNT_LIMIT = 10
    make_users(7)
    response = api_client.get(BY_EMAIL)
    assert data_of(response)["count"] == 7
    assert response[COUNT_EXACT_HEADER] == "true"


def test_a_count_beyond_the_limit_is_an_estimate_said_so(api_client, settings):
    settings.PAGINATION_EXACT_COUNT_LIMIT = 5
    make_users(12)
    response = api_client.get(BY_EMAIL, {"page_size": 2})
    data = data_of(response)
    assert response[COUNT_EXACT_HEADER] == "false"
    assert set(data) == {"count", "next", "previous", "results"}
    if connection.vendor == "postgresql":
        assert data["count"] == 12  # the planner's estimate of an analysed table
    else:
        assert data["count"] == 6  # the limit + 1
    assert data["next"].endswith("page=2&page_size=2")
    # Every row stays reachable by page number, whatever the estimate: `next` follows the rows.
    seen, url = [], BY_EMAIL + "?page_size=2"
    while url:
        page = data_of(api_client.get(url))
        seen += emails(page)
        url = page["next"]
    assert seen == [f"person{n:03d}@example.com" for n in range(12)]
    assert emails(data_of(api_client.get(BY_EMAIL, {"page_size": 2, "page": 6}))) == [
        "person010@example.com",
        "person011@example.com",
    ]
    assert api_client.get(BY_EMAIL, {"page_size": 2, "page": 7}).status_code == 404
    assert api_client.get(BY_EMAIL, {"page_size": 2, "page": 0}).status_code == 404
    assert api_client.get(BY_EMAIL, {"page_size": 2, "page": "x"}).status_code == 404


def test_the_paginator_used_by_the_admin_counts_the_same_way(settings):
    settings.PAGINATION_EXACT_COUNT_LIMIT = 3
    make_users(5)
    paginator = CountLimitedPaginator(User.objects.order_by("email"), 2)
    assert paginator.count >= 4 and paginator.count_exact is False
    settings.PAGINATION_EXACT_COUNT_LIMIT = 10
    paginator = CountLimitedPaginator(User.objects.order_by("email"), 2)
    assert (paginator.count, paginator.count_exact) == (5, True)
    assert CountLimitedPaginator(list(range(30)), 2).count == 30


@pytest.mark.parametrize("same_time", [0, 6])
def test_keyset_pages_walk_the_whole_list_once_each_way(api_client, same_time):
    newest_first = [user.email for user in make_users(25, same_time=same_time)]
    response = api_client.get(NEWEST, {"cursor": "", "page_size": 10})
    assert response[COUNT_EXACT_HEADER] == "true"
    page = data_of(response)
    assert page["count"] == 25 and page["previous"] is None
    assert "cursor=" in page["next"]
    walked = emails(page)
    pages = [page]
    while page["next"]:
        page = data_of(api_client.get(page["next"]))
        assert page["count"] == 25
        walked += emails(page)
        pages.append(page)
    assert walked == newest_first
    assert len(pages) == 3
    if same_time:
        return  # going back across a tie may skip rows (DRF's documented cursor artifact)
    # And back from the last page.
    back = data_of(api_client.get(pages[-1]["previous"]))
    assert emails(back) == emails(pages[1])


def test_without_a_cursor_the_same_list_has_page_numbers(api_client):
    newest_first = [user.email for user in make_users(12)]
    page = data_of(api_client.get(NEWEST, {"page": 2, "page_size": 5}))
    assert emails(page) == newest_first[5:10]
    assert page["next"].endswith("page=3&page_size=5")


def test_a_list_without_keyset_pages_ignores_cursor(api_client):
    make_users(3)
    page = data_of(api_client.get(BY_EMAIL, {"cursor": "abc"}))
    assert page["count"] == 3 and page["next"] is None


@pytest.mark.parametrize(
    "token",
    [
        base64.b64encode(b"o=abc").decode(),
        base64.b64encode(b"p=not-a-date").decode(),
        base64.b64encode(b"o=-3").decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        base64.b64encode(b"p=0001-01-01 00:00:00+05:00").decode(),
        base64.b64encode(b"p=9999-12-31 23:59:59-05:00").decode(),
        base64.b64encode(b"p=2024-01-01").decode(),
    ],
)
def test_a_malformed_cursor_is_a_validation_error(api_client, token):
    make_users(3)
    response = api_client.get(NEWEST, {"cursor": token})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and "cursor" in body["errors"]


@pytest.mark.parametrize(
    "params", [{"ordering": "email"}, {"search": "person"}, {"search": "-date_joined"}]
)
def test_keyset_pages_refuse_another_order(api_client, params):
    make_users(3)
    response = api_client.get(NEWEST, {"cursor": "", **params})
    assert response.status_code == 400
    assert response.json()["errors"]["cursor"]
    # The default order itself is accepted.
    assert api_client.get(NEWEST, {"cursor": "", "ordering": "-date_joined"}).status_code == 200
