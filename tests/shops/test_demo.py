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


def test_the_demo_shops_deliver_by_zone_as_the_readme_shows(db):
    """The README's walkthrough: a product of Ada's Fabrics and one of Bola Books in the demo
    customer's cart, priced for Lagos and for Abuja, and a delivery to Abuja refused because
    Bola Books delivers in Lagos only."""
    from io import StringIO

    from payments.management.commands.seed_demo import SEED_MODULES
    from users.services import tokens_for_user

    for module in SEED_MODULES:
        module.seed_demo(StringIO())
    zones = {
        shop.name: sorted((z.name, z.states) for z in shop.delivery_zones.all())
        for shop in Shop.objects.prefetch_related("delivery_zones")
    }
    assert zones["Bola Books"] == [("Lagos", ["NG-LA"])]
    assert [name for name, _ in zones["Ada's Fabrics"]] == ["Lagos", "Rest of Nigeria"]

    chidi = User.objects.get(email="chidi@example.com")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=chidi)['access']}")
    for shop in ("Ada's Fabrics", "Bola Books"):
        product = Product.objects.filter(shop__name=shop, stock__gt=0).order_by("name").first()
        added = client.post("/api/v1/cart/items/", {"product_id": str(product.id)}, format="json")
        assert added.status_code == 201, added.content
    addresses = {a.city: a.id for a in chidi.addresses.all()}

    def delivery(city):
        response = client.get("/api/v1/cart/", {"address_id": str(addresses[city])})
        return {
            s["shop_name"]: (s["delivery_fee"], s["deliverable"], s["estimated_delivery"])
            for s in response.json()["data"]["shops"]
        }

    assert delivery("Lagos") == {
        "Ada's Fabrics": ("1000.00", True, {"days_min": 1, "days_max": 2}),
        "Bola Books": ("800.00", True, {"days_min": 0, "days_max": 1}),
    }
    assert delivery("Abuja") == {
        "Ada's Fabrics": ("2500.00", True, {"days_min": 3, "days_max": 6}),
        "Bola Books": (None, False, None),
    }
    refused = client.post(
        "/api/v1/checkout/",
        {
            "fulfillment_method": "delivery",
            "shipping_address_id": str(addresses["Abuja"]),
            "payment_method": "cash",
        },
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "delivery_unavailable"
    assert [s["shop_name"] for s in refused.json()["errors"]["shops"]] == ["Bola Books"]
