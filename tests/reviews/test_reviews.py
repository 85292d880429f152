"""Reviews (§15): verified buyers only, once per product; authors edit and delete; the shop
replies once; admins hide. The ratings of the product and its shop are exact after every
change, stored, and cost a list nothing; review text is plain text everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from products.models import Product
from reviews.models import Review
from shops.models import Shop
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import assert_error
from tests.reviews.helpers import bought, review_url, reviews_url
from tests.shops.helpers import build_world
from users.services import user_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client_for):
    world = build_world(client_for)
    world.product = ProductFactory(shop=world.shop, name="Kente cloth")
    world.second = ProductFactory(shop=world.shop, name="Aso oke")
    bought(world.product, customer=world.customer)
    return world


def post_review(client, product, rating=5, **fields):
    return client.post(reviews_url(product), {"rating": rating, **fields}, format="json")


def ratings(product) -> tuple:
    product = Product.objects.get(id=product.id)
    shop = Shop.objects.get(id=product.shop_id)
    return (
        (product.rating_count, product.rating_total, product.rating_average),
        (shop.rating_count, shop.rating_total, shop.rating_average),
    )


def test_a_verified_buyer_reviews_once(world):
    client = world.client("customer")
    response = post_review(client, world.product, 4, title="Lovely", body="Bright colours.")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    first, last = world.customer.first_name, world.customer.last_name
    assert data["author_name"] == f"{first} {last[0].upper()}."
    assert data["verified_purchase"] is True and data["reply"] is None
    assert (data["product_id"], data["rating"], data["title"], data["body"]) == (
        str(world.product.id),
        4,
        "Lovely",
        "Bright colours.",
    )
    assert_error(post_review(client, world.product, 2), 409, "conflict")
    assert Review.objects.count() == 1

    product = APIClient().get(f"/api/v1/products/{world.product.id}/").json()["data"]
    assert (product["rating_average"], product["rating_count"]) == ("4.0", 1)
    shop = APIClient().get(f"/api/v1/shops/{world.shop.id}/").json()["data"]
    assert (shop["rating_average"], shop["rating_count"]) == ("4.0", 1)


@pytest.mark.parametrize("status", ["pending", "processing", "shipped", "cancelled"])
def test_an_order_not_completed_does_not_make_a_buyer(world, status, client_for):
    customer = bought(world.second, status=status)
    assert_error(post_review(client_for(customer), world.second), 403, "permission_denied")


def test_only_buyers_review(world, client_for):
    # Bought another product, or nothing; shop members and admins are not buyers either.
    assert_error(post_review(world.client("customer"), world.second), 403, "permission_denied")
    for role in ("owner", "staff", "other_member", "admin"):
        assert_error(post_review(world.client(role), world.product), 403, "permission_denied")
    assert_error(post_review(world.client("anonymous"), world.product), 401, "not_authenticated")
    assert not Review.objects.exists()
    assert ratings(world.product) == ((0, 0, None), (0, 0, None))


def test_a_product_the_caller_cannot_see_cannot_be_reviewed(world):
    Product.objects.filter(id=world.product.id).update(is_active=False)
    assert_error(post_review(world.client("customer"), world.product), 404, "not_found")
    assert_error(world.client("customer").get(reviews_url(world.product)), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": "five"},
        {},
        {"rating": 5, "title": "x" * 121},
        {"rating": 5, "body": "x" * 5001},
        {"rating": 5, "body": "bell\x07"},
        {"rating": 5, "title": "nul\x00"},
    ],
)
def test_invalid_reviews_are_refused(world, body):
    response = world.client("customer").post(reviews_url(world.product), body, format="json")
    assert_error(response, 400, "validation_error")
    assert not Review.objects.exists()


def test_review_text_is_plain_text_kept_as_written_and_escaped_in_admin(world, client):
    html = '<script>alert("x")</script><b>bold</b> & more\nsecond line'
    response = post_review(world.client("customer"), world.product, 3, title="<i>t</i>", body=html)
    assert response.status_code == 201, response.content
    review_id = response.json()["data"]["id"]
    listed = APIClient().get(reviews_url(world.product)).json()["data"]["results"][0]
    assert (listed["title"], listed["body"]) == ("<i>t</i>", html)
    client.force_login(world.admin)
    for page in (
        client.get(f"/admin/reviews/review/{review_id}/change/"),
        client.get("/admin/reviews/review/"),
    ):
        assert page.status_code == 200
        text = page.content.decode()
        assert "<script>alert" not in text and "<i>t</i>" not in text
    assert (
        "&lt;script&gt;alert"
        in client.get(f"/admin/reviews/review/{review_id}/change/").content.decode()
    )


def test_ratings_stay_exact_through_create_edit_hide_show_and_delete(world, client_for):
    other = UserFactory()
    bought(world.product, customer=other)
    third = bought(world.second)
    mine = post_review(world.client("customer"), world.product, 5).json()["data"]["id"]
    theirs = post_review(client_for(other), world.product, 2).json()["data"]["id"]
    post_review(client_for(third), world.second, 4)
    assert ratings(world.product) == ((2, 7, Decimal("3.5")), (3, 11, Decimal("3.7")))

    edited = world.client("customer").patch(review_url(mine), {"rating": 3}, format="json")
    assert edited.status_code == 200, edited.content
    assert ratings(world.product) == ((2, 5, Decimal("2.5")), (3, 9, Decimal("3.0")))

    admin = world.client("admin")
    hidden = admin.patch(review_url(theirs), {"is_visible": False}, format="json")
    assert hidden.status_code == 200 and hidden.json()["data"]["is_visible"] is False
    assert ratings(world.product) == ((1, 3, Decimal("3.0")), (2, 7, Decimal("3.5")))
    # The author edits a hidden review: it still does not count.
    client_for(other).patch(review_url(theirs), {"rating": 1}, format="json")
    assert ratings(world.product) == ((1, 3, Decimal("3.0")), (2, 7, Decimal("3.5")))
    visible = {
        r["id"] for r in APIClient().get(reviews_url(world.product)).json()["data"]["results"]
    }
    assert visible == {mine}
    admin.patch(review_url(theirs), {"is_visible": True}, format="json")
    assert ratings(world.product) == ((2, 4, Decimal("2.0")), (3, 8, Decimal("2.7")))

    assert world.client("customer").delete(review_url(mine)).status_code == 204
    assert ratings(world.product) == ((1, 1, Decimal("1.0")), (2, 5, Decimal("2.5")))
    assert admin.delete(review_url(theirs)).status_code == 204
    assert ratings(world.product) == ((0, 0, None), (1, 4, Decimal("4.0")))
    product = APIClient().get(f"/api/v1/products/{world.product.id}/").json()["data"]
    assert (product["rating_average"], product["rating_count"]) == (None, 0)


def test_only_the_author_edits_and_only_admins_hide(world, client_for):
    review = post_review(world.client("customer"), world.product, 5).json()["data"]["id"]
    for role in ("owner", "staff", "other_member"):
        assert_error(
            world.client(role).patch(review_url(review), {"rating": 1}, format="json"),
            404,
            "not_found",
        )
        assert_error(world.client(role).delete(review_url(review)), 404, "not_found")
    assert_error(
        world.client("customer").patch(review_url(review), {"is_visible": False}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        world.client("admin").patch(review_url(review), {"rating": 1}, format="json"),
        403,
        "permission_denied",
    )
    assert Review.objects.get().rating == 5 and Review.objects.get().is_visible


def test_the_shop_replies_once(world):
    review = post_review(world.client("customer"), world.product, 2).json()["data"]["id"]
    url = f"{review_url(review)}reply/"
    assert_error(
        world.client("other_member").post(url, {"body": "Hi"}, format="json"), 404, "not_found"
    )
    assert_error(
        world.client("customer").post(url, {"body": "Hi"}, format="json"), 404, "not_found"
    )
    assert_error(
        world.client("staff").post(url, {"body": ""}, format="json"), 400, "validation_error"
    )
    response = world.client("staff").post(url, {"body": "Sorry! Write to us."}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data"]["reply"]["body"] == "Sorry! Write to us."
    assert_error(world.client("owner").post(url, {"body": "Again"}, format="json"), 409, "conflict")
    listed = APIClient().get(reviews_url(world.product)).json()["data"]["results"][0]
    assert listed["reply"]["body"] == "Sorry! Write to us."


def test_the_list_filters_sorts_and_costs_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    customers = [bought(world.product) for _ in range(30)]
    for index, customer in enumerate(customers):
        post_review(client_for(customer), world.product, index % 5 + 1, body=f"n{index}")
    anonymous = APIClient()
    # the product (and its images and categories), the count, the page with its authors
    with django_assert_max_num_queries(5):
        data = anonymous.get(reviews_url(world.product), {"page_size": 100}).json()["data"]
    assert data["count"] == 30
    assert [r["body"] for r in data["results"][:2]] == ["n29", "n28"]
    data = anonymous.get(reviews_url(world.product), {"rating": 5}).json()["data"]
    assert data["count"] == 6 and {r["rating"] for r in data["results"]} == {5}
    ratings_order = [
        r["rating"]
        for r in anonymous.get(
            reviews_url(world.product), {"ordering": "-rating", "page_size": 100}
        ).json()["data"]["results"]
    ]
    assert ratings_order == sorted(ratings_order, reverse=True)
    assert_error(
        anonymous.get(reviews_url(world.product), {"ordering": "stars"}), 400, "validation_error"
    )
    assert_error(anonymous.get(reviews_url(world.product), {"rating": 9}), 400, "validation_error")


def test_products_sort_by_rating_with_unrated_last_and_the_list_budget_holds(
    world, client_for, django_assert_max_num_queries
):
    shop = ShopFactory()
    products = [ProductFactory(shop=shop, name=f"P{n}") for n in range(4)]
    for product, stars in zip(products[:3], (3, 5, 1), strict=True):
        post_review(client_for(bought(product)), product, stars)
    anonymous = APIClient()
    url = f"/api/v1/products/?shop={shop.id}&ordering="
    with django_assert_max_num_queries(5):
        best = anonymous.get(url + "-rating").json()["data"]["results"]
    assert [p["name"] for p in best] == ["P1", "P0", "P2", "P3"]
    worst = anonymous.get(url + "rating").json()["data"]["results"]
    assert [p["name"] for p in worst] == ["P2", "P0", "P1", "P3"]


def test_closing_an_account_takes_its_reviews_and_their_ratings(world, client_for):
    post_review(world.client("customer"), world.product, 5)
    other = bought(world.product)
    post_review(client_for(other), world.product, 2)
    user_delete(user=world.customer, password="Correct-Horse-Battery-9")
    assert list(Review.objects.values_list("author_id", flat=True)) == [other.id]
    assert ratings(world.product) == ((1, 2, Decimal("2.0")), (1, 2, Decimal("2.0")))


def test_a_suspended_shop_keeps_its_reviews_hidden_with_it(world):
    post_review(world.client("customer"), world.product, 5)
    Shop.objects.filter(id=world.shop.id).update(status="suspended")
    assert_error(APIClient().get(reviews_url(world.product)), 404, "not_found")
    assert world.client("owner").get(reviews_url(world.product)).json()["data"]["count"] == 1
    assert Order.objects.filter(status="completed").count() == 1


def test_django_admin_hides_and_shows_reviews_and_filters_the_hidden(world, client):
    review_id = post_review(world.client("customer"), world.product, 5, title="Shown").json()[
        "data"
    ]["id"]
    client.force_login(world.admin)
    response = client.post(
        "/admin/reviews/review/", {"action": "hide", "_selected_action": [review_id]}, follow=True
    )
    assert response.status_code == 200
    assert Review.objects.get().is_visible is False
    assert ratings(world.product) == ((0, 0, None), (0, 0, None))
    assert "Shown" in client.get("/admin/reviews/review/?is_visible__exact=0").content.decode()
    assert "Shown" not in client.get("/admin/reviews/review/?is_visible__exact=1").content.decode()
    client.post("/admin/reviews/review/", {"action": "show", "_selected_action": [review_id]})
    assert ratings(world.product) == ((1, 5, Decimal("5.0")), (1, 5, Decimal("5.0")))
    # Admins hide rather than delete: no delete, no add, no edit of the customer's words.
    assert client.get(f"/admin/reviews/review/{review_id}/delete/").status_code == 403
    assert client.get("/admin/reviews/review/add/").status_code == 403
