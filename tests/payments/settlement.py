"""Builders for the settlement tests: paid orders, completed orders, refunds."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderGroup
from orders.services import order_status_change
from payments.models import LedgerEntry, Payment, Refund
from payments.services import refund_create, to_kobo
from tests.payments.helpers import make_group


def paid_order(
    *,
    customer=None,
    shop=None,
    price: Decimal = Decimal("1000.00"),
    quantity: int = 1,
    delivery_fee: Decimal = Decimal("0.00"),
    commission: Decimal = Decimal("0.00"),
    payment_method: str = "paystack",
) -> Order:
    """One order of one line, as checkout leaves it, with its commission frozen; a Paystack one
    is paid (a successful attempt for its total)."""
    group, orders, _ = make_group(
        customer=customer,
        shops=[shop] if shop is not None else None,
        prices=[price],
        quantity=quantity,
        delivery_fee=delivery_fee,
        payment_method=payment_method,
        expires_in=None,
    )
    order = orders[0]
    order.commission_total = commission
    order.items.update(commission_amount=commission)
    order.save(update_fields=["commission_total"])
    if payment_method == "paystack":
        Payment.objects.create(
            reference=f"PAY-{secrets.token_hex(6)}",
            group=group,
            amount=to_kobo(group.total),
            currency="NGN",
            status=Payment.Status.SUCCESS,
            paid_at=timezone.now(),
        )
        Order.objects.filter(group=group).update(is_paid=True)
        OrderGroup.objects.filter(pk=group.pk).update(payment_status="paid")
    order.refresh_from_db()
    return order


def move(order: Order, *statuses: str, cash_collected: bool | None = None) -> Order:
    """The shop's owner moves the order through `statuses` (a pickup order: processing, then
    completed)."""
    for status in statuses:
        order = order_status_change(
            shop=order.shop,
            order_id=order.id,
            actor=order.shop.owner,
            status=status,
            cash_collected=cash_collected if status == "completed" else None,
        )
    return order


def refund_goods(
    order: Order, *, amount: int, commission: int, reason: str = "Returned."
) -> Refund:
    """A refund of part of the order's goods, as the returns code records one."""
    with transaction.atomic():
        payment = Payment.objects.get(group_id=order.group_id, status=Payment.Status.SUCCESS)
        return refund_create(
            payment=payment,
            amount=amount,
            reason=reason,
            order=order,
            commission_reversed=commission,
        )


def entries(order: Order) -> list[tuple[str, Decimal]]:
    """The ledger entries about `order`, as (kind, amount), in a stable order."""
    rows = LedgerEntry.objects.filter(order=order).values_list("kind", "amount")
    return sorted(rows)


def payable_shop(*, amount: Decimal = Decimal("5000.00"), fake=None, **shop_fields):
    """A shop with a verified payout account (a recipient the fake knows, when given) and
    `amount` available, earned from a completed order (hold of 0 days expected)."""
    from payments.models import PayoutAccount
    from tests import factories

    shop = factories.ShopFactory(**shop_fields)
    recipient_code = f"RCP_{secrets.token_hex(6)}"
    if fake is not None:
        _, created = fake.create_recipient(
            {
                "type": "nuban",
                "name": "ADA OBI STORES",
                "account_number": f"{secrets.randbelow(10**10):010d}",
                "bank_code": "058",
                "currency": "NGN",
            }
        )
        recipient_code = created["data"]["recipient_code"]
    PayoutAccount.objects.create(
        shop=shop,
        bank_code="058",
        bank_name="Guaranty Trust Bank",
        account_number="0123456789",
        account_name="ADA OBI STORES",
        recipient_code=recipient_code,
        verified_at=timezone.now(),
    )
    if amount:
        move(paid_order(shop=shop, price=amount), "processing", "completed")
    return shop
