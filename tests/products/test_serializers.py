"""The product representation: the shape shared/API.md gives, formatted as declared, from the
relations the catalogue's selectors attach."""

from decimal import Decimal

import pytest
from rest_framework.test import APIRequestFactory

from products.models import Product, ProductImage
from products.selectors import attach_catalogue_relations
from products.serializers import ProductImageSerializer, ProductSerializer
from tests.factories import CategoryFactory, ProductFactory, ShopFactory

PRODUCT_KEYS = [
    "id",
    "name",
    "slug",
    "description",
    "price",
    "currency",
    "stock",
    "in_stock",
    "is_active",
    "shop",
    "categories",
    "images",
    "rating_average",
    "rating_count",
    "created_at",
    "updated_at",
]


@pytest.fixture
def products(db):
    shop = ShopFactory(name="Ọjà Ìbílẹ̀")
    with_everything = ProductFactory(
        shop=shop, name="Àdìrẹ — indigo", description="Line 1\nLine 2 ✓", price=Decimal("0.01")
    )
    with_everything.categories.add(
        *(CategoryFactory(name=name) for name in ("Textiles", "Art", "Gifts"))
    )
    for position in (2, 0, 1):
        ProductImage.objects.create(
            product=with_everything, image=f"products/p{position}.png", position=position
        )
    sold_out = ProductFactory(shop=shop, stock=0, price=Decimal("9999999999.99"))
    return [with_everything, sold_out]


def _page(products: list[Product]) -> list[Product]:
    page = list(Product.objects.select_related("shop").filter(id__in=[p.id for p in products]))
    attach_catalogue_relations(page)
    return sorted(page, key=lambda product: products.index(product))


@pytest.mark.parametrize("with_request", [True, False])
def test_the_representation_has_the_documented_shape(products, with_request):
    request = APIRequestFactory().get("/api/v1/products/")
    context = {"request": request} if with_request else {}
    data = ProductSerializer(_page(products), many=True, context=context).data
    full, sold_out = data
    assert list(full) == PRODUCT_KEYS
    assert full["id"] == str(products[0].id)
    assert (full["name"], full["description"]) == ("Àdìrẹ — indigo", "Line 1\nLine 2 ✓")
    assert (full["price"], full["currency"], full["in_stock"]) == ("0.01", "NGN", True)
    assert full["shop"] == {"id": str(products[0].shop_id), "name": "Ọjà Ìbílẹ̀"}
    assert [c["name"] for c in full["categories"]] == ["Art", "Gifts", "Textiles"]
    assert list(full["categories"][0]) == ["id", "name", "slug"]
    assert [image["position"] for image in full["images"]] == [0, 1, 2]
    assert list(full["images"][0]) == ["id", "url", "position"]
    prefix = "http://testserver/media/products/" if with_request else "/media/products/"
    assert full["images"][0]["url"] == f"{prefix}p0.png"
    assert (sold_out["price"], sold_out["stock"], sold_out["in_stock"]) == (
        "9999999999.99",
        0,
        False,
    )
    assert sold_out["images"] == [] and sold_out["categories"] == []


def test_an_image_row_and_its_attached_reference_have_one_representation(products):
    row = ProductImage.objects.get(product=products[0], position=1)
    attached = next(image for image in _page(products)[0].image_list if image.position == 1)
    assert ProductImageSerializer(row).data == ProductImageSerializer(attached).data
