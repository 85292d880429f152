from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from orders.models import Order
from reviews.models import Review

pytestmark = pytest.mark.django_db


def test_demo_data_has_verified_reviews_with_exact_ratings():
    call_command("seed_demo", stdout=StringIO())
    reviews = list(Review.objects.select_related("product", "author"))
    assert len(reviews) == 5
    for review in reviews:  # every one a verified purchase
        assert Order.objects.filter(
            status="completed", group__customer=review.author, items__product=review.product
        ).exists()
    assert Review.objects.exclude(replied_at=None).count() == 1
    catalogue = APIClient().get("/api/v1/products/", {"ordering": "-rating", "page_size": 100})
    top = catalogue.json()["data"]["results"][0]
    assert (top["name"], top["rating_average"], top["rating_count"]) == ("Gele head-tie", "5.0", 1)
    books = APIClient().get("/api/v1/products/", {"search": "Yellow Sun"}).json()["data"]
    assert (books["results"][0]["rating_average"], books["results"][0]["rating_count"]) == (
        "4.5",
        2,
    )
    call_command("seed_demo", stdout=StringIO())  # idempotent
    assert Review.objects.count() == 5
