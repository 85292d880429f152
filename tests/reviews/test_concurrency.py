"""Reviews written at the same moment, through the real API (threads, one connection each,
released together). Run on PostgreSQL and on MariaDB (`DB_ENGINE=mysql`). Invariant: the stored
`rating_count`, `rating_total` and `rating_average` of every product and shop equal what their
visible reviews add up to, whatever ran at once; no 5xx; one review per customer and product."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from products.models import Product
from reviews.models import Review
from reviews.services import rating_average
from shops.models import Shop
from tests import threads
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import fill_cart
from tests.reviews.helpers import bought, review_url, reviews_url

pytestmark = pytest.mark.django_db(transaction=True)

PICKUP_CASH = {"fulfillment_method": "pickup", "payment_method": "cash"}


def run_together(calls: list[Callable[[], tuple[int, dict | None]]]) -> list[tuple[int, dict]]:
    results = threads.run_together(*calls)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert all(status < 500 for status, _ in results), results
    return results


def call(client, method: str, url: str, body: dict | None = None):
    def run() -> tuple[int, dict | None]:
        response = getattr(client, method)(url, body, format="json")
        return response.status_code, (response.json() if response.content else None)

    return run


def assert_summaries_exact(products, shop) -> None:
    for row, reviews in [(p, Review.objects.filter(product=p)) for p in products] + [
        (shop, Review.objects.filter(product__shop=shop))
    ]:
        row = type(row).objects.get(pk=row.pk)
        visible = reviews.filter(is_visible=True).aggregate(count=Count("id"), total=Sum("rating"))
        count, total = visible["count"], visible["total"] or 0
        assert (row.rating_count, row.rating_total, row.rating_average) == (
            count,
            total,
            rating_average(count=count, total=total),
        ), row


def test_many_reviews_edits_hides_and_deletes_at_once_keep_the_ratings_exact(client_for):
    shop = ShopFactory()
    products = [ProductFactory(shop=shop), ProductFactory(shop=shop)]
    admin = client_for(UserFactory(is_staff=True, is_superuser=True))
    buyers = [bought(products[n % 2]) for n in range(12)]

    # Twelve first reviews at once, on two products of one shop.
    results = run_together(
        [
            call(client_for(buyer), "post", reviews_url(products[n % 2]), {"rating": n % 5 + 1})
            for n, buyer in enumerate(buyers)
        ]
    )
    assert Counter(status for status, _ in results) == {201: 12}
    assert_summaries_exact(products, shop)
    assert Shop.objects.get(pk=shop.pk).rating_count == 12

    # Then everything at once: authors edit or delete, an admin hides or shows, each review
    # touched by two callers.
    ids = [body["data"]["id"] for _, body in results]
    calls = []
    for n, (review_id, buyer) in enumerate(zip(ids, buyers, strict=True)):
        author = client_for(buyer)
        if n % 3 == 0:
            calls.append(call(author, "delete", review_url(review_id)))
        else:
            calls.append(call(author, "patch", review_url(review_id), {"rating": 5 - n % 5}))
        calls.append(call(admin, "patch", review_url(review_id), {"is_visible": n % 2 == 0}))
    results = run_together(calls)
    # An admin's hide of a review its author deleted at the same moment finds nothing: 404.
    assert {status for status, _ in results} <= {200, 204, 404}
    assert Review.objects.count() == 8
    assert_summaries_exact(products, shop)


def test_the_same_customer_reviewing_twice_at_once_gets_one_review(client_for):
    product = ProductFactory()
    client = client_for(bought(product))
    results = run_together(
        [call(client, "post", reviews_url(product), {"rating": r}) for r in (1, 5, 3, 4)]
    )
    assert Counter((s, (b or {}).get("code")) for s, b in results) == {
        (201, None): 1,
        (409, "conflict"): 3,
    }
    product = Product.objects.get(pk=product.pk)
    review = Review.objects.get()
    assert (product.rating_count, product.rating_total) == (1, review.rating)
    assert product.rating_average == Decimal(review.rating)


def test_reviews_and_checkouts_of_the_same_product_at_once_never_deadlock(client_for):
    """A review locks the shop, then the product; a checkout's order and items lock them in
    that order too (their foreign keys), so neither side fails."""
    shop = ShopFactory()
    product = ProductFactory(shop=shop, stock=50)
    calls = [call(client_for(bought(product)), "post", reviews_url(product), {"rating": 4})]
    for _ in range(5):
        calls.append(call(client_for(bought(product)), "post", reviews_url(product), {"rating": 4}))
        buyer = UserFactory()
        fill_cart(buyer, [(product, 1)])
        calls.append(call(client_for(buyer), "post", "/api/v1/checkout/", PICKUP_CASH))
    results = run_together(calls)
    assert Counter(status for status, _ in results) == {201: 11}
    assert_summaries_exact([product], shop)
    assert Product.objects.get(pk=product.pk).rating_count == 6
