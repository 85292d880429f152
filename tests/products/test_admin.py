"""The admin pages of shops and the catalogue render, and the ledger is read-only there."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from products.models import MAX_CATEGORIES_PER_PRODUCT, InventoryMovement, Product, ProductImage
from tests.factories import CategoryFactory, ProductFactory, StaffFactory


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_pages_render(admin_client_logged_in):
    client = admin_client_logged_in
    product = ProductFactory(stock=4)
    product.categories.add(CategoryFactory())
    ProductImage.objects.create(product=product, image="products/x.png")
    StaffFactory(shop=product.shop)
    movement = InventoryMovement.objects.get(product=product)
    pages = [
        reverse("admin:shops_shop_changelist"),
        reverse("admin:shops_shop_change", args=[product.shop.id]),
        reverse("admin:products_category_changelist"),
        reverse("admin:products_category_add"),
        reverse("admin:products_product_changelist"),
        reverse("admin:products_product_change", args=[product.id]),
        reverse("admin:products_inventorymovement_changelist"),
        reverse("admin:products_inventorymovement_change", args=[movement.id]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page


def test_stock_and_ledger_are_read_only_in_admin(admin_client_logged_in):
    client = admin_client_logged_in
    product = ProductFactory(stock=4)
    page = client.get(reverse("admin:products_product_change", args=[product.id]))
    assert b'name="stock"' not in page.content
    assert client.get(reverse("admin:products_inventorymovement_add")).status_code == 403
    movement = InventoryMovement.objects.get(product=product)
    delete = reverse("admin:products_inventorymovement_delete", args=[movement.id])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert InventoryMovement.objects.filter(id=movement.id).exists()


def posted(value):
    """A form value as a browser would post it."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list):
        return [str(item) for item in value]
    return None if value is None else str(value)


def change_form_data(response) -> dict:
    """What the admin's change page would post back unchanged (the form and its inlines)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = posted(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def test_variants_edited_in_the_admin_move_the_stored_price_range(admin_client_logged_in):
    client = admin_client_logged_in
    product = ProductFactory(price=Decimal("1500.00"))
    url = reverse("admin:products_product_change", args=[product.id])
    data = change_form_data(client.get(url))
    cheap = next(key for key, value in data.items() if value == "1500.00")
    data[cheap] = "900.00"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product = Product.objects.get(id=product.id)
    assert (product.price_min, product.price_max) == (Decimal("900.00"), Decimal("900.00"))


def test_the_admin_keeps_a_product_to_the_apis_number_of_categories(admin_client_logged_in):
    client = admin_client_logged_in
    product = ProductFactory()
    categories = [CategoryFactory() for _ in range(MAX_CATEGORIES_PER_PRODUCT + 1)]
    url = reverse("admin:products_product_change", args=[product.id])
    data = change_form_data(client.get(url))
    data["categories"] = [str(category.id) for category in categories]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "at most 20 categories" in str(response.context["adminform"].form.errors)
    assert not product.categories.exists()
    data["categories"] = data["categories"][:MAX_CATEGORIES_PER_PRODUCT]
    assert client.post(url, data).status_code == 302
    assert product.categories.count() == MAX_CATEGORIES_PER_PRODUCT
