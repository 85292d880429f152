"""factory_boy factories for every model the tests build directly."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from carts.models import Cart, CartItem
from orders.models import Order, OrderGroup, OrderItem
from products.models import Category, InventoryMovement, Product, ProductVariant, options_key
from products.variants import product_prices_refresh
from shops.models import DeliveryZone, Shop
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


class DeliveryZoneFactory(DjangoModelFactory):
    class Meta:
        model = DeliveryZone

    shop = factory.SubFactory(ShopFactory)
    name = "Lagos"
    country = "NG"
    states = factory.LazyFunction(lambda: ["NG-LA"])
    fee = Decimal("1000.00")
    free_over = None
    days_min = 1
    days_max = 2


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
    """A product without options: its default variant holds `price` and `stock`, whose
    initial stock is recorded in the ledger, as the service would do."""

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
    def _default_variant(obj, create, extracted, **kwargs):
        if not create:
            return
        factory_params = obj._factory_params
        VariantFactory(
            product=obj,
            sku=f"{obj.slug}-sku",
            price=factory_params["price"],
            stock=factory_params["stock"],
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        params = {"price": kwargs.pop("price"), "stock": kwargs.pop("stock")}
        obj = super()._create(model_class, *args, **kwargs)
        obj._factory_params = params
        return obj


class VariantFactory(DjangoModelFactory):
    """A variant whose initial stock is recorded in the ledger."""

    class Meta:
        model = ProductVariant
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    shop = factory.LazyAttribute(lambda o: o.product.shop)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    sku_key = factory.LazyAttribute(lambda o: o.sku.lower())
    options = factory.LazyFunction(dict)
    options_key = factory.LazyAttribute(lambda o: options_key(o.options))
    price = Decimal("1500.00")
    stock = 10

    @factory.post_generation
    def _price_range(obj, create, extracted, **kwargs):
        if create:  # the product's stored price range, as the services keep it
            product_prices_refresh([obj.product_id])

    @factory.post_generation
    def _initial_movement(obj, create, extracted, **kwargs):
        if create and obj.stock:
            InventoryMovement.objects.create(
                product_id=obj.product_id,
                variant=obj,
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
    state = "NG-LA"
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
    variant = factory.LazyAttribute(lambda o: o.product.variants.get())
    quantity = 1


class OrderGroupFactory(DjangoModelFactory):
    """An order group with no orders; add them with OrderFactory(group=...)."""

    class Meta:
        model = OrderGroup

    number = factory.Sequence(lambda n: f"G{n:08d}")
    customer = factory.SubFactory(UserFactory)
    customer_name = factory.LazyAttribute(lambda o: o.customer.full_name)
    customer_email = factory.LazyAttribute(lambda o: o.customer.email or "")
    payment_method = "paystack"
    fulfillment_method = "pickup"
    currency = "NGN"
    subtotal = Decimal("1500.00")
    delivery_fee = Decimal("0.00")
    total = Decimal("1500.00")


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    group = factory.SubFactory(OrderGroupFactory)
    number = factory.Sequence(lambda n: f"O{n:08d}")
    shop = factory.SubFactory(ShopFactory)
    subtotal = Decimal("1500.00")
    delivery_fee = Decimal("0.00")
    total = Decimal("1500.00")


class OrderItemFactory(DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory, shop=factory.SelfAttribute("..order.shop"))
    variant = factory.LazyAttribute(lambda o: o.product.variants.get())
    product_name = factory.LazyAttribute(lambda o: o.product.name)
    sku = factory.LazyAttribute(lambda o: o.variant.sku)
    unit_price = factory.LazyAttribute(lambda o: o.variant.price)
    quantity = 1
    line_total = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)
