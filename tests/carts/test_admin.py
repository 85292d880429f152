import pytest

from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db


def test_cart_admin_shows_lines(admin_client, customer):
    cart = CartFactory(user=customer)
    item = CartItemFactory(cart=cart, quantity=3)
    response = admin_client.get(f"/admin/carts/cart/{cart.id}/change/")
    assert response.status_code == 200
    assert str(item.product) in response.content.decode()
    response = admin_client.get("/admin/carts/cart/", {"q": customer.email})
    assert response.context["cl"].result_count == 1
