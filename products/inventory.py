"""The one door to stock: every change locks the rows, writes stock and the ledger together.

Stock lives on product variants. `sum(InventoryMovement.delta) == ProductVariant.stock` for
every variant, at all times. Callers that change several variants at once (checkout,
cancellation, expiry) pass all of them in one call so the rows are locked in primary-key order
(no deadlocks) and the queries do not grow with the number of variants: one locking SELECT, one
bulk UPDATE, one bulk INSERT. Stock changes never lock product rows. Lock order: variants' rows
before their product's row (a checkout holds its variants' locks when its order items take a
key lock on their products; deleting a product locks its variants first).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.catalogue_cache import catalogue_changed
from core.db import WriteBatch
from core.errors import Conflict, InsufficientStock, InvalidInput, NotFound, raises
from products.models import Category, InventoryMovement, Product, ProductVariant
from shops.models import Shop
from users.models import User

Reason = InventoryMovement.Reason
# Upper bound of a product's stock: far above any real shelf, far below the column's range.
MAX_STOCK = 1_000_000_000


@dataclass(frozen=True)
class StockChange:
    variant_id: uuid.UUID
    delta: int


def lock_products(product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Lock the products' rows, always in primary-key order. Call inside a transaction."""
    ids = sorted(set(product_ids))
    products = Product.objects.filter(id__in=ids).order_by("id").select_for_update()
    return {product.id: product for product in products}


def category_commission(product: str) -> Subquery:
    """The highest commission rate among the categories of the outer row's `product` (a
    field path to a product id), None when none has one."""
    return Subquery(
        Category.objects.filter(products=OuterRef(product), commission_percent__isnull=False)
        .order_by("-commission_percent")
        .values("commission_percent")[:1]
    )


def lock_variants(
    variant_ids: Iterable[uuid.UUID], *, with_products: bool = False
) -> dict[uuid.UUID, ProductVariant]:
    """Lock the variants' rows, always in primary-key order. Call inside a transaction.

    `with_products` also loads each variant's product with its shop and the shop's owner (none
    of them locked), and the highest commission rate among the product's categories
    (`product.category_commission_percent`, None when none has one): in the same query where
    the engine can lock only some tables of a join (`SELECT ... FOR UPDATE OF`: PostgreSQL),
    else in a second query.
    """
    ids = sorted(set(variant_ids))
    variants = ProductVariant.objects.filter(id__in=ids).order_by("id")
    joined = with_products and connection.features.has_select_for_update_of
    if joined:
        variants = (
            variants.select_related("product__shop__owner")
            .annotate(category_commission_percent=category_commission("product_id"))
            .select_for_update(of=("self",))
        )
    else:
        variants = variants.select_for_update()
    locked = {variant.id: variant for variant in variants}
    if joined:
        for variant in locked.values():
            variant.product.category_commission_percent = variant.category_commission_percent
    elif with_products:
        product_ids = {variant.product_id for variant in locked.values()}
        products = (
            Product.objects.select_related("shop__owner")
            .annotate(category_commission_percent=category_commission("pk"))
            .in_bulk(product_ids)
        )
        for variant in locked.values():
            variant.product = products[variant.product_id]
    return locked


def stock_apply(
    *,
    changes: Sequence[StockChange],
    reason: str,
    actor: User | None = None,
    order_ids: Mapping[uuid.UUID, uuid.UUID] | None = None,
    note: str = "",
    locked: Mapping[uuid.UUID, ProductVariant] | None = None,
    low_stock_thresholds: Mapping[uuid.UUID, int] | None = None,
    batch: WriteBatch | None = None,
) -> dict[uuid.UUID, ProductVariant]:
    """Apply signed stock deltas to several variants atomically.

    Every variant that would go below zero is reported at once (`InsufficientStock`) and nothing
    changes. `order_ids` maps a variant to the order a movement belongs to. Pass `locked` when
    the caller already holds the rows (from `lock_variants`) to save the locking query, and
    `low_stock_thresholds` (shop id -> the shop's `low_stock_threshold`) when it has the shops
    at hand, to save reading them. Pass `batch` to add the writes to the caller's `WriteBatch`
    instead of running them now: the variants in hand then change, and the alerts and the cache
    invalidation are scheduled, only once the batch ran. Returns the variants by id.
    """
    # No savepoint when called inside a caller's transaction (checkout, cancellation): two
    # round trips less, and an error here still rolls the whole caller back (nobody catches
    # it to carry on).
    with transaction.atomic(savepoint=False):
        variants = (
            dict(locked) if locked is not None else lock_variants(c.variant_id for c in changes)
        )
        missing = [c.variant_id for c in changes if c.variant_id not in variants]
        if missing:
            raise NotFound("Product not found.")

        totals: dict[uuid.UUID, int] = {}
        for change in changes:
            totals[change.variant_id] = totals.get(change.variant_id, 0) + change.delta
        shortages = [
            shortage(variants[vid], requested=-delta)
            for vid, delta in totals.items()
            if variants[vid].stock + delta < 0
        ]
        if shortages:
            raise InsufficientStock(items=shortages)

        now = timezone.now()
        stock: dict[uuid.UUID, int] = {}
        movements: list[InventoryMovement] = []
        alerts: list[InventoryMovement] = []
        thresholds = (
            low_stock_thresholds
            if low_stock_thresholds is not None
            else _low_stock_thresholds(variants[vid] for vid, d in totals.items() if d < 0)
        )
        for vid, delta in totals.items():
            if delta == 0:
                continue
            variant = variants[vid]
            before, after = variant.stock, variant.stock + delta
            stock[vid] = after
            movement = InventoryMovement(
                product_id=variant.product_id,
                variant=variant,
                delta=delta,
                reason=reason,
                stock_after=after,
                actor=actor,
                order_id=(order_ids or {}).get(vid),
                note=note,
            )
            movements.append(movement)
            threshold = thresholds.get(variant.shop_id)
            if threshold is not None and before > threshold >= after:
                alerts.append(movement)
        if stock:
            writes = batch if batch is not None else WriteBatch()
            writes.update_by_id(ProductVariant, "stock", stock, updated_at=now)
            writes.insert(movements)
            writes.after(functools.partial(_applied, variants, stock, now, alerts))
            if batch is None:
                writes.execute()
        return variants


def shortage(variant: ProductVariant, *, requested: int) -> dict[str, object]:
    """One line of `InsufficientStock.items`."""
    return {
        "product_id": str(variant.product_id),
        "variant_id": str(variant.id),
        "requested": requested,
        "available": variant.stock,
    }


def _applied(
    variants: Mapping[uuid.UUID, ProductVariant],
    stock: Mapping[uuid.UUID, int],
    now: datetime,
    alerts: Sequence[InventoryMovement],
) -> None:
    """Once the writes ran: the variants in hand show their new stock, the low-stock alerts
    and the catalogue's invalidation wait for the commit."""
    for vid, value in stock.items():
        variants[vid].stock = value
        variants[vid].updated_at = now
    for movement in alerts:
        _alert_on_commit(movement)
    catalogue_changed()  # stock and `in_stock` are public


def _alert_on_commit(movement: InventoryMovement) -> None:
    from products.tasks import low_stock_alert

    transaction.on_commit(
        lambda: low_stock_alert.delay(
            str(movement.product_id), str(movement.id), str(movement.variant_id)
        ),
        robust=True,
    )


def _low_stock_thresholds(variants: Iterable[ProductVariant]) -> dict[uuid.UUID, int]:
    shop_ids = {variant.shop_id for variant in variants}
    if not shop_ids:
        return {}
    return dict(Shop.objects.filter(id__in=shop_ids).values_list("id", "low_stock_threshold"))


@raises(InsufficientStock, Conflict)
def stock_adjust(
    *, product_id: uuid.UUID, action: str, quantity: int, actor: User | None, note: str = ""
) -> ProductVariant:
    """The product-level manual change, for a product with one variant (else 409)."""
    variant_ids = list(ProductVariant.objects.filter(product_id=product_id).values_list("id")[:2])
    if not variant_ids:
        raise NotFound("Product not found.")
    if len(variant_ids) > 1:
        raise Conflict("This product has several variants: change the stock of each variant.")
    return variant_stock_adjust(
        variant_id=variant_ids[0][0], action=action, quantity=quantity, actor=actor, note=note
    )


@raises(InsufficientStock)
def variant_stock_adjust(
    *, variant_id: uuid.UUID, action: str, quantity: int, actor: User | None, note: str = ""
) -> ProductVariant:
    """A shop member's manual change: `add`, `remove` or `set` (quantity already validated)."""
    with transaction.atomic():
        locked = lock_variants([variant_id])
        if variant_id not in locked:
            raise NotFound("Variant not found.")
        current = locked[variant_id].stock
        target = {"add": current + quantity, "remove": current - quantity, "set": quantity}[action]
        if target > MAX_STOCK:
            raise InvalidInput({"quantity": [f"Stock cannot exceed {MAX_STOCK}."]})
        delta, reason = {
            "add": (quantity, Reason.MANUAL_ADD),
            "remove": (-quantity, Reason.MANUAL_REMOVE),
            "set": (quantity - current, Reason.MANUAL_SET),
        }[action]
        stock_apply(
            changes=[StockChange(variant_id, delta)],
            reason=reason,
            actor=actor,
            note=note,
            locked=locked,
        )
        return locked[variant_id]


def ledger_drift() -> list[tuple[uuid.UUID, int, int]]:
    """Variants whose stock differs from the sum of their movements: (id, stock, ledger sum)."""
    ledger = (
        InventoryMovement.objects.filter(variant=OuterRef("pk"))
        .values("variant")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    rows = (
        ProductVariant.objects.annotate(
            ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0))
        )
        .exclude(stock=F("ledger"))
        .order_by("id")
        .values_list("id", "stock", "ledger")
    )
    return [(vid, stock, int(total)) for vid, stock, total in rows]
