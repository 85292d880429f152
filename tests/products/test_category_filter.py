"""`?category=` lists the products of the category and its sub-categories, active ones only,
newest first, on every page, deep ones too: on PostgreSQL from the list of its products' ids
for a small category and from the stored category ids for a larger one; elsewhere from the
category links."""

import pytest

from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/v1/products/"


@pytest.mark.parametrize("small_category", [1000, 2], ids=["ids", "stored or links"])
def test_a_category_page_deep_or_not_lists_the_linked_products(
    api_client, monkeypatch, small_category
):
    monkeypatch.setattr("products.selectors.SMALL_CATEGORY", small_category)
    monkeypatch.setattr("core.pagination.DEEP_PAGE_OFFSET", 4)  # deeper pages read ids first
    root = CategoryFactory(slug="home")
    leaf = CategoryFactory(slug="lamps", parent=root)
    other = CategoryFactory(slug="garden")
    for n in range(9):
        ProductFactory(name=f"Home {n}").categories.add(leaf if n % 2 else root)
    for n in range(3):
        ProductFactory(name=f"Garden {n}").categories.add(other)
    ProductFactory(name="Hidden", is_active=False).categories.add(leaf)

    whole = api_client.get(PRODUCTS, {"category": "home", "page_size": 50}).json()["data"]
    assert sorted(row["name"] for row in whole["results"]) == [f"Home {n}" for n in range(9)]
    pages = [
        api_client.get(PRODUCTS, {"category": "home", "page_size": 2, "page": page})
        for page in range(1, 6)
    ]
    assert all(page.status_code == 200 for page in pages)
    paged = [row["name"] for page in pages for row in page.json()["data"]["results"]]
    assert paged == [row["name"] for row in whole["results"]]
    leaf_only = api_client.get(PRODUCTS, {"category": "lamps"}).json()["data"]["results"]
    assert sorted(row["name"] for row in leaf_only) == [f"Home {n}" for n in (1, 3, 5, 7)]
