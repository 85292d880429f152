"""Checkout: the cart becomes one order group with one order per shop, in one transaction.

Oversell-proof by construction: the cart row is locked (one checkout per cart at a time), then
every variant row of the cart in primary-key order, and availability is checked on the locked
rows only. The number of queries does not depend on the number of lines or shops: the address
is read, the cart locked, its lines read with their variants locked and their products and
shops (one statement on PostgreSQL, two elsewhere), for a delivery the delivery zones of all
those shops (one statement), then one multi-row INSERT a table, one UPDATE of the stock and one
DELETE of the cart's lines, sent together (`core.db.WriteBatch`: one round trip on PostgreSQL).

Each shop's delivery is priced by `shops.delivery.delivery_quote` (as the cart shows it) from
the locked prices; a shop that does not deliver to the address refuses the whole checkout
(`DeliveryUnavailable`, listing every such shop) before anything is written.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from carts.models import Cart, CartItem
from core.db import ModelColumns, WriteBatch, quoted_column, quoted_table
from core.errors import (
    CartEmpty,
    Conflict,
    DeliveryUnavailable,
    InsufficientStock,
    NotFound,
    ProductUnavailable,
    raises,
)
from orders.commission import commission_amount, commission_rate
from orders.emails import queue_checkout_emails
from orders.models import (
    MAX_ORDER_TOTAL,
    FulfillmentMethod,
    Order,
    OrderEvent,
    OrderGroup,
    OrderItem,
    PaymentMethod,
)
from orders.selectors import order_group_attach
from products.inventory import StockChange, lock_variants, shortage, stock_apply
from products.models import Category, InventoryMovement, Product, ProductVariant
from shops.delivery import DeliveryQuote, delivery_quote
from shops.models import DeliveryZone, Shop
from users.models import Address, User

# No 0/O, 1/I/L: easy to read out over the phone.
NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NUMBER_LENGTH = 8
NUMBER_PREFIX = "MKT-"
_NUMBER_ATTEMPTS = 5
ZERO = Decimal("0.00")


# The reads of every checkout, written once from the models (see core.db.ModelColumns): as
# querysets they were compiled again on every checkout, which cost more than the rest of it.
def _cartitem(name: str) -> str:
    return quoted_column(CartItem, name)


_ADDRESS_COLUMNS = ModelColumns(Address, "a")
_ADDRESS_SQL = (
    f"SELECT {_ADDRESS_COLUMNS.sql} FROM {quoted_table(Address)} a "
    f"WHERE a.{quoted_column(Address, 'user')} = %s AND a.{quoted_column(Address, 'id')} = %s"
)
# SQLite has no row locks (its transactions are IMMEDIATE instead): no `FOR UPDATE` there.
_CART_LOCK_SQL = (
    f"SELECT {quoted_column(Cart, 'id')} FROM {quoted_table(Cart)} "
    f"WHERE {quoted_column(Cart, 'user')} = %s"
    + (" FOR UPDATE" if connection.features.has_select_for_update else "")
)
# PostgreSQL: the lines (variant, product, quantity, added at) joined to their variants, locked
# in primary-key order (`FOR UPDATE OF`), products, shops and owners; each row also carries the
# ids of all the cart's variants and of their products: a variant deleted while this waited for
# its lock drops out of the join, and must be reported, not left out of the order.
_LINE_VARIANT = ModelColumns(ProductVariant, "v")
_LINE_PRODUCT = ModelColumns(Product, "p")
_LINE_SHOP = ModelColumns(Shop, "s")
_LINE_OWNER = ModelColumns(User, "o")
_PRODUCT_CATEGORY = Product.categories.through
# The highest commission rate among a product's categories (NULL when none has one).
_CATEGORY_COMMISSION_SQL = (
    f"(SELECT MAX(c.{quoted_column(Category, 'commission_percent')}) "
    f"FROM {quoted_table(_PRODUCT_CATEGORY)} pc INNER JOIN {quoted_table(Category)} c "
    f"ON c.{quoted_column(Category, 'id')} = pc.{quoted_column(_PRODUCT_CATEGORY, 'category')} "
    f"WHERE pc.{quoted_column(_PRODUCT_CATEGORY, 'product')} = p.{quoted_column(Product, 'id')})"
)
_LINES_WITH_LOCKED_VARIANTS_SQL = (
    f"SELECT ci.{_cartitem('variant')}, ci.{_cartitem('product')}, ci.{_cartitem('quantity')}, "
    f"ci.{_cartitem('created_at')}, "
    f"{_LINE_VARIANT.sql}, {_LINE_PRODUCT.sql}, {_LINE_SHOP.sql}, {_LINE_OWNER.sql}, "
    f"{_CATEGORY_COMMISSION_SQL}, "
    f"(SELECT ARRAY_AGG(every.{_cartitem('variant')} ORDER BY every.{_cartitem('id')}) "
    f"FROM {quoted_table(CartItem)} every "
    f"WHERE every.{_cartitem('cart')} = ci.{_cartitem('cart')}), "
    f"(SELECT ARRAY_AGG(every.{_cartitem('product')} ORDER BY every.{_cartitem('id')}) "
    f"FROM {quoted_table(CartItem)} every "
    f"WHERE every.{_cartitem('cart')} = ci.{_cartitem('cart')}) "
    f"FROM {quoted_table(CartItem)} ci "
    f"INNER JOIN {quoted_table(ProductVariant)} v "
    f"ON v.{quoted_column(ProductVariant, 'id')} = ci.{_cartitem('variant')} "
    f"INNER JOIN {quoted_table(Product)} p "
    f"ON p.{quoted_column(Product, 'id')} = v.{quoted_column(ProductVariant, 'product')} "
    f"INNER JOIN {quoted_table(Shop)} s "
    f"ON s.{quoted_column(Shop, 'id')} = p.{quoted_column(Product, 'shop')} "
    f"INNER JOIN {quoted_table(User)} o "
    f"ON o.{quoted_column(User, 'id')} = s.{quoted_column(Shop, 'owner')} "
    f"WHERE ci.{_cartitem('cart')} = %s ORDER BY ci.{_cartitem('variant')} FOR UPDATE OF v"
)

# A line of the cart: (variant id, product id, quantity).
Line = tuple[uuid.UUID, uuid.UUID, int]


_ZONE_COLUMNS = ModelColumns(DeliveryZone, "z")
_ZONES_SQL = (
    f"SELECT {_ZONE_COLUMNS.sql} FROM {quoted_table(DeliveryZone)} z "
    f"WHERE z.{quoted_column(DeliveryZone, 'shop')} IN "
)


def _address(*, user: User, address_id: uuid.UUID | None) -> Address | None:
    pk = Address._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            _ADDRESS_SQL,
            [
                pk.get_db_prep_value(user.id, connection),
                pk.get_db_prep_value(address_id, connection),
            ],
        )
        row = cursor.fetchone()
    return None if row is None else _ADDRESS_COLUMNS.load(row)


def _lines_with_locked_variants(
    cart_id: uuid.UUID,
) -> tuple[list[Line], dict[uuid.UUID, ProductVariant]]:
    """The lines, oldest first, and their locked variants with their products (with their
    categories' commission rate), shops and owners; `ProductUnavailable` when a variant of the
    cart is gone."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LINES_WITH_LOCKED_VARIANTS_SQL,
            [CartItem._meta.get_field("cart").get_db_prep_value(cart_id, connection)],
        )
        rows = cursor.fetchall()
    variants: dict[uuid.UUID, ProductVariant] = {}
    product_at = 4 + _LINE_VARIANT.width
    shop_at = product_at + _LINE_PRODUCT.width
    owner_at = shop_at + _LINE_SHOP.width
    for row in rows:
        variant = _LINE_VARIANT.load(row, 4)
        product = _LINE_PRODUCT.load(row, product_at)
        shop = _LINE_SHOP.load(row, shop_at)
        shop.owner = _LINE_OWNER.load(row, owner_at)
        product.shop = shop
        product.category_commission_percent = row[-3]
        variant.product = product
        variants[variant.id] = variant
    if rows:
        gone = [
            {"product_id": str(product_id), "variant_id": str(variant_id)}
            for variant_id, product_id in zip(rows[0][-2], rows[0][-1], strict=True)
            if variant_id not in variants
        ]
        if gone:
            raise ProductUnavailable(items=gone)
    rows.sort(key=itemgetter(3))
    return [(variant_id, product_id, quantity) for variant_id, product_id, quantity, *_ in rows], (
        variants
    )


def _zones_of(shop_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[DeliveryZone]]:
    """The delivery zones of these shops, in one statement."""
    shop = DeliveryZone._meta.get_field("shop")
    with connection.cursor() as cursor:
        cursor.execute(
            _ZONES_SQL + "(" + ", ".join(["%s"] * len(shop_ids)) + ")",
            [shop.get_db_prep_value(shop_id, connection) for shop_id in shop_ids],
        )
        rows = cursor.fetchall()
    zones: dict[uuid.UUID, list[DeliveryZone]] = {}
    for row in rows:
        zone = _ZONE_COLUMNS.load(row)
        zones.setdefault(zone.shop_id, []).append(zone)
    return zones


def _deliveries(
    lines: list[Line], variants: dict[uuid.UUID, ProductVariant], address: Address
) -> dict[uuid.UUID, DeliveryQuote]:
    """Each shop's delivery to the address, priced on its locked variants' subtotal;
    `DeliveryUnavailable` listing every shop that does not deliver there."""
    shops: dict[uuid.UUID, Shop] = {}
    subtotals: dict[uuid.UUID, Decimal] = {}
    for variant_id, _, quantity in lines:
        variant = variants[variant_id]
        shops[variant.shop_id] = variant.product.shop
        subtotals[variant.shop_id] = subtotals.get(variant.shop_id, ZERO) + variant.price * quantity
    zones = _zones_of(list(shops))
    quotes = {
        shop_id: delivery_quote(
            flat_fee=shop.delivery_fee,
            zones=zones.get(shop_id, []),
            country=address.country,
            state=address.state,
            subtotal=subtotals[shop_id],
        )
        for shop_id, shop in shops.items()
    }
    refused = [
        {"shop_id": str(shop_id), "shop_name": shops[shop_id].name}
        for shop_id, quote in quotes.items()
        if not quote.deliverable
    ]
    if refused:
        raise DeliveryUnavailable(shops=refused)
    return quotes


def generate_group_number() -> str:
    return NUMBER_PREFIX + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def address_snapshot(address: Address) -> dict[str, Any]:
    return {
        "full_name": address.full_name,
        "phone": address.phone,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }


@raises(NotFound, CartEmpty, ProductUnavailable, InsufficientStock, DeliveryUnavailable, Conflict)
def checkout_create(
    *,
    user: User,
    fulfillment_method: str,
    payment_method: str,
    shipping_address_id: uuid.UUID | None = None,
) -> OrderGroup:
    """Turn the caller's cart into an order group, returned with its orders as its
    representation reads them (`orders.selectors.order_group_attach`); see the module
    docstring for the rules.

    The group number is random; in the rare case it is taken, the unique index refuses the
    group's row, the first of the writes, which are undone together (`WriteBatch.execute(
    savepoint=True)`) and written again with a new number.

    Inside the caller's transaction when there is one (the `Idempotency-Key` path stores the
    answer in it): everything that can refuse the checkout is checked before anything is
    written, and the writes are undone by their own savepoint, so no savepoint of its own is
    needed around the whole. Without one, it opens its own transaction.
    """
    address = None
    if fulfillment_method == FulfillmentMethod.DELIVERY:
        address = _address(user=user, address_id=shipping_address_id)
        if address is None:
            raise NotFound("Address not found.")

    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        cart_id, lines, variants = _lock_cart(user)
        _check_lines(lines, variants)
        deliveries = None if address is None else _deliveries(lines, variants, address)
        shipping_address = None if address is None else address_snapshot(address)
        for attempt in range(_NUMBER_ATTEMPTS):
            placed = _place(
                user=user,
                number=generate_group_number(),
                lines=lines,
                variants=variants,
                fulfillment_method=fulfillment_method,
                payment_method=payment_method,
                shipping_address=shipping_address,
                deliveries=deliveries,
            )
            writes = _writes(placed, user=user, lines=lines, variants=variants, cart_id=cart_id)
            try:
                writes.execute(savepoint=True)
                break
            except IntegrityError:
                number_taken = OrderGroup.objects.filter(number=placed.group.number).exists()
                if attempt == _NUMBER_ATTEMPTS - 1 or not number_taken:
                    raise
        queue_checkout_emails(group=placed.group, orders=placed.orders, items=placed.items_of)
    order_group_attach(
        placed.group, orders=placed.orders, items=placed.items_of, events=placed.events_of
    )
    return placed.group


def _lock_cart(
    user: User,
) -> tuple[uuid.UUID, list[Line], dict[uuid.UUID, ProductVariant]]:
    """Lock the caller's cart row (its id is returned), then read its lines (variant, product,
    quantity), oldest first, with their variants locked (in primary-key order) and each
    variant's product, the product's shop and the shop's owner; `CartEmpty` when there is no
    cart or no line.

    The lines are read after the cart's lock, by a statement of their own: a checkout that
    waited for another one on the same cart then sees what that one left (nothing). Read in
    the cart's locking statement, they would come from before the wait on PostgreSQL, and the
    cart would be ordered twice. Where the engine can lock one table of a join
    (`SELECT ... FOR UPDATE OF`: PostgreSQL), the lines come joined to their locked variants,
    each with the ids of all the cart's variants: a variant deleted while this waited for its
    lock drops out of the join, and is reported (`ProductUnavailable`) rather than left out of
    the order. Elsewhere the variants are locked by a second statement (`lock_variants`).
    Product rows are not locked: stock lives on the variants."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CART_LOCK_SQL, [Cart._meta.get_field("user").get_db_prep_value(user.id, connection)]
        )
        found = cursor.fetchone()
    if found is None:
        raise CartEmpty()
    cart_id = Cart._meta.pk.to_python(found[0])
    if connection.features.has_select_for_update_of:
        lines, variants = _lines_with_locked_variants(cart_id)
    else:
        lines = list(
            CartItem.objects.filter(cart=cart_id)
            .order_by("created_at")
            .values_list("variant_id", "product_id", "quantity")
        )
        variants = lock_variants((line[0] for line in lines), with_products=True)
    if not lines:
        raise CartEmpty()
    return cart_id, lines, variants


def _check_lines(lines: list[Line], variants: dict[uuid.UUID, ProductVariant]) -> None:
    """Every line's variant active, its product active, its shop public (active and approved),
    and in stock, checked on the locked rows."""
    unavailable = [
        {"product_id": str(product_id), "variant_id": str(variant_id)}
        for variant_id, product_id, _ in lines
        if variant_id not in variants
        or not variants[variant_id].is_active
        or not variants[variant_id].product.is_active
        or not variants[variant_id].product.shop.is_public
    ]
    if unavailable:
        raise ProductUnavailable(items=unavailable)
    shortages = [
        shortage(variants[variant_id], requested=quantity)
        for variant_id, _, quantity in lines
        if quantity > variants[variant_id].stock
    ]
    if shortages:
        raise InsufficientStock(items=shortages)


@dataclass
class _Placement:
    """The rows of one checkout, built in memory."""

    group: OrderGroup
    orders: list[Order]
    items_of: dict[uuid.UUID, list[OrderItem]]
    events_of: dict[uuid.UUID, list[OrderEvent]]
    shops: dict[uuid.UUID, Shop]
    order_of_variant: dict[uuid.UUID, uuid.UUID]


def _place(
    *,
    user: User,
    number: str,
    lines: list[Line],
    variants: dict[uuid.UUID, ProductVariant],
    fulfillment_method: str,
    payment_method: str,
    shipping_address: dict[str, Any] | None,
    deliveries: dict[uuid.UUID, DeliveryQuote] | None,
) -> _Placement:
    """Build the group, its orders (one per shop, in the order the shops first appear in the
    cart), items and events; `deliveries` prices each shop's delivery (None for pickup)."""
    lines_by_shop: dict[uuid.UUID, list[tuple[ProductVariant, int]]] = {}
    for variant_id, _, quantity in lines:
        variant = variants[variant_id]
        lines_by_shop.setdefault(variant.shop_id, []).append((variant, quantity))

    now = timezone.now()
    group = OrderGroup(
        id=uuid.uuid4(),
        number=number,
        customer=user,
        customer_name=user.full_name,
        customer_email=user.email or "",
        shipping_address=shipping_address,
        payment_method=payment_method,
        fulfillment_method=fulfillment_method,
        currency=settings.CURRENCY,
        expires_at=(
            now + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES)
            if payment_method == PaymentMethod.PAYSTACK
            else None
        ),
    )
    orders: list[Order] = []
    items_of: dict[uuid.UUID, list[OrderItem]] = {}
    events_of: dict[uuid.UUID, list[OrderEvent]] = {}
    order_of_variant: dict[uuid.UUID, uuid.UUID] = {}
    shops: dict[uuid.UUID, Shop] = {}
    for position, (shop_id, shop_lines) in enumerate(lines_by_shop.items(), start=1):
        shop = shops[shop_id] = shop_lines[0][0].product.shop
        order = Order(id=uuid.uuid4(), group=group, shop=shop, number=f"{number}-{position}")
        order_items = []
        for variant, quantity in shop_lines:
            product = variant.product
            line_total = variant.price * quantity
            rate = commission_rate(
                shop_percent=shop.commission_percent,
                category_percent=product.category_commission_percent,
                default=settings.PLATFORM_COMMISSION_PERCENT,
            )
            order_items.append(
                OrderItem(
                    order=order,
                    product=variant.product,
                    variant=variant,
                    product_name=variant.product.name,
                    sku=variant.sku,
                    options=variant.options,
                    unit_price=variant.price,
                    quantity=quantity,
                    line_total=line_total,
                    commission_rate=rate,
                    commission_amount=commission_amount(line_total=line_total, rate=rate),
                )
            )
            order_of_variant[variant.id] = order.id
        order.position = position
        order.subtotal = sum((item.line_total for item in order_items), ZERO)
        order.commission_total = sum((item.commission_amount for item in order_items), ZERO)
        quote = None if deliveries is None else deliveries[shop_id]
        order.delivery_fee = ZERO if quote is None or quote.fee is None else quote.fee
        if quote is not None and quote.zone_name is not None:
            order.delivery_zone = quote.zone_name
            order.delivery_days_min, order.delivery_days_max = quote.days_min, quote.days_max
        order.total = order.subtotal + order.delivery_fee
        orders.append(order)
        items_of[order.id] = order_items
        events_of[order.id] = [
            OrderEvent(order=order, status=Order.Status.PENDING, note="Order placed.", actor=user)
        ]
    group.subtotal = sum((o.subtotal for o in orders), ZERO)
    group.delivery_fee = sum((o.delivery_fee for o in orders), ZERO)
    group.total = group.subtotal + group.delivery_fee
    if group.total > MAX_ORDER_TOTAL:
        raise Conflict(f"The order total may not exceed {MAX_ORDER_TOTAL}.")

    return _Placement(group, orders, items_of, events_of, shops, order_of_variant)


def _writes(
    placed: _Placement,
    *,
    user: User,
    lines: list[Line],
    variants: dict[uuid.UUID, ProductVariant],
    cart_id: uuid.UUID,
) -> WriteBatch:
    """The group first (a number already taken stops the batch at once), then its orders,
    items and events, the stock with its ledger and the emptied cart: one statement each,
    whatever the number of lines, sent as one round trip on PostgreSQL."""
    writes = WriteBatch()
    writes.insert([placed.group])
    writes.insert(placed.orders)
    writes.insert([item for order in placed.orders for item in placed.items_of[order.id]])
    writes.insert([event for order in placed.orders for event in placed.events_of[order.id]])
    stock_apply(
        changes=[StockChange(variant_id, -quantity) for variant_id, _, quantity in lines],
        reason=InventoryMovement.Reason.CHECKOUT,
        actor=user,
        order_ids=placed.order_of_variant,
        note=placed.group.number,
        locked=variants,
        low_stock_thresholds={shop.id: shop.low_stock_threshold for shop in placed.shops.values()},
        batch=writes,
    )
    writes.delete_where(CartItem, cart=cart_id)
    return writes
