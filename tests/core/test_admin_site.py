"""Django admin as a shop operator meets it: the project's name, plural names that are words,
filters with distinct titles on every list, shop filters and search where people look, and money
that cannot be edited past the services."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.pagination import CountLimitedPaginator
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db


def registered() -> list:
    return [model for model in apps.get_models() if admin.site.is_registered(model)]


def test_the_site_has_the_projects_name(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Marketplace administration" in index
    assert "Django administration" not in index
    login = admin_client.get(reverse("admin:login") + "?next=/admin/")
    assert login.status_code in (200, 302)


def test_plural_names_are_words(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert ">Addresses<" in index and "Addresss" not in index
    for model in registered():
        plural = str(model._meta.verbose_name_plural)
        assert not re.search(r"(sss|[^aeiou]ys)$", plural), plural


def test_every_changelist_has_filters_with_distinct_titles(admin_client):
    ProductFactory()
    for model in registered():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url)
        assert response.status_code == 200, url
        titles = Counter(str(spec.title) for spec in response.context["cl"].filter_specs)
        assert [title for title, count in titles.items() if count > 1] == [], (url, titles)


def test_products_filter_by_shop_and_search_by_shop_code(admin_client):
    mine, other = ProductFactory(name="Oak table"), ProductFactory(name="Pine chair")
    url = reverse("admin:products_product_changelist")
    titles = [str(spec.title) for spec in admin_client.get(url).context["cl"].filter_specs]
    assert "shop" in titles and "shop active" in titles
    by_shop = admin_client.get(url, {"shop__id__exact": str(mine.shop_id)})
    assert [p.name for p in by_shop.context["cl"].result_list] == ["Oak table"]
    by_code = admin_client.get(url, {"q": other.shop.code})
    assert [p.name for p in by_code.context["cl"].result_list] == ["Pine chair"]


def test_orders_filter_by_shop_and_search_by_number_and_email(admin_client):
    shop = ShopFactory()
    customer = UserFactory(email="finder@example.com")
    group = place_order(customer, [(ProductFactory(shop=shop), 1)])
    place_order(UserFactory(), [(ProductFactory(), 1)])
    order = group.orders.get()
    url = reverse("admin:orders_order_changelist")
    for params in ({"shop__id__exact": str(shop.id)}, {"q": order.number}, {"q": customer.email}):
        found = admin_client.get(url, params).context["cl"].result_list
        assert [o.number for o in found] == [order.number], params


def test_money_is_read_only(admin_client):
    product = ProductFactory()
    pages = {
        reverse("admin:products_product_change", args=[product.id]): ["price"],
        reverse("admin:shops_shop_change", args=[product.shop.id]): ["delivery_fee"],
    }
    group = place_order(UserFactory(), [(product, 1)])
    pages[reverse("admin:orders_ordergroup_change", args=[group.id])] = [
        "subtotal",
        "delivery_fee",
        "total",
    ]
    for url, fields in pages.items():
        page = admin_client.get(url).content.decode()
        for field in fields:
            assert f'name="{field}"' not in page, (url, field)


GROWING = [
    "orders.ordergroup",
    "orders.order",
    "orders.return",
    "payments.payment",
    "payments.refund",
    "payments.webhookevent",
    "payments.ledgerentry",
    "payments.payout",
    "products.product",
    "products.inventorymovement",
    "reviews.review",
    "users.user",
]


@pytest.mark.parametrize("label", GROWING)
def test_changelists_of_growing_tables_never_scan_them_whole(admin_client, label):
    """No `DISTINCT` over the table, no `date_hierarchy` (MIN/MAX), no filter whose choices are
    read from it, no second count of the whole table; the filters and search still apply."""
    place_order(UserFactory(), [(ProductFactory(), 1)])
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    assert model_admin.show_full_result_count is False
    assert model_admin.paginator is CountLimitedPaginator
    assert not model_admin.date_hierarchy
    assert model_admin.show_facets is admin.ShowFacets.NEVER  # a count per filter choice
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as ctx:
        for params in ({}, {"q": "x y"}, {"_facets": "1"}):
            assert admin_client.get(url, params).status_code == 200, (url, params)
    table = model._meta.db_table
    for query in ctx.captured_queries:
        sql = query["sql"].upper()
        assert "DISTINCT" not in sql, (label, query["sql"])
        assert f'MIN("{table}"'.upper() not in sql, (label, query["sql"])


def test_group_search_and_shop_filter_list_a_group_once(admin_client):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    group = place_order(
        UserFactory(), [(ProductFactory(shop=shop_a), 1), (ProductFactory(shop=shop_b), 1)]
    )
    place_order(UserFactory(), [(ProductFactory(), 1)])
    url = reverse("admin:orders_ordergroup_changelist")
    # The group's number is in both of its orders' numbers.
    for params in (
        {"q": group.number},
        {"q": f"{group.number}-"},
        {"orders__shop__id__exact": str(shop_b.id)},
    ):
        found = admin_client.get(url, params).context["cl"]
        assert [g.number for g in found.result_list] == [group.number], params
        assert found.result_count == 1
    assert admin_client.get(url, {"orders__shop__id__exact": "not-a-uuid"}).status_code in (
        200,
        302,
    )


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reviews/review/?rating__exact=abc",
        "/admin/payments/payment/?currency__exact=XYZ",
        "/admin/orders/ordergroup/?orders__shop__id__exact=not-a-uuid",
    ],
)
def test_a_crafted_filter_value_is_never_a_server_error(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert "e=1" in response["Location"]


def test_a_changelist_says_when_its_count_is_an_estimate(admin_client, settings):
    for _ in range(3):
        ProductFactory()
    url = reverse("admin:products_product_changelist")
    exact = admin_client.get(url).content.decode()
    assert "3 products" in exact and "about" not in exact
    settings.PAGINATION_EXACT_COUNT_LIMIT = 2
    response = admin_client.get(url)
    estimated = response.content.decode()
    count = response.context["cl"].result_count
    assert f"about {count}</span> products" in estimated
    assert len(response.context["cl"].result_list) == 3  # every row is still listed
