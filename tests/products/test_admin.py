"""The admin pages of shops and the catalogue render, and the ledger is read-only there."""

import pytest
from django.urls import reverse

from products.models import InventoryMovement, ProductImage
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
