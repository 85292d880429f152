"""The migration to variants loses nothing: a database of before variants, with products,
movements, carts and orders, is migrated, and every product then has its default variant with
its price and its stock, its history and its cart lines and order items point at it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from carts.models import CartItem
from orders.models import OrderItem
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product, ProductVariant
from tests.factories import VariantFactory

# The first migration of each app that brought variants; "before" is its parent in that app.
FIRST = [
    ("products", "0007_product_variants"),
    ("carts", "0004_cart_item_variant"),
    ("orders", "0007_order_item_variant"),
]


def _before() -> list[tuple[str, str]]:
    graph = MigrationExecutor(connection).loader.graph
    return [
        next(parent for parent in graph.node_map[node].parents if parent.key[0] == node[0]).key
        for node in FIRST
    ]


BEFORE = "before variants"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    if targets == BEFORE:  # with the accounts and shops of now, which the data needs
        targets = _before() + [
            node for node in executor.loader.graph.leaf_nodes() if node[0] in ("users", "shops")
        ]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _fill(apps):
    """Two shops, three products (one out of stock, one with a long history), a cart and an
    order, written with the models as they were."""
    User = apps.get_model("users", "User")
    Shop = apps.get_model("shops", "Shop")
    Product = apps.get_model("products", "Product")
    Movement = apps.get_model("products", "InventoryMovement")
    Cart = apps.get_model("carts", "Cart")
    CartItem = apps.get_model("carts", "CartItem")
    OrderGroup = apps.get_model("orders", "OrderGroup")
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")

    owner = User.objects.create(email="owner@example.com", password="!")
    customer = User.objects.create(email="customer@example.com", password="!")
    shops = [
        Shop.objects.create(owner=owner, name=f"Shop {n}", code=f"CODE000{n}") for n in range(2)
    ]
    products = {}
    for name, shop, price, history in (
        ("Ankara", shops[0], "12500.00", [10, -2, 5]),
        ("Lace", shops[0], "38000.50", [3, -3]),
        ("Phone", shops[1], "185000.00", [7]),
    ):
        stock = sum(history)
        product = Product.objects.create(
            shop=shop, name=name, slug=name.lower(), price=Decimal(price), stock=stock
        )
        after = 0
        for delta in history:
            after += delta
            Movement.objects.create(
                product=product,
                delta=delta,
                reason="initial" if delta > 0 else "checkout",
                stock_after=after,
            )
        products[name] = product
    cart = Cart.objects.create(user=customer)
    CartItem.objects.create(cart=cart, product=products["Ankara"], quantity=2)
    CartItem.objects.create(cart=cart, product=products["Phone"], quantity=1)
    group = OrderGroup.objects.create(
        number="MKT-MIGRATE1",
        customer=customer,
        payment_method="cash",
        fulfillment_method="pickup",
        currency="NGN",
    )
    order = Order.objects.create(group=group, number="MKT-MIGRATE1-1", shop=shops[0])
    OrderItem.objects.create(
        order=order,
        product=products["Ankara"],
        product_name="Ankara",
        unit_price=Decimal("12500.00"),
        quantity=2,
        line_total=Decimal("25000.00"),
    )
    return {name: product.id for name, product in products.items()}


@pytest.mark.django_db(transaction=True)
def test_every_product_gets_its_default_variant_and_keeps_its_history():
    try:
        ids = _fill(_migrate(BEFORE))
        _migrate(_latest())

        expected = {"Ankara": ("12500.00", 13), "Lace": ("38000.50", 0), "Phone": ("185000.00", 7)}
        for name, (price, stock) in expected.items():
            product = Product.objects.get(id=ids[name])
            [variant] = ProductVariant.objects.filter(product=product)
            assert (variant.price, variant.stock) == (Decimal(price), stock)
            assert (product.price, product.stock) == (Decimal(price), stock)
            assert variant.options == {} and variant.is_active and product.options == []
            assert variant.shop_id == product.shop_id and variant.sku_key == variant.sku.lower()
            assert set(
                InventoryMovement.objects.filter(product=product).values_list(
                    "variant_id", flat=True
                )
            ) == {variant.id}
        assert ledger_drift() == []
        assert InventoryMovement.objects.count() == 6
        assert len(set(ProductVariant.objects.values_list("sku_key", flat=True))) == 3

        lines = {item.product_id: item for item in CartItem.objects.select_related("variant")}
        assert {pid: (item.variant.product_id, item.quantity) for pid, item in lines.items()} == {
            ids["Ankara"]: (ids["Ankara"], 2),
            ids["Phone"]: (ids["Phone"], 1),
        }
        [item] = OrderItem.objects.select_related("variant")
        assert item.variant.product_id == ids["Ankara"] and item.sku == item.variant.sku
        assert item.options == {} and item.unit_price == Decimal("12500.00")

        # And back: a product's stock is its variants' total again, its price their lowest.
        VariantFactory(
            product=Product.objects.get(id=ids["Phone"]),
            options={"Storage": "256 GB"},
            price=Decimal("99.00"),
            stock=4,
        )
        old = _migrate(BEFORE).get_model("products", "Product")
        assert {p.name: (p.price, p.stock) for p in old.objects.all()} == {
            "Ankara": (Decimal("12500.00"), 13),
            "Lace": (Decimal("38000.50"), 0),
            "Phone": (Decimal("99.00"), 11),
        }
    finally:
        _migrate(_latest())
