from io import StringIO

from rest_framework.test import APIClient

from products.inventory import ledger_drift
from products.models import Category, Product, ProductImage
from shops.models import Shop
from users.models import User


def _seed() -> str:
    from products.demo import seed_demo as products_seed
    from shops.demo import seed_demo as shops_seed
    from users.demo import seed_demo as users_seed

    out = StringIO()
    for seed in (users_seed, shops_seed, products_seed):
        seed(out)
    return out.getvalue()


def test_demo_data_is_complete_usable_and_idempotent(db):
    output = _seed()
    shops = {shop.name: shop for shop in Shop.objects.select_related("owner")}
    assert {name: shop.owner.email for name, shop in shops.items()} == {
        "Ada's Fabrics": "ada@example.com",
        "Lagos Gadgets": "ada@example.com",
        "Bola Books": "bola@example.com",
    }
    for shop in shops.values():
        assert shop.code in output
        assert User.objects.filter(shop=shop, is_active=True).count() == 1
        assert Product.objects.filter(shop=shop).count() == 8
    assert "Marketplace-Demo-1" in output
    assert Category.objects.filter(parent__isnull=False).count() >= 3
    assert ProductImage.objects.count() == 24
    assert ledger_drift() == []

    bola_books = shops["Bola Books"]
    login = APIClient().post(
        "/api/v1/auth/staff/login/",
        {"shop_code": bola_books.code, "handle": "funke", "password": "Marketplace-Demo-1"},
        format="json",
    )
    assert login.status_code == 200, login.content

    _seed()
    assert Shop.objects.count() == 3 and Product.objects.count() == 24
