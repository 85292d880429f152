"""The cart as the customer sees it, priced now, in a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery

from carts.models import Cart, CartItem, WishlistItem
from core.errors import NotFound
from products.models import Product, ProductImage
from products.selectors import products_public
from shops.delivery import delivery_quote
from shops.selectors import delivery_zones_by_shop
from users.models import Address, User


class LineStatus(models.TextChoices):
    AVAILABLE = "available"
    INSUFFICIENT_STOCK = "insufficient_stock"
    OUT_OF_STOCK = "out_of_stock"
    UNAVAILABLE = "unavailable"


@dataclass
class CartLine:
    item: CartItem
    unit_price: Decimal
    line_total: Decimal
    available_stock: int
    status: str

    @property
    def id(self) -> uuid.UUID:
        return self.item.id

    @property
    def product(self) -> Product:
        return self.item.product

    @property
    def quantity(self) -> int:
        return self.item.quantity


@dataclass
class CartShop:
    """`delivery_fee` is the shop's flat fee without an address; with one, what the shop
    charges to deliver there (None when it does not deliver there, `deliverable` False)."""

    shop_id: uuid.UUID
    shop_name: str
    delivery_fee: Decimal | None
    subtotal: Decimal = Decimal("0.00")
    deliverable: bool | None = None
    delivery_zone: str | None = None
    estimated_delivery: dict[str, int] | None = None


@dataclass
class CartSummary:
    id: uuid.UUID
    items: list[CartLine] = field(default_factory=list)
    shops: list[CartShop] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    item_count: int = 0
    is_valid: bool = False
    updated_at: object = None


def line_status(item: CartItem) -> str:
    product = item.product
    if not product.is_active or not product.shop.is_public:
        return LineStatus.UNAVAILABLE
    if product.stock == 0:
        return LineStatus.OUT_OF_STOCK
    if item.quantity > product.stock:
        return LineStatus.INSUFFICIENT_STOCK
    return LineStatus.AVAILABLE


def _lines(items: QuerySet[CartItem]) -> list[CartItem]:
    """Lines with product and shop, in one query whatever their number. Each product gets
    `first_image`, the stored name of its first image or None: all the cart shows of its images
    (a subquery is cheaper than prefetching every image of every line)."""
    first_image = (
        ProductImage.objects.filter(product=OuterRef("product_id"))
        .order_by("position", "created_at", "id")
        .values("image")[:1]
    )
    lines: list[Any] = list(  # CartItems with their `first_image` annotation
        items.select_related("product__shop")
        .annotate(first_image=Subquery(first_image))
        .order_by("created_at", "id")
    )
    for line in lines:
        line.product.first_image = line.first_image
    return lines


def cart_items(*, cart: Cart) -> list[CartItem]:
    """The cart's lines (see `_lines`)."""
    return _lines(CartItem.objects.filter(cart=cart))


def cart_with_items(*, user: User) -> tuple[Cart | None, list[CartItem]]:
    """The account's cart and its lines in one query (the cart joined to its lines); no cart
    when it has no line (or does not exist yet): ask `carts.services.cart_get_or_create`."""
    items = _lines(CartItem.objects.filter(cart__user=user).select_related("cart"))
    return (items[0].cart if items else None), items


def cart_summary(
    *, cart: Cart, items: list[CartItem] | None = None, address: Address | None = None
) -> CartSummary:
    """Lines with current prices and status, per-shop subtotals and delivery fees, validity.

    `item_count` is the number of units; `subtotal` excludes delivery fees, which depend on the
    fulfilment method chosen at checkout (nothing for pickup). Without an `address` each shop
    shows its flat `delivery_fee`; with one, what it charges to deliver there, whether it does
    and how soon (`shops.delivery`, as checkout decides it; the shops' zones in one query).
    Pass the cart's `items` when already loaded (`cart_with_items`).
    """
    summary = CartSummary(id=cart.id, updated_at=cart.updated_at)
    shops: dict[uuid.UUID, CartShop] = {}
    flat_fees: dict[uuid.UUID, Decimal] = {}
    for item in items if items is not None else cart_items(cart=cart):
        product = item.product
        status = line_status(item)
        line_total = product.price * item.quantity
        summary.items.append(
            CartLine(
                item=item,
                unit_price=product.price,
                line_total=line_total,
                available_stock=0 if status == LineStatus.UNAVAILABLE else product.stock,
                status=status,
            )
        )
        shop = shops.get(product.shop_id)
        if shop is None:
            shop = shops[product.shop_id] = CartShop(
                shop_id=product.shop_id,
                shop_name=product.shop.name,
                delivery_fee=product.shop.delivery_fee,
            )
            flat_fees[product.shop_id] = product.shop.delivery_fee
        shop.subtotal += line_total
        summary.subtotal += line_total
        summary.item_count += item.quantity
    summary.shops = list(shops.values())
    if address is not None and shops:
        _quote_delivery(summary.shops, address=address, flat_fees=flat_fees)
    summary.is_valid = bool(summary.items) and all(
        line.status == LineStatus.AVAILABLE for line in summary.items
    )
    return summary


def _quote_delivery(
    shops: list[CartShop], *, address: Address, flat_fees: dict[uuid.UUID, Decimal]
) -> None:
    zones = delivery_zones_by_shop(shop_ids=[shop.shop_id for shop in shops])
    for shop in shops:
        quote = delivery_quote(
            flat_fee=flat_fees[shop.shop_id],
            zones=zones.get(shop.shop_id, []),
            country=address.country,
            state=address.state,
            subtotal=shop.subtotal,
        )
        shop.delivery_fee = quote.fee
        shop.deliverable = quote.deliverable
        shop.delivery_zone = quote.zone_name
        if quote.days_min is not None and quote.days_max is not None:
            shop.estimated_delivery = {"days_min": quote.days_min, "days_max": quote.days_max}


def cart_item_check(*, user: User, item_id: uuid.UUID) -> None:
    """404 unless the line is in the caller's cart (looked up before a body is validated)."""
    if not CartItem.objects.filter(cart__user=user, id=item_id).exists():
        raise NotFound("Cart item not found.")


def wishlist_entries(*, user: User) -> QuerySet[WishlistItem]:
    """The account's saved products that are in the public catalogue now, newest first, each
    with its product and shop joined (one query a page; a product that leaves the catalogue
    comes back to the list when it returns)."""
    return (
        WishlistItem.objects.filter(user=user, product__in=products_public())
        .select_related("product__shop")
        .order_by("-created_at", "-id")
    )
