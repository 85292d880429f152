"""The one door to stock: every change locks the rows, writes stock and the ledger together.

`sum(InventoryMovement.delta) == Product.stock` for every product, at all times. Callers that
change several products at once (checkout, cancellation, expiry) pass all of them in one call so
the rows are locked in primary-key order (no deadlocks) and the queries do not grow with the
number of products: one locking SELECT, one bulk UPDATE, one bulk INSERT.
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
from core.errors import InsufficientStock, InvalidInput, NotFound, raises
from products.models import Category, InventoryMovement, Product
from shops.models import Shop
from users.models import User

Reason = InventoryMovement.Reason
# Upper bound of a product's stock: far above any real shelf, far below the column's range.
MAX_STOCK = 1_000_000_000


@dataclass(frozen=True)
class StockChange:
    product_id: uuid.UUID
    delta: int


def lock_products(
    product_ids: Iterable[uuid.UUID], *, with_shops: bool = False
) -> dict[uuid.UUID, Product]:
    """Lock the products' rows, always in primary-key order. Call inside a transaction.

    `with_shops` also loads each product's shop and the shop's owner (not locked): in the same
    query where the engine can lock only some tables of a join (`SELECT ... FOR UPDATE OF`:
    PostgreSQL), else in a second query; and the highest commission rate among each product's
    categories (`category_commission_percent`, None when none has one).
    """
    ids = sorted(set(product_ids))
    products = Product.objects.filter(id__in=ids).order_by("id")
    if with_shops:
        products = products.annotate(
            category_commission_percent=Subquery(
                Category.objects.filter(products=OuterRef("pk"), commission_percent__isnull=False)
                .order_by("-commission_percent")
                .values("commission_percent")[:1]
            )
        )
    joined = with_shops and connection.features.has_select_for_update_of
    if joined:
        products = products.select_related("shop__owner").select_for_update(of=("self",))
    else:
        products = products.select_for_update()
    locked = {product.id: product for product in products}
    if with_shops and not joined:
        shop_ids = {product.shop_id for product in locked.values()}
        shops = Shop.objects.select_related("owner").in_bulk(shop_ids)
        for product in locked.values():
            product.shop = shops[product.shop_id]
    return locked


def stock_apply(
    *,
    changes: Sequence[StockChange],
    reason: str,
    actor: User | None = None,
    order_ids: Mapping[uuid.UUID, uuid.UUID] | None = None,
    note: str = "",
    locked: Mapping[uuid.UUID, Product] | None = None,
    low_stock_thresholds: Mapping[uuid.UUID, int] | None = None,
    batch: WriteBatch | None = None,
) -> dict[uuid.UUID, Product]:
    """Apply signed stock deltas to several products atomically.

    Every product that would go below zero is reported at once (`InsufficientStock`) and nothing
    changes. `order_ids` maps a product to the order a movement belongs to. Pass `locked` when the
    caller already holds the rows (from `lock_products`) to save the locking query, and
    `low_stock_thresholds` (shop id -> the shop's `low_stock_threshold`) when it has the shops
    at hand, to save reading them. Pass `batch` to add the writes to the caller's `WriteBatch`
    instead of running them now: the products in hand then change, and the alerts and the cache
    invalidation are scheduled, only once the batch ran. Returns the products by id.
    """
    # No savepoint when called inside a caller's transaction (checkout, cancellation): two
    # round trips less, and an error here still rolls the whole caller back (nobody catches
    # it to carry on).
    with transaction.atomic(savepoint=False):
        products = (
            dict(locked) if locked is not None else lock_products(c.product_id for c in changes)
        )
        missing = [c.product_id for c in changes if c.product_id not in products]
        if missing:
            raise NotFound("Product not found.")

        totals: dict[uuid.UUID, int] = {}
        for change in changes:
            totals[change.product_id] = totals.get(change.product_id, 0) + change.delta
        shortages = [
            {"product_id": str(pid), "requested": -delta, "available": products[pid].stock}
            for pid, delta in totals.items()
            if products[pid].stock + delta < 0
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
            else _low_stock_thresholds(products[pid] for pid, d in totals.items() if d < 0)
        )
        for pid, delta in totals.items():
            if delta == 0:
                continue
            product = products[pid]
            before, after = product.stock, product.stock + delta
            stock[pid] = after
            movement = InventoryMovement(
                product=product,
                delta=delta,
                reason=reason,
                stock_after=after,
                actor=actor,
                order_id=(order_ids or {}).get(pid),
                note=note,
            )
            movements.append(movement)
            threshold = thresholds.get(product.shop_id)
            if threshold is not None and before > threshold >= after:
                alerts.append(movement)
        if stock:
            writes = batch if batch is not None else WriteBatch()
            writes.update_by_id(Product, "stock", stock, updated_at=now)
            writes.insert(movements)
            writes.after(functools.partial(_applied, products, stock, now, alerts))
            if batch is None:
                writes.execute()
        return products


def _applied(
    products: Mapping[uuid.UUID, Product],
    stock: Mapping[uuid.UUID, int],
    now: datetime,
    alerts: Sequence[InventoryMovement],
) -> None:
    """Once the writes ran: the products in hand show their new stock, the low-stock alerts
    and the catalogue's invalidation wait for the commit."""
    for pid, value in stock.items():
        products[pid].stock = value
        products[pid].updated_at = now
    for movement in alerts:
        _alert_on_commit(movement)
    catalogue_changed()  # stock and `in_stock` are public


def _alert_on_commit(movement: InventoryMovement) -> None:
    from products.tasks import low_stock_alert

    transaction.on_commit(
        lambda: low_stock_alert.delay(str(movement.product_id), str(movement.id)), robust=True
    )


def _low_stock_thresholds(products: Iterable[Product]) -> dict[uuid.UUID, int]:
    shop_ids = {product.shop_id for product in products}
    if not shop_ids:
        return {}
    return dict(Shop.objects.filter(id__in=shop_ids).values_list("id", "low_stock_threshold"))


@raises(InsufficientStock)
def stock_adjust(
    *, product_id: uuid.UUID, action: str, quantity: int, actor: User | None, note: str = ""
) -> Product:
    """A shop member's manual change: `add`, `remove` or `set` (quantity already validated)."""
    with transaction.atomic():
        locked = lock_products([product_id])
        if product_id not in locked:
            raise NotFound("Product not found.")
        current = locked[product_id].stock
        target = {"add": current + quantity, "remove": current - quantity, "set": quantity}[action]
        if target > MAX_STOCK:
            raise InvalidInput({"quantity": [f"Stock cannot exceed {MAX_STOCK}."]})
        delta, reason = {
            "add": (quantity, Reason.MANUAL_ADD),
            "remove": (-quantity, Reason.MANUAL_REMOVE),
            "set": (quantity - current, Reason.MANUAL_SET),
        }[action]
        stock_apply(
            changes=[StockChange(product_id, delta)],
            reason=reason,
            actor=actor,
            note=note,
            locked=locked,
        )
        return locked[product_id]


def ledger_drift() -> list[tuple[uuid.UUID, int, int]]:
    """Products whose stock differs from the sum of their movements: (id, stock, ledger sum)."""
    ledger = (
        InventoryMovement.objects.filter(product=OuterRef("pk"))
        .values("product")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    rows = (
        Product.objects.annotate(
            ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0))
        )
        .exclude(stock=F("ledger"))
        .order_by("id")
        .values_list("id", "stock", "ledger")
    )
    return [(pid, stock, int(total)) for pid, stock, total in rows]
