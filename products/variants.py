"""Writes for product options and variants. Stock goes through `products.inventory`.

A product has at most `MAX_OPTIONS` options (`[{"name": "Size", "values": ["S", "M"]}]`) and one
variant per combination of their values on sale; a product without options has exactly one
variant, its default (`options == {}`). SKUs are unique per shop, ignoring case (`sku_key`).

Lock order: variants' rows before their product's row, each in primary-key order, as
`products.inventory` documents.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, OuterRef, ProtectedError, QuerySet, Subquery
from django.utils import timezone

from core.catalogue_cache import catalogue_changed
from core.errors import Conflict, InvalidInput, NotFound, raises
from products.inventory import (
    MAX_STOCK,
    StockChange,
    lock_products,
    lock_variants,
    stock_apply,
)
from products.models import (
    MAX_OPTIONS,
    InventoryMovement,
    Product,
    ProductVariant,
    options_key,
)
from users.models import User

SKU_TAKEN = "A variant with this SKU already exists in this shop."
COMBINATION_TAKEN = "The product already has a variant with these options."
ONLY_VARIANT = (
    "A product without options has exactly one variant: change or deactivate the product instead."
)
VARIANT_UPDATABLE_FIELDS = ("sku", "price", "is_active")


def _active_price(aggregate: type[Min] | type[Max]) -> Subquery:
    """The lowest (`Min`) or highest (`Max`) price of the outer product's active variants."""
    return Subquery(
        ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by()
        .values("product")
        .annotate(value=aggregate("price"))
        .values("value")
    )


def product_prices_write(products: QuerySet[Product], **fields: Any) -> None:
    """Store on `products` the lowest and highest price of their active variants (`price_min`,
    `price_max`), with `fields` in the same UPDATE. The caller holds the products' row locks,
    taken after any variant's (so that no other write of their variants commits unseen)."""
    products.update(price_min=_active_price(Min), price_max=_active_price(Max), **fields)


def product_prices_refresh(product_ids: Iterable[uuid.UUID]) -> None:
    """Lock the products (in primary-key order, after the caller's variant locks) and store
    their variants' price range (`product_prices_write`): two queries. Every write of a
    variant's price or active flag calls it (or `product_prices_write` under the lock)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):
        list(
            Product.objects.filter(id__in=ids)
            .order_by("id")
            .select_for_update()
            .values_list("id", flat=True)
        )
        product_prices_write(Product.objects.filter(id__in=ids))


def product_prices_drift(product_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Those of the products whose stored price range differs from their active variants' (one
    query): written by a path that does not keep it (a variant edited in the admin, or by code
    older than the columns)."""
    rows = (
        Product.objects.filter(id__in=list(product_ids))
        .annotate(low=_active_price(Min), high=_active_price(Max))
        .order_by("id")
        .values_list("id", "price_min", "price_max", "low", "high")
    )
    return [
        pid for pid, low, high, real_low, real_high in rows if (low, high) != (real_low, real_high)
    ]


def specs_price_range(specs: Iterable[VariantSpec]) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest price of the active variants of `specs` (None: none active)."""
    prices = [spec.price for spec in specs if spec.is_active]
    return (min(prices), max(prices)) if prices else (None, None)


@dataclass
class VariantSpec:
    """A variant to create: what a request or an imported row asks for."""

    options: dict[str, str]
    price: Decimal
    stock: int = 0
    sku: str | None = None
    is_active: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def auto_sku(slug: str) -> str:
    """A SKU for a variant created without one (a product of the v1 API)."""
    return f"{slug[:50] or 'product'}-{secrets.token_hex(3)}"


def options_check(options: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A product's options, cleaned: at most `MAX_OPTIONS`, distinct names and values."""
    if len(options) > MAX_OPTIONS:
        raise InvalidInput({"options": [f"A product has at most {MAX_OPTIONS} options."]})
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for option in options:
        name = " ".join(str(option["name"]).split())
        if not name or name.lower() in names:
            raise InvalidInput({"options": [f"Option names must be distinct and set: {name!r}."]})
        names.add(name.lower())
        values: list[str] = []
        for value in option.get("values") or []:
            value = " ".join(str(value).split())
            if value and value not in values:
                values.append(value)
        cleaned.append({"name": name, "values": values})
    return cleaned


def _variant_options(
    product_options: list[dict[str, Any]], given: Mapping[str, str], *, field_name: str
) -> tuple[dict[str, str], bool]:
    """The variant's options in the product's order, and whether it brings values the product's
    options did not list yet (they are added). One value for each of the product's options."""
    by_lower = {str(name).lower(): str(value) for name, value in given.items()}
    wanted = {option["name"].lower() for option in product_options}
    unknown = sorted(name for name in given if name.lower() not in wanted)
    missing = [o["name"] for o in product_options if o["name"].lower() not in by_lower]
    if unknown or missing or len(by_lower) != len(given):
        names = ", ".join(o["name"] for o in product_options) or "none"
        raise InvalidInput(
            {field_name: [f"Give one value for each of the product's options ({names})."]}
        )
    options: dict[str, str] = {}
    extended = False
    for option in product_options:
        value = " ".join(by_lower[option["name"].lower()].split())
        if not value or len(value) > 100:
            raise InvalidInput({field_name: [f"Invalid value for {option['name']}."]})
        if value not in option["values"]:
            option["values"].append(value)
            extended = True
        options[option["name"]] = value
    return options, extended


def _sku_taken(shop_id: uuid.UUID, sku: str, *, exclude_id: uuid.UUID | None = None) -> bool:
    variants = ProductVariant.objects.filter(shop_id=shop_id, sku_key=sku.lower())
    if exclude_id is not None:
        variants = variants.exclude(id=exclude_id)
    return variants.exists()


def variants_build(
    *, product: Product, specs: Sequence[VariantSpec], field_name: str = "variants"
) -> list[ProductVariant]:
    """Unsaved variants of `product` for `specs`, checked: options, distinct combinations and
    SKUs (within the request and in the shop), prices and stock. `product.options` gains the
    values the specs bring."""
    if not specs:
        raise InvalidInput({field_name: ["Give at least one variant."]})
    built: list[ProductVariant] = []
    combinations: set[str] = set()
    skus: set[str] = set()
    for spec in specs:
        options, _ = _variant_options(product.options, spec.options, field_name=field_name)
        key = options_key(options)
        if key in combinations:
            raise InvalidInput({field_name: [COMBINATION_TAKEN]})
        combinations.add(key)
        sku = spec.sku or auto_sku(product.slug)
        if sku.lower() in skus:
            raise InvalidInput({field_name: [f"SKU {sku} is given twice."]})
        skus.add(sku.lower())
        if not 0 <= spec.stock <= MAX_STOCK:
            raise InvalidInput({field_name: [f"Stock must be between 0 and {MAX_STOCK}."]})
        built.append(
            ProductVariant(
                product=product,
                shop_id=product.shop_id,
                sku=sku,
                sku_key=sku.lower(),
                options=options,
                options_key=key,
                price=spec.price,
                stock=0,
                is_active=spec.is_active,
            )
        )
    return built


def variants_insert(
    *,
    variants: Sequence[ProductVariant],
    stock: Sequence[int],
    actor: User | None,
    reason: str = InventoryMovement.Reason.INITIAL,
) -> None:
    """Save new variants (in the caller's transaction) and record their initial stock in the
    ledger. A SKU taken meanwhile is a 409."""
    shop_id = variants[0].shop_id
    taken = (
        ProductVariant.objects.filter(shop_id=shop_id, sku_key__in=[v.sku_key for v in variants])
        .values_list("sku", flat=True)
        .first()
    )
    if taken is not None:
        raise Conflict(f"{SKU_TAKEN} ({taken})")
    try:
        with transaction.atomic():
            ProductVariant.objects.bulk_create(variants)
    except IntegrityError as exc:
        raise Conflict(SKU_TAKEN) from exc
    changes = [StockChange(v.id, units) for v, units in zip(variants, stock, strict=True) if units]
    if changes:
        stock_apply(changes=changes, reason=reason, actor=actor)
    for variant, units in zip(variants, stock, strict=True):
        variant.stock = units


@raises(Conflict)
def variant_create(
    *,
    product: Product,
    actor: User | None,
    options: Mapping[str, str],
    price: Decimal,
    stock: int = 0,
    sku: str | None = None,
    is_active: bool = True,
) -> ProductVariant:
    """A new variant of a product that has options (409 for a product without: it has one)."""
    with transaction.atomic():
        locked = lock_products([product.id]).get(product.id)
        if locked is None:
            raise NotFound("Product not found.")
        if not locked.options:
            raise Conflict(ONLY_VARIANT)
        spec = VariantSpec(
            options=dict(options), price=price, stock=stock, sku=sku, is_active=is_active
        )
        [variant] = variants_build(product=locked, specs=[spec], field_name="options")
        if ProductVariant.objects.filter(product=locked, options_key=variant.options_key).exists():
            raise Conflict(COMBINATION_TAKEN)
        variants_insert(variants=[variant], stock=[stock], actor=actor)
        # The product's row is locked above: its options and price range in one UPDATE.
        product_prices_write(Product.objects.filter(id=locked.id), options=locked.options)
        catalogue_changed()
    return variant


@raises(Conflict)
def variant_update(*, variant: ProductVariant, data: Mapping[str, Any]) -> ProductVariant:
    """Change the SKU, price or active flag (not the stock: the inventory endpoint does)."""
    fields = {key: value for key, value in data.items() if key in VARIANT_UPDATABLE_FIELDS}
    with transaction.atomic():
        locked = lock_variants([variant.id]).get(variant.id)
        if locked is None:
            raise NotFound("Variant not found.")
        if fields.get("is_active") is False and not locked.options:
            raise Conflict(ONLY_VARIANT)
        if "sku" in fields:
            if _sku_taken(locked.shop_id, fields["sku"], exclude_id=locked.id):
                raise Conflict(SKU_TAKEN)
            locked.sku_key = fields["sku"].lower()
        for key, value in fields.items():
            setattr(locked, key, value)
        try:
            with transaction.atomic():
                locked.save(update_fields=[*fields, "sku_key", "updated_at"])
        except IntegrityError as exc:
            raise Conflict(SKU_TAKEN) from exc
        if "price" in fields or "is_active" in fields:
            product_prices_refresh([locked.product_id])
        catalogue_changed()
    return locked


@raises(Conflict)
def variant_delete(*, variant: ProductVariant) -> bool:
    """Delete a variant never ordered, deactivate one that was; True when deleted. The only
    variant of a product without options goes only with its product (409)."""
    with transaction.atomic():
        locked = lock_variants([variant.id]).get(variant.id)
        if locked is None:
            raise NotFound("Variant not found.")
        if not locked.options:
            raise Conflict(ONLY_VARIANT)
        catalogue_changed()
        ordered = InventoryMovement.objects.filter(variant_id=locked.id, order__isnull=False)
        if not ordered.exists():
            try:
                with transaction.atomic():
                    locked.delete()
            except (ProtectedError, IntegrityError):
                pass  # referenced after all (an order item): deactivate it below instead
            else:
                product_prices_refresh([locked.product_id])
                return True
        ProductVariant.objects.filter(id=locked.id).update(is_active=False)
        locked.is_active = False
        product_prices_refresh([locked.product_id])
        return False


@raises(Conflict)
def variant_price_set(*, product: Product, price: Decimal) -> None:
    """The v1 `price` of a product: the price of its one variant (409 when it has several)."""
    ids = list(ProductVariant.objects.filter(product=product).values_list("id", flat=True)[:2])
    if len(ids) != 1:
        raise Conflict("This product has several variants: change the price of each variant.")
    with transaction.atomic(savepoint=False):
        ProductVariant.objects.filter(id=ids[0]).update(price=price, updated_at=timezone.now())
        product_prices_refresh([product.id])
