"""The shops' earnings ledger: what each shop has earned, owes and was paid.

Entries are append-only and each one names its cause in `LedgerEntry.key` (``sale:<order>``,
``refund:<refund>``, ``payout:<payout>``, ...): the unique index on the key means no cause is
ever recorded twice, and every writer also checks, under the lock of the cause's row, which
entries already exist, so a retried or raced event writes exactly the missing ones.

Each entry is written in the transaction of the event that causes it:
- an order's completion (`order_completion_entries`, from `orders.signals.order_completed`,
  with the group's and orders' rows locked): `sale`, `commission`, and `cash_collected` for a
  cash order or `split_settled` for a share Paystack split to the shop at payment time; then the
  entries of refunds of that order recorded before it completed;
- a refund of a completed order (`record_refund_entries`, under the order's row lock);
- payouts, their failure or reversal, and admins' adjustments (`payments.services.payouts`).

Every entry also moves the shop's stored balance (`ShopBalance.total`), whose row serialises
the shop's payouts. Lock order: the group, its orders, their refunds, then the shop's balance
row (then its payout rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Sum, When
from django.utils import timezone

from orders.models import Order, OrderGroup, PaymentMethod
from payments.models import LedgerEntry, Payment, Payout, Refund, ShopBalance
from shops.models import Shop
from users.models import User

Kind = LedgerEntry.Kind
ZERO = Decimal("0.00")


def kobo_to_money(amount: int) -> Decimal:
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def shop_balance_lock(*, shop_id: uuid.UUID) -> ShopBalance:
    """Lock the shop's balance row (created when missing); call inside a transaction."""
    ShopBalance.objects.get_or_create(shop_id=shop_id)
    return ShopBalance.objects.select_for_update().get(shop_id=shop_id)


def entries_write(entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """Write the entries whose key is not written yet, and move the shops' stored balances.

    The caller holds the lock of the entries' cause (the order's, the refund's or the payout's
    row), so no other writer can be between this check and the insert; the unique key is the
    last guard. Returns the entries written.
    """
    if not entries:
        return []
    existing = set(
        LedgerEntry.objects.filter(key__in=[e.key for e in entries]).values_list("key", flat=True)
    )
    new = [e for e in entries if e.key not in existing]
    if not new:
        return []
    LedgerEntry.objects.bulk_create(new)
    totals: dict[uuid.UUID, Decimal] = {}
    for entry in new:
        totals[entry.shop_id] = totals.get(entry.shop_id, ZERO) + entry.amount
    for shop_id in sorted(totals):
        ShopBalance.objects.get_or_create(shop_id=shop_id)
        ShopBalance.objects.filter(shop_id=shop_id).update(
            total=F("total") + totals[shop_id], updated_at=timezone.now()
        )
    return new


def _available_on(order: Order) -> datetime:
    completed_at = order.completed_at or timezone.now()
    return completed_at + timedelta(days=settings.PAYOUT_HOLD_DAYS)


def _split_share(group: OrderGroup, order: Order) -> int | None:
    """The kobo Paystack split to the order's shop when the group was paid (split mode)."""
    payments = Payment.objects.filter(group=group, status=Payment.Status.SUCCESS).order_by(
        "paid_at", "id"
    )
    for split_shares in payments.values_list("split_shares", flat=True):
        share = (split_shares or {}).get(str(order.id))
        if share is not None:
            return int(share)
    return None


def order_completion_entries(*, order: Order, group: OrderGroup) -> list[LedgerEntry]:
    """Credit the shop for a completed order: `sale` (items and delivery fee), `commission`,
    and what the shop already holds (`cash_collected`: the cash; `split_settled`: its split
    share), all available after the hold; then the entries of the order's refunds recorded
    before it completed. The caller holds the group's and the order's row locks."""
    available_on = _available_on(order)
    number = order.number

    def entry(kind: str, amount: Decimal, note: str) -> LedgerEntry:
        return LedgerEntry(
            shop_id=order.shop_id,
            kind=kind,
            amount=amount,
            order=order,
            note=note,
            key=f"{kind}:{order.id}",
            available_on=available_on,
        )

    entries = [entry(Kind.SALE, order.total, f"Order {number} completed.")]
    if order.commission_total:
        entries.append(entry(Kind.COMMISSION, -order.commission_total, f"Commission on {number}."))
    if group.payment_method == PaymentMethod.CASH:
        entries.append(
            entry(Kind.CASH_COLLECTED, -order.total, f"Cash for {number} collected by the shop.")
        )
    else:
        share = _split_share(group, order)
        if share:
            entries.append(
                entry(
                    Kind.SPLIT_SETTLED,
                    -kobo_to_money(share),
                    f"Paystack settled {number} to the shop's subaccount at payment.",
                )
            )
    written = entries_write(entries)
    # Refunds recorded while the order was open: a locking read sees every committed one.
    refunds = Refund.objects.select_for_update().filter(order=order).order_by("created_at", "id")
    for refund in refunds:
        written += entries_write(_refund_entries(refund, order))
    return written


def _refund_entries(refund: Refund, order: Order) -> list[LedgerEntry]:
    # A refund during the hold comes off what is pending; after it, off what is available.
    available_on = max(timezone.now(), _available_on(order))
    common = {
        "shop_id": order.shop_id,
        "order": order,
        "refund": refund,
        "available_on": available_on,
    }
    entries = [
        LedgerEntry(
            kind=Kind.REFUND,
            amount=-kobo_to_money(refund.amount),
            note=f"Refund on {order.number}: {refund.reason}"[:500],
            key=f"{Kind.REFUND}:{refund.pk}",
            **common,
        )
    ]
    if refund.commission_reversed:
        entries.append(
            LedgerEntry(
                kind=Kind.COMMISSION_REVERSED,
                amount=kobo_to_money(refund.commission_reversed),
                note=f"Commission on the refunded part of {order.number}.",
                key=f"{Kind.COMMISSION_REVERSED}:{refund.pk}",
                **common,
            )
        )
    if refund.method == Refund.Method.CASH:
        # The shop handed the cash back itself: it no longer holds that part of what it
        # collected (the mirror of the order's `cash_collected`), so the refund costs it once.
        entries.append(
            LedgerEntry(
                kind=Kind.CASH_COLLECTED,
                amount=kobo_to_money(refund.amount),
                note=f"Cash handed back by the shop for {order.number}.",
                key=f"{Kind.CASH_COLLECTED}:{refund.pk}",
                **common,
            )
        )
    return entries


def record_refund_entries(refund: Refund) -> list[LedgerEntry]:
    """Debit the shop for `refund`: `refund` (- its amount) and `commission_reversed` (+ its
    `commission_reversed`), when the refund is for an order's goods and that order is completed.

    Call it in the transaction that records the refund (`refund_create` does). It locks the
    order's row, so that a completion racing with the refund writes these entries exactly once:
    whichever commits second sees the other (`order_completion_entries` writes the entries of
    refunds recorded before completion). Refunds with no order (a duplicate or late payment)
    never touch a shop's ledger. Safe to call more than once. Returns the entries written.
    """
    if refund.order_id is None:
        return []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        if order.status != Order.Status.COMPLETED:
            return []
        return entries_write(_refund_entries(refund, order))


def adjustment_create(*, shop: Shop, amount: Decimal, note: str, actor: User) -> LedgerEntry:
    """An admin's correction of a shop's balance (signed), available at once."""
    now = timezone.now()
    entry = LedgerEntry(
        id=uuid.uuid4(),
        shop_id=shop.id,
        kind=Kind.ADJUSTMENT,
        amount=amount,
        note=note[:500],
        available_on=now,
        created_by=actor,
    )
    entry.key = f"{Kind.ADJUSTMENT}:{entry.id}"
    with transaction.atomic():
        shop_balance_lock(shop_id=shop.id)
        entries_write([entry])
    return entry


# --- Reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Decimal
    available: Decimal
    paid_out: Decimal
    total: Decimal


def _sum(field_filter: Q) -> Sum:
    return Sum(Case(When(field_filter, then=F("amount")), default=ZERO))


def shop_available(*, shop_id: uuid.UUID, now: datetime | None = None) -> Decimal:
    """What may be paid to the shop now: the sum of its entries already available."""
    now = now or timezone.now()
    total = LedgerEntry.objects.filter(shop_id=shop_id, available_on__lte=now).aggregate(
        total=Sum("amount")
    )["total"]
    return (total or ZERO).quantize(Decimal("0.01"))


def shop_balance(*, shop: Shop, now: datetime | None = None) -> Balance:
    """The shop's balance from its entries, in one query."""
    now = now or timezone.now()
    sums = LedgerEntry.objects.filter(shop=shop).aggregate(
        pending=_sum(Q(available_on__gt=now)),
        available=_sum(Q(available_on__lte=now)),
        paid_out=_sum(Q(kind__in=[Kind.PAYOUT, Kind.PAYOUT_REVERSED])),
    )
    pending = (sums["pending"] or ZERO).quantize(Decimal("0.01"))
    available = (sums["available"] or ZERO).quantize(Decimal("0.01"))
    return Balance(
        currency=settings.CURRENCY,
        pending=pending,
        available=available,
        paid_out=ZERO - (sums["paid_out"] or ZERO).quantize(Decimal("0.01")),
        total=pending + available,
    )


# --- Checks -----------------------------------------------------------------------------------


def ledger_drift() -> list[tuple[uuid.UUID, Decimal, Decimal]]:
    """Shops whose stored balance differs from the sum of their entries:
    (shop id, stored, sum of entries). A shop with entries and no stored balance counts 0."""
    sums = dict(
        LedgerEntry.objects.values("shop_id")
        .annotate(total=Sum("amount"))
        .values_list("shop_id", "total")
    )
    stored = dict(ShopBalance.objects.values_list("shop_id", "total"))
    drift = []
    for shop_id in sorted(set(sums) | set(stored)):
        expected = sums.get(shop_id) or ZERO
        kept = stored.get(shop_id) or ZERO
        if kept != expected:
            drift.append((shop_id, kept, expected))
    return drift


def ledger_cause_problems() -> list[str]:
    """Causes whose entries are missing or wrong: a completed order without its `sale` (or
    with a sale or commission that is not the order's), a payout without its `payout` entry,
    a failed or reversed payout not credited back (or a paid one that was)."""
    problems = []
    sales = dict(LedgerEntry.objects.filter(kind=Kind.SALE).values_list("order_id", "amount"))
    commissions = dict(
        LedgerEntry.objects.filter(kind=Kind.COMMISSION).values_list("order_id", "amount")
    )
    completed = Order.objects.filter(
        status=Order.Status.COMPLETED, completed_at__isnull=False
    ).values_list("id", "number", "total", "commission_total")
    for order_id, number, total, commission in completed:
        if sales.get(order_id) != total:
            problems.append(f"order {number}: sale {sales.get(order_id)} != total {total}")
        if commissions.get(order_id, ZERO) != -commission:
            problems.append(
                f"order {number}: commission {commissions.get(order_id)} != -{commission}"
            )
    payout_entries = dict(
        LedgerEntry.objects.filter(kind=Kind.PAYOUT).values_list("payout_id", "amount")
    )
    credited = set(
        LedgerEntry.objects.filter(kind=Kind.PAYOUT_REVERSED).values_list("payout_id", flat=True)
    )
    for payout_id, reference, amount, status in Payout.objects.values_list(
        "id", "reference", "amount", "status"
    ):
        if payout_entries.get(payout_id) != -amount:
            problems.append(
                f"payout {reference}: entry {payout_entries.get(payout_id)} != -{amount}"
            )
        if (status in ("failed", "reversed")) != (payout_id in credited):
            problems.append(f"payout {reference}: {status}, credited back: {payout_id in credited}")
    return problems
