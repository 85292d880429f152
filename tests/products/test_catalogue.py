"""The public catalogue's filters, ordering, search and query budget."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from products.models import Product, ProductImage
from tests.factories import CategoryFactory, ProductFactory, ShopFactory
from tests.shops.helpers import assert_error

PRODUCTS = "/api/v1/products/"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["data"]["results"]]


@pytest.fixture
def catalogue(db):
    """Three products with distinct prices, names, stock and creation times."""
    shop, other = ShopFactory(), ShopFactory()
    now = timezone.now()
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    shoes = CategoryFactory(name="Shoes", slug="shoes", parent=fashion)
    sandals = CategoryFactory(name="Sandals", slug="sandals", parent=shoes)
    books = CategoryFactory(name="Books", slug="books")
    sandal = ProductFactory(
        shop=shop,
        name="Leather sandal",
        description="Hand-stitched leather for hot days",
        price=Decimal("8000.00"),
        stock=0,
    )
    sandal.categories.add(sandals)
    dress = ProductFactory(
        shop=shop, name="Ankara dress", description="Bright wax print", price=Decimal("15000.00")
    )
    dress.categories.add(fashion)
    novel = ProductFactory(
        shop=other, name="Things Fall Apart", description="A novel", price=Decimal("4500.00")
    )
    novel.categories.add(books)
    for offset, product in enumerate([sandal, dress, novel]):
        Product.objects.filter(id=product.id).update(created_at=now - timedelta(days=3 - offset))
    return {
        "shop": shop,
        "other": other,
        "sandal": str(sandal.id),
        "dress": str(dress.id),
        "novel": str(novel.id),
        "fashion": fashion,
        "shoes": shoes,
        "sandals": sandals,
        "books": books,
    }


def test_default_ordering_is_newest_first(catalogue, api_client):
    c = catalogue
    assert ids(api_client.get(PRODUCTS)) == [c["novel"], c["dress"], c["sandal"]]


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("price", ["novel", "sandal", "dress"]),
        ("-price", ["dress", "sandal", "novel"]),
        ("name", ["dress", "sandal", "novel"]),
        ("-name", ["novel", "sandal", "dress"]),
        ("created_at", ["sandal", "dress", "novel"]),
        ("-created_at", ["novel", "dress", "sandal"]),
    ],
)
def test_ordering(catalogue, api_client, ordering, expected):
    response = api_client.get(PRODUCTS, {"ordering": ordering})
    assert ids(response) == [catalogue[name] for name in expected]


@pytest.mark.parametrize("ordering", ["stock", "-id", "price;drop", "shop__owner__password"])
def test_unknown_ordering_is_400(catalogue, api_client, ordering):
    response = api_client.get(PRODUCTS, {"ordering": ordering})
    assert "ordering" in assert_error(response, 400, "validation_error")["errors"]


def test_shop_filter(catalogue, api_client):
    c = catalogue
    assert ids(api_client.get(PRODUCTS, {"shop": str(c["other"].id)})) == [c["novel"]]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"min_price": "8000"}, ["dress", "sandal"]),
        ({"max_price": "8000.00"}, ["novel", "sandal"]),
        ({"min_price": "5000", "max_price": "9000"}, ["sandal"]),
        ({"in_stock": "true"}, ["novel", "dress"]),
        ({"in_stock": "false"}, ["sandal"]),
    ],
)
def test_price_and_stock_filters(catalogue, api_client, params, expected):
    assert ids(api_client.get(PRODUCTS, params)) == [catalogue[name] for name in expected]


@pytest.mark.parametrize("ref", ["fashion", "FASHION", "id"])
def test_category_filter_includes_sub_categories(catalogue, api_client, ref):
    c = catalogue
    value = str(c["fashion"].id) if ref == "id" else ref
    assert ids(api_client.get(PRODUCTS, {"category": value})) == [c["dress"], c["sandal"]]
    assert ids(api_client.get(PRODUCTS, {"category": "shoes"})) == [c["sandal"]]
    assert ids(api_client.get(PRODUCTS, {"category": "books"})) == [c["novel"]]


def test_unknown_category_gives_an_empty_page(catalogue, api_client):
    assert ids(api_client.get(PRODUCTS, {"category": "no-such-thing"})) == []
    response = api_client.get(PRODUCTS, {"category": "00000000-0000-0000-0000-000000000000"})
    assert ids(response) == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"min_price": "cheap"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "NaN"}, "max_price"),
        ({"max_price": "1e400"}, "max_price"),
        ({"min_price": "10", "max_price": "5"}, "max_price"),
        ({"in_stock": "yes"}, "in_stock"),
        ({"in_stock": "1"}, "in_stock"),
        ({"shop": "not-a-uuid"}, "shop"),
        ({"search": "x" * 201}, "search"),
        ({"category": "x" * 121}, "category"),
    ],
)
def test_invalid_filter_values_are_400(catalogue, api_client, params, field):
    response = api_client.get(PRODUCTS, params)
    assert field in assert_error(response, 400, "validation_error")["errors"]


def test_search_matches_name_and_description(catalogue, api_client):
    c = catalogue
    assert ids(api_client.get(PRODUCTS, {"search": "leather"})) == [c["sandal"]]
    assert ids(api_client.get(PRODUCTS, {"search": "wax print"})) == [c["dress"]]
    assert ids(api_client.get(PRODUCTS, {"search": "novel"})) == [c["novel"]]
    assert ids(api_client.get(PRODUCTS, {"search": "submarine"})) == []
    # Operators and quotes never break the query.
    for hostile in ['"unterminated', "a & | ! :*", "' OR 1=1 --", "(((", "\\"]:
        response = api_client.get(PRODUCTS, {"search": hostile})
        assert response.status_code == 200, (hostile, response.content)


def test_search_with_other_filters_and_ordering(catalogue, api_client):
    response = api_client.get(PRODUCTS, {"search": "leather", "in_stock": "true"})
    assert ids(response) == []
    response = api_client.get(PRODUCTS, {"search": "days print", "ordering": "price"})
    # Full text (PostgreSQL) requires both words; the fallback requires both words too.
    assert ids(response) == []


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_search_is_full_text_ranked_and_uses_the_gin_index(catalogue, api_client):
    c = catalogue
    # Stemming: "sandals" finds "sandal", "stitching" finds "stitched".
    assert ids(api_client.get(PRODUCTS, {"search": "sandals"})) == [c["sandal"]]
    assert ids(api_client.get(PRODUCTS, {"search": "stitching"})) == [c["sandal"]]
    # A name match (weight A) ranks above a description match (weight B).
    ProductFactory(shop=c["shop"], name="Fashion bag", description="Leather strap")
    ProductFactory(shop=c["shop"], name="Leather bag", description="Sturdy")
    names = [
        r["name"] for r in api_client.get(PRODUCTS, {"search": "leather"}).json()["data"]["results"]
    ]
    assert names[-1] == "Fashion bag" and set(names[:2]) == {"Leather bag", "Leather sandal"}

    from products.models import Product
    from products.selectors import product_search

    # The search condition alone, with every other way to read the table switched off: only a
    # bitmap scan of an index that matches the search expression can answer it. (With the
    # catalogue's other filters the planner may pick another index, depending on statistics.)
    queryset = product_search(Product.objects.all(), text="leather")
    with connection.cursor() as cursor:
        for method in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        plan = queryset.explain()
    assert "product_search_document" in plan, plan


@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_fallback_search_needs_every_word(catalogue, api_client):
    c = catalogue
    assert ids(api_client.get(PRODUCTS, {"search": "LEATHER hot"})) == [c["sandal"]]
    assert ids(api_client.get(PRODUCTS, {"search": "leath"})) == [c["sandal"]]


def test_pagination(db, api_client):
    ProductFactory.create_batch(25)
    data = api_client.get(PRODUCTS).json()["data"]
    assert data["count"] == 25 and len(data["results"]) == 20 and "page=2" in data["next"]
    data = api_client.get(PRODUCTS, {"page": 2, "page_size": 20}).json()["data"]
    assert len(data["results"]) == 5 and data["next"] is None
    assert_error(api_client.get(PRODUCTS, {"page": 9}), 404, "not_found")


def test_keyset_pages_follow_the_newest_first_order_with_filters(catalogue, api_client):
    """`?cursor=` pages of the public list (and of a category) give the rows of the page
    numbers, in the same order, each page found from the last one."""
    for n in range(5):
        ProductFactory(shop=catalogue["shop"], name=f"Extra {n}").categories.add(
            catalogue["fashion"]
        )
    for params in ({}, {"category": "fashion"}):
        expected = ids(api_client.get(PRODUCTS, {**params, "page_size": 100}))
        response = api_client.get(PRODUCTS, {**params, "cursor": "", "page_size": 2})
        found = []
        while True:
            data = response.json()["data"]
            found += [row["id"] for row in data["results"]]
            if not data["next"]:
                break
            assert "cursor=" in data["next"]
            response = api_client.get(data["next"][data["next"].index(PRODUCTS) :])
        assert found == expected and len(found) > 4


def test_a_deep_page_of_a_shop_read_by_ids_has_the_rows_of_the_plain_page(
    catalogue, api_client, monkeypatch, django_assert_max_num_queries
):
    import core.pagination

    shop = catalogue["shop"]
    for n in range(7):
        ProductFactory(shop=shop, name=f"Extra {n}")
    Product.objects.filter(shop=shop, name__in=["Extra 2", "Extra 3"]).update(
        created_at=timezone.now()  # ties on created_at: the id decides
    )
    url = f"/api/v1/shops/{shop.id}/products/"
    for ordering in ({}, {"ordering": "price"}, {"ordering": "name"}):
        expected = ids(api_client.get(url, {**ordering, "page_size": 100}))
        monkeypatch.setattr(core.pagination, "DEEP_PAGE_OFFSET", 2)
        found = []
        for page in range(1, 6):
            # shop, count, page, images, categories, variants
            with django_assert_max_num_queries(6) as captured:
                found += ids(api_client.get(url, {**ordering, "page": page, "page_size": 2}))
            by_ids = any(
                '"id" IN (SELECT' in query["sql"] and "OFFSET" in query["sql"]
                for query in captured.captured_queries
            )
            assert by_ids == (page > 1 and connection.vendor == "postgresql")
        monkeypatch.setattr(core.pagination, "DEEP_PAGE_OFFSET", 1000)
        assert found == expected and len(found) == 9


def _populate(count: int) -> list:
    shops = ShopFactory.create_batch(3)
    categories = CategoryFactory.create_batch(4)
    parent = CategoryFactory(slug="parent-cat")
    for category in categories:
        category.parent = parent
        category.save()
    for n in range(count):
        product = ProductFactory(shop=shops[n % 3])
        product.categories.add(*categories[: 1 + n % 4])
        ProductImage.objects.bulk_create(
            ProductImage(product=product, image=f"products/{n}-{i}.png", position=i)
            for i in range(1 + n % 3)
        )
    return shops


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("authenticated", [False, True])
def test_list_query_count_does_not_grow(
    db, client_for, api_client, django_assert_max_num_queries, count, authenticated
):
    shops = _populate(count)
    client = client_for(shops[0].owner) if authenticated else api_client
    # count + page + images + categories + variants (+ the caller's account).
    with django_assert_max_num_queries(6):
        data = client.get(PRODUCTS, {"page_size": 100}).json()["data"]
    assert data["count"] == count and len(data["results"]) == count
    assert all(row["images"] and row["categories"] for row in data["results"])
    # With the category filter (one more query for the tree, and on PostgreSQL one for the
    # category's size, read from its links up to `SMALL_CATEGORY`) and search.
    with django_assert_max_num_queries(8):
        data = client.get(
            PRODUCTS,
            {"page_size": 100, "category": "parent-cat", "search": "test", "ordering": "price"},
        ).json()["data"]
    assert data["count"] == count
    # A shop's catalogue: one more query for the shop itself.
    with django_assert_max_num_queries(7):
        data = client.get(
            f"/api/v1/shops/{shops[0].id}/products/",
            {"page_size": 100, "include_inactive": "true"},
        ).json()["data"]
    assert data["count"] == len(range(0, count, 3))


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 200),
        ("customer", 200),
        ("owner", 200),
        ("staff", 200),
        ("other_member", 200),
        ("deactivated_staff", 401),  # a revoked token is refused even on public pages
        ("admin", 200),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/products/", "/api/v1/categories/", "/api/v1/shops/", "shop-products"]
)
def test_public_lists_for_every_role(world, role, status, path):
    from tests.shops.helpers import expect

    ProductFactory(shop=world.shop)
    if path == "shop-products":
        path = f"/api/v1/shops/{world.shop.id}/products/"
    expect(world.client(role).get(path), status)
