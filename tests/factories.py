"""factory_boy factories for every model the tests build directly."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from carts.models import Cart, CartItem
from products.models import Category, InventoryMovement, Product
from shops.models import Shop
from users.models import Address, User

DEFAULT_PASSWORD = "Correct-Horse-Battery-9"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_email_verified = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ShopFactory(DjangoModelFactory):
    class Meta:
        model = Shop

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Shop {n}")
    description = "A test shop."
    delivery_fee = Decimal("500.00")


class StaffFactory(UserFactory):
    """A shop staff member: no e-mail, a handle unique within the shop."""

    email = None
    shop = factory.SubFactory(ShopFactory)
    handle = factory.Sequence(lambda n: f"staff{n}")
    is_email_verified = False


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(DjangoModelFactory):
    """A product whose initial stock is recorded in the ledger, as the service would do."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A test product."
    price = Decimal("1500.00")
    stock = 10

    @factory.post_generation
    def _initial_movement(obj, create, extracted, **kwargs):
        if create and obj.stock:
            InventoryMovement.objects.create(
                product=obj,
                delta=obj.stock,
                reason=InventoryMovement.Reason.INITIAL,
                stock_after=obj.stock,
            )


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = "Ada Obi"
    phone = "+2348012345678"
    line1 = "12 Marina Road"
    city = "Lagos"
    state = "Lagos"
    country = "NG"


class CartFactory(DjangoModelFactory):
    class Meta:
        model = Cart

    user = factory.SubFactory(UserFactory)


class CartItemFactory(DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
