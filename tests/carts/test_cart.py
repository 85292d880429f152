import uuid
from decimal import Decimal

import pytest

from carts.models import MAX_CART_LINES, Cart, CartItem
from tests.factories import (
    CartFactory,
    CartItemFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Without `?address_id=` a shop shows its flat fee, and nothing of where it delivers.
NO_ADDRESS = {"deliverable": None, "delivery_zone": None, "estimated_delivery": None}
CART_KEYS = {"id", "items", "shops", "subtotal", "item_count", "is_valid", "updated_at"}
LINE_KEYS = {
    "id",
    "product",
    "quantity",
    "unit_price",
    "line_total",
    "available_stock",
    "status",
}


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == code, body
    return body


@pytest.fixture
def client(customer, client_for):
    return client_for(customer)


def add(client, product, quantity=None):
    body = {"product_id": str(product.id)}
    if quantity is not None:
        body["quantity"] = quantity
    return client.post("/api/v1/cart/items/", body, format="json")


# --- Who may have a cart ------------------------------------------------------------------


def test_anonymous_is_401(api_client):
    assert_error(api_client.get("/api/v1/cart/"), 401, "not_authenticated")


def test_shop_staff_have_no_cart(client_for):
    staff = StaffFactory()
    client = client_for(staff)
    assert_error(client.get("/api/v1/cart/"), 403, "permission_denied")
    product = ProductFactory()
    assert_error(add(client, product), 403, "permission_denied")
    assert not Cart.objects.filter(user=staff).exists()


def test_unverified_account_may_fill_a_cart(client_for):
    user = UserFactory(is_email_verified=False)
    response = add(client_for(user), ProductFactory())
    assert response.status_code == 201


def test_empty_cart_is_created_lazily(client, customer):
    assert not Cart.objects.filter(user=customer).exists()
    response = client.get("/api/v1/cart/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == CART_KEYS
    assert data["items"] == [] and data["shops"] == []
    assert data["subtotal"] == "0.00"
    assert data["item_count"] == 0
    assert data["is_valid"] is False
    assert data["id"] == str(Cart.objects.get(user=customer).id)
    # Asking again gives the same cart.
    assert client.get("/api/v1/cart/").json()["data"]["id"] == data["id"]


# --- Adding ------------------------------------------------------------------------------


def test_add_shows_the_full_representation(client):
    shop = ShopFactory(delivery_fee=Decimal("750.00"))
    product = ProductFactory(shop=shop, price=Decimal("1200.50"), stock=7)
    response = add(client, product, 2)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert set(data) == CART_KEYS
    [line] = data["items"]
    assert set(line) == LINE_KEYS
    assert line["product"] == {
        "id": str(product.id),
        "name": product.name,
        "price": "1200.50",
        "image": None,
        "shop": {"id": str(shop.id), "name": shop.name},
    }
    assert line["quantity"] == 2
    assert line["unit_price"] == "1200.50"
    assert line["line_total"] == "2401.00"
    assert line["available_stock"] == 7
    assert line["status"] == "available"
    assert data["shops"] == [
        {
            "shop_id": str(shop.id),
            "shop_name": shop.name,
            "subtotal": "2401.00",
            "delivery_fee": "750.00",
            **NO_ADDRESS,
        }
    ]
    assert data["subtotal"] == "2401.00"
    assert data["item_count"] == 2
    assert data["is_valid"] is True


def test_schema_documents_a_product_without_image(api_client):
    """A line's `product.image` is null when the product has no image: the schema says so."""
    schema = api_client.get("/api/schema/?format=json").json()
    image = schema["components"]["schemas"]["CartProduct"]["properties"]["image"]
    assert image["nullable"] is True and image["format"] == "uri"


def test_add_defaults_to_one_and_merges(client, customer):
    product = ProductFactory(stock=5)
    assert add(client, product).json()["data"]["items"][0]["quantity"] == 1
    data = add(client, product, 3).json()["data"]
    assert len(data["items"]) == 1
    assert data["items"][0]["quantity"] == 4
    assert CartItem.objects.get(cart__user=customer).quantity == 4


def test_add_above_stock_is_refused_not_clamped(client, customer):
    product = ProductFactory(stock=3)
    body = assert_error(add(client, product, 4), 409, "insufficient_stock")
    assert body["errors"] == {
        "items": [{"product_id": str(product.id), "requested": 4, "available": 3}]
    }
    add(client, product, 2)
    # The merged quantity is what is checked.
    body = assert_error(add(client, product, 2), 409, "insufficient_stock")
    assert body["errors"]["items"][0]["requested"] == 4
    assert CartItem.objects.get(cart__user=customer).quantity == 2


def test_add_inactive_product_or_shop_is_unavailable(client):
    inactive = ProductFactory(is_active=False)
    body = assert_error(add(client, inactive), 409, "product_unavailable")
    assert body["errors"] == {"items": [{"product_id": str(inactive.id)}]}
    closed = ProductFactory(shop=ShopFactory(is_active=False))
    assert_error(add(client, closed), 409, "product_unavailable")


def test_add_unknown_product_is_404(client):
    response = client.post("/api/v1/cart/items/", {"product_id": str(uuid.uuid4())}, format="json")
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"product_id": "not-a-uuid"},
        {"product_id": "PRODUCT", "quantity": 0},
        {"product_id": "PRODUCT", "quantity": -1},
        {"product_id": "PRODUCT", "quantity": "many"},
        {"product_id": "PRODUCT", "quantity": 1001},
        {"product_id": "PRODUCT", "quantity": 10**20},
        {"product_id": "PRODUCT", "quantity": 1.5},
    ],
)
def test_add_invalid_body_is_400(client, body):
    product = ProductFactory(stock=5000)
    body = {k: (str(product.id) if v == "PRODUCT" else v) for k, v in body.items()}
    response = client.post("/api/v1/cart/items/", body, format="json")
    assert_error(response, 400, "validation_error")
    assert not CartItem.objects.exists()


def test_add_ignores_price_and_other_protected_fields(client):
    product = ProductFactory(price=Decimal("100.00"))
    response = client.post(
        "/api/v1/cart/items/",
        {"product_id": str(product.id), "quantity": 1, "unit_price": "1.00", "status": "x"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["data"]["items"][0]["unit_price"] == "100.00"


def test_line_limit_is_a_conflict(client, customer):
    cart = CartFactory(user=customer)
    shop = ShopFactory()
    for _ in range(MAX_CART_LINES):
        CartItemFactory(cart=cart, product=ProductFactory(shop=shop))
    body = assert_error(add(client, ProductFactory(shop=shop)), 409, "conflict")
    assert "100" in body["message"]
    # Merging into an existing line is still fine.
    existing = cart.items.first().product
    assert add(client, existing).status_code == 201


def test_units_per_line_limit_is_a_conflict_when_merging(client):
    product = ProductFactory(stock=5000)
    assert add(client, product, 1000).status_code == 201
    body = assert_error(add(client, product, 1), 409, "conflict")
    assert "1000" in body["message"]


# --- Setting and removing -----------------------------------------------------------------


def item_url(item_id):
    return f"/api/v1/cart/items/{item_id}/"


def test_patch_sets_the_quantity(client):
    product = ProductFactory(stock=10)
    item_id = add(client, product, 2).json()["data"]["items"][0]["id"]
    response = client.patch(item_url(item_id), {"quantity": 7}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["items"][0]["quantity"] == 7


def test_patch_zero_removes_the_line(client):
    product = ProductFactory()
    item_id = add(client, product).json()["data"]["items"][0]["id"]
    response = client.patch(item_url(item_id), {"quantity": 0}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["items"] == []
    assert not CartItem.objects.filter(id=item_id).exists()


def test_patch_above_stock_or_unavailable_is_refused(client):
    product = ProductFactory(stock=3)
    item_id = add(client, product, 1).json()["data"]["items"][0]["id"]
    body = assert_error(
        client.patch(item_url(item_id), {"quantity": 4}, format="json"), 409, "insufficient_stock"
    )
    assert body["errors"]["items"] == [
        {"product_id": str(product.id), "requested": 4, "available": 3}
    ]
    product.is_active = False
    product.save()
    assert_error(
        client.patch(item_url(item_id), {"quantity": 1}, format="json"),
        409,
        "product_unavailable",
    )
    # Removing an unavailable line is always possible.
    assert client.patch(item_url(item_id), {"quantity": 0}, format="json").status_code == 200


@pytest.mark.parametrize("quantity", [-1, "x", None, 1001])
def test_patch_invalid_quantity_is_400(client, quantity):
    item_id = add(client, ProductFactory()).json()["data"]["items"][0]["id"]
    response = client.patch(item_url(item_id), {"quantity": quantity}, format="json")
    assert_error(response, 400, "validation_error")


def test_another_customers_line_is_404(client, client_for):
    other_item = CartItemFactory()
    assert_error(
        client.patch(item_url(other_item.id), {"quantity": 1}, format="json"), 404, "not_found"
    )
    assert_error(client.delete(item_url(other_item.id)), 404, "not_found")
    other_item.refresh_from_db()
    assert other_item.quantity == 1


def test_malformed_item_id_is_404(client):
    assert_error(client.delete("/api/v1/cart/items/nope/"), 404, "not_found")


def test_delete_line_and_empty_cart(client, customer):
    first = add(client, ProductFactory()).json()["data"]["items"][0]["id"]
    add(client, ProductFactory())
    response = client.delete(item_url(first))
    assert response.status_code == 204
    assert response.content == b""
    assert CartItem.objects.filter(cart__user=customer).count() == 1
    assert_error(client.delete(item_url(first)), 404, "not_found")
    response = client.delete("/api/v1/cart/")
    assert response.status_code == 204
    assert not CartItem.objects.filter(cart__user=customer).exists()


# --- What GET shows ------------------------------------------------------------------------


def test_lines_show_current_price_status_and_validity(client, customer):
    cart = CartFactory(user=customer)
    ok = CartItemFactory(cart=cart, product=ProductFactory(stock=5), quantity=2)
    short = CartItemFactory(cart=cart, product=ProductFactory(stock=5), quantity=3)
    empty = CartItemFactory(cart=cart, product=ProductFactory(stock=5), quantity=1)
    gone = CartItemFactory(cart=cart, product=ProductFactory(stock=5), quantity=1)
    closed = CartItemFactory(cart=cart, product=ProductFactory(stock=5), quantity=1)
    # The world changes after the lines were added.
    type(ok.product).objects.filter(id=ok.product_id).update(price=Decimal("99.99"))
    type(short.product).objects.filter(id=short.product_id).update(stock=2)
    type(empty.product).objects.filter(id=empty.product_id).update(stock=0)
    type(gone.product).objects.filter(id=gone.product_id).update(is_active=False)
    type(closed.product.shop).objects.filter(id=closed.product.shop_id).update(is_active=False)

    data = client.get("/api/v1/cart/").json()["data"]
    lines = {line["id"]: line for line in data["items"]}
    assert lines[str(ok.id)]["status"] == "available"
    assert lines[str(ok.id)]["unit_price"] == "99.99"
    assert lines[str(ok.id)]["line_total"] == "199.98"
    assert lines[str(short.id)]["status"] == "insufficient_stock"
    assert lines[str(short.id)]["available_stock"] == 2
    assert lines[str(empty.id)]["status"] == "out_of_stock"
    assert lines[str(gone.id)]["status"] == "unavailable"
    assert lines[str(gone.id)]["available_stock"] == 0
    assert lines[str(closed.id)]["status"] == "unavailable"
    assert data["is_valid"] is False
    # Lines keep the order they were added in.
    assert [line["id"] for line in data["items"]] == [
        str(i.id) for i in (ok, short, empty, gone, closed)
    ]


def test_shops_group_subtotals_and_fees(client, customer):
    cart = CartFactory(user=customer)
    shop_a = ShopFactory(delivery_fee=Decimal("500.00"))
    shop_b = ShopFactory(delivery_fee=Decimal("0.00"))
    CartItemFactory(
        cart=cart, product=ProductFactory(shop=shop_a, price=Decimal("10.00")), quantity=2
    )
    CartItemFactory(
        cart=cart, product=ProductFactory(shop=shop_b, price=Decimal("3.50")), quantity=1
    )
    CartItemFactory(
        cart=cart, product=ProductFactory(shop=shop_a, price=Decimal("1.25")), quantity=4
    )
    data = client.get("/api/v1/cart/").json()["data"]
    assert data["shops"] == [
        {
            "shop_id": str(shop_a.id),
            "shop_name": shop_a.name,
            "subtotal": "25.00",
            "delivery_fee": "500.00",
            **NO_ADDRESS,
        },
        {
            "shop_id": str(shop_b.id),
            "shop_name": shop_b.name,
            "subtotal": "3.50",
            "delivery_fee": "0.00",
            **NO_ADDRESS,
        },
    ]
    assert data["subtotal"] == "28.50"
    assert data["item_count"] == 7
    assert data["is_valid"] is True


@pytest.mark.parametrize("lines", [1, 30])
def test_get_cart_costs_a_fixed_number_of_queries(
    client, customer, lines, django_assert_max_num_queries
):
    cart = CartFactory(user=customer)
    shops = [ShopFactory() for _ in range(3)]
    for n in range(lines):
        CartItemFactory(cart=cart, product=ProductFactory(shop=shops[n % 3]))
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/cart/")
    assert len(response.json()["data"]["items"]) == lines


def test_a_line_shows_its_products_first_image(client, customer, django_assert_max_num_queries):
    from products.models import ProductImage

    cart = CartFactory(user=customer)
    pictured, plain = ProductFactory(), ProductFactory()
    for position, name in ((2, "c"), (0, "a"), (1, "b")):
        ProductImage.objects.create(
            product=pictured, image=f"products/{name}.png", position=position
        )
    CartItemFactory(cart=cart, product=pictured)
    CartItemFactory(cart=cart, product=plain)
    with django_assert_max_num_queries(2):  # account; lines with their cart and first image
        items = client.get("/api/v1/cart/").json()["data"]["items"]
    images = {line["product"]["id"]: line["product"]["image"] for line in items}
    assert images[str(pictured.id)] == "http://testserver/media/products/a.png"
    assert images[str(plain.id)] is None


@pytest.mark.parametrize("with_request", [True, False])
def test_the_cart_representation_has_the_documented_shape(customer, with_request):
    from rest_framework.test import APIRequestFactory

    from carts.selectors import cart_summary, cart_with_items
    from carts.serializers import CartSerializer
    from core.serializers import represent
    from products.models import ProductImage

    cart = CartFactory(user=customer)
    shops = [ShopFactory(delivery_fee=Decimal("350.50")), ShopFactory(), ShopFactory()]
    pictured = ProductFactory(shop=shops[0], price=Decimal("0.01"), stock=3)
    ProductImage.objects.create(product=pictured, image="products/x.png", position=0)
    lines = [
        (pictured, 2),  # available
        (ProductFactory(shop=shops[1], stock=0), 1),  # out of stock
        (ProductFactory(shop=shops[1], stock=2), 5),  # insufficient
        (ProductFactory(shop=shops[2], is_active=False), 1),  # unavailable
        (ProductFactory(shop=shops[0], price=Decimal("99999999.99")), 7),
    ]
    for product, quantity in lines:
        CartItemFactory(cart=cart, product=product, quantity=quantity)
    request = APIRequestFactory().get("/api/v1/cart/")
    found, items = cart_with_items(user=customer)
    assert found == cart and len(items) == 5
    summary = cart_summary(cart=cart, items=items)
    data = (
        represent(CartSerializer, summary, request=request)
        if with_request
        else CartSerializer(summary).data
    )
    assert list(data) == [
        "id",
        "items",
        "shops",
        "subtotal",
        "item_count",
        "is_valid",
        "updated_at",
    ]
    assert data["id"] == str(cart.id) and data["item_count"] == 16
    line = next(line for line in data["items"] if line["product"]["id"] == str(pictured.id))
    assert list(line) == [
        "id",
        "product",
        "quantity",
        "unit_price",
        "line_total",
        "available_stock",
        "status",
    ]
    image = "http://testserver/media/products/x.png" if with_request else "/media/products/x.png"
    assert line["product"] == {
        "id": str(pictured.id),
        "name": pictured.name,
        "price": "0.01",
        "image": image,
        "shop": {"id": str(shops[0].id), "name": shops[0].name},
    }
    assert (line["quantity"], line["unit_price"], line["line_total"]) == (2, "0.01", "0.02")
    assert (line["available_stock"], line["status"]) == (3, "available")
    assert {line["status"] for line in data["items"]} == {
        "available",
        "out_of_stock",
        "insufficient_stock",
        "unavailable",
    }
    assert all(line["product"]["image"] is None for line in data["items"][1:])
    assert len(data["shops"]) == 3 and data["is_valid"] is False
    assert list(data["shops"][0]) == [
        "shop_id",
        "shop_name",
        "subtotal",
        "delivery_fee",
        "deliverable",
        "delivery_zone",
        "estimated_delivery",
    ]
