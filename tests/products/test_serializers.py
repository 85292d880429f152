"""The product representation is built by hand for speed: it must stay what the declared
fields give (and so what the OpenAPI schema says)."""

from decimal import Decimal

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from products.models import Product, ProductImage
from products.selectors import with_catalogue_relations
from products.serializers import ProductSerializer
from tests.factories import CategoryFactory, ProductFactory, ShopFactory


def _generic(serializer: ProductSerializer, product: Product) -> dict:
    """DRF's own walk over the declared fields."""
    return dict(serializers.Serializer.to_representation(serializer, product))


@pytest.fixture
def products(db):
    shop = ShopFactory(name="Ọjà Ìbílẹ̀")
    with_everything = ProductFactory(
        shop=shop, name="Àdìrẹ — indigo", description="Line 1\nLine 2 ✓", price=Decimal("0.01")
    )
    with_everything.categories.add(*CategoryFactory.create_batch(3))
    for position in (2, 0, 1):
        ProductImage.objects.create(
            product=with_everything, image=f"products/p{position}.png", position=position
        )
    sold_out = ProductFactory(shop=shop, stock=0, price=Decimal("9999999999.99"))
    inactive = ProductFactory(shop=shop, is_active=False, description="")
    return [with_everything, sold_out, inactive]


@pytest.mark.parametrize("with_request", [True, False])
def test_fast_representation_equals_the_declared_fields(products, with_request):
    request = APIRequestFactory().get("/api/v1/products/")
    context = {"request": request} if with_request else {}
    ids = [product.id for product in products]
    for product in with_catalogue_relations(Product.objects.filter(id__in=ids)):
        serializer = ProductSerializer(product, context=context)
        fast = serializer.data
        assert fast == _generic(serializer, product)
        assert list(fast) == list(_generic(serializer, product))  # same key order
    fast = ProductSerializer(
        with_catalogue_relations(Product.objects.filter(id=products[0].id)).get(), context=context
    ).data
    assert fast["price"] == "0.01" and len(fast["images"]) == 3 and len(fast["categories"]) == 3
    assert [image["position"] for image in fast["images"]] == [0, 1, 2]
    if with_request:
        assert fast["images"][0]["url"].startswith("http://testserver/media/products/")
