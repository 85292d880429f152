"""A small world of real objects that hostile requests can reach, and the fake Paystack."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from carts.models import WishlistItem
from devtools.fake_paystack import FakePaystack
from orders.models import Return
from payments.models import Payment
from products.models import ProductImage
from reviews.services import review_create
from tests import factories
from users.services import tokens_for_user

PAYSTACK_SECRET = "sk_test_fake_secret"  # core.settings.test's PAYSTACK_SECRET_KEY


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests send many requests from one address: rate limits are not what they test."""
    rates = {scope: "100000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture(scope="session")
def _hostile_paystack():
    fake = FakePaystack(secret=PAYSTACK_SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_paystack(_hostile_paystack, settings) -> FakePaystack:
    fake = _hostile_paystack
    fake.reset()
    fake.webhook_url = None
    settings.PAYSTACK_SECRET_KEY = PAYSTACK_SECRET
    settings.PAYSTACK_BASE_URL = fake.base_url
    settings.PAYSTACK_TIMEOUT = (1.0, 2.0)
    yield fake
    fake.reset()


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    """Ids of real objects, and tokens for the people who may touch them."""

    owner_token: str
    admin_token: str
    path_ids: dict[str, str]


@pytest.fixture
def world(db, fake_paystack) -> World:
    """A verified customer who owns a shop with staff, products (one with an image), a cart
    line, an address, an order group with a pending payment; and another customer's order
    at that shop, so the shop side of orders has something to show."""
    owner = factories.UserFactory()
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    shop = factories.ShopFactory(owner=owner)
    staff = factories.StaffFactory(shop=shop)
    category = factories.CategoryFactory()
    factories.CategoryFactory(parent=category)
    product = factories.ProductFactory(shop=shop, stock=50)
    product.categories.add(category)
    factories.ProductFactory.create_batch(2, shop=shop)
    image = ProductImage.objects.create(product=product, position=0)
    image.image.save("seed.png", ContentFile(png_bytes()), save=True)

    other_shop = factories.ShopFactory()
    other_product = factories.ProductFactory(shop=other_shop, stock=50)
    cart = factories.CartFactory(user=owner)
    item = factories.CartItemFactory(cart=cart, product=other_product, quantity=2)
    address = factories.AddressFactory(user=owner)
    zone = factories.DeliveryZoneFactory(shop=shop)

    group = factories.OrderGroupFactory(
        customer=owner, expires_at=timezone.now() + timedelta(minutes=30)
    )
    factories.OrderItemFactory(order=factories.OrderFactory(group=group, shop=other_shop))
    payment = Payment.objects.create(
        reference=f"PSK-{group.number}-1",
        group=group,
        amount=150000,
        currency="NGN",
        authorization_url=f"{fake_paystack.base_url}/checkout/seed",
        access_code="seed",
    )

    # The owner also received two of the shop's products (a completed order), reviewed one of
    # them (the review the review paths name) and saved the other.
    reviewed = factories.ProductFactory(shop=shop, stock=50)
    received = factories.OrderFactory(
        group=factories.OrderGroupFactory(customer=owner), shop=shop, status="completed"
    )
    factories.OrderItemFactory(order=received, product=product)
    factories.OrderItemFactory(order=received, product=reviewed)
    review = review_create(user=owner, product=reviewed, rating=4, title="Fine")
    WishlistItem.objects.create(user=owner, product=product)

    # The owner bought from their own shop too: the order is reachable from both sides (the
    # shop's order endpoints, and the customer's returns).
    buyer = owner
    buyer_group = factories.OrderGroupFactory(customer=buyer, payment_method="cash")
    shop_order = factories.OrderFactory(group=buyer_group, shop=shop)
    factories.OrderItemFactory(order=shop_order, product=product)
    ret = Return.objects.create(order=shop_order, shop=shop, customer=buyer, reason="damaged")

    return World(
        owner_token=tokens_for_user(user=owner)["access"],
        admin_token=tokens_for_user(user=admin)["access"],
        path_ids={
            "shop_id": str(shop.id),
            "user_id": str(staff.id),
            "product_id": str(product.id),
            "image_id": str(image.id),
            "variant_id": str(product.variants.get().id),
            "category_id": str(category.id),
            "item_id": str(item.id),
            "address_id": str(address.id),
            "group_id": str(group.id),
            "order_id": str(shop_order.id),
            "reference": payment.reference,
            "return_id": str(ret.id),
            "zone_id": str(zone.id),
            "review_id": str(review.id),
        },
    )
