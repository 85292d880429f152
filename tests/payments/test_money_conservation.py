"""Money is conserved, to the kobo, through a few hundred random orders, completions, refunds
and payouts: what the shops hold in their ledgers, plus what was paid out to them, plus the cash
they collected, plus the platform's commission, is what customers paid for completed orders
less what was refunded on them. Every term but the ledgers' stored balances is read from the
orders, refunds and payouts themselves."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from orders.commission import commission_amount
from orders.models import Order
from payments.models import Payout, PayoutAccount, Refund, ShopBalance
from payments.services import payouts, to_kobo
from payments.services.returns import order_refund_create
from tests import factories
from tests.payments.settlement import move, paid_order, refund_goods

pytestmark = pytest.mark.django_db

D = Decimal
STEPS = 300


def total(queryset, field) -> Decimal:
    return D(queryset.aggregate(total=Sum(field))["total"] or 0)


def test_money_is_conserved_through_random_operations(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM = D("1000.00")
    rng = random.Random(16)
    shops = [factories.ShopFactory() for _ in range(4)]
    for shop in shops:
        PayoutAccount.objects.create(
            shop=shop,
            bank_code="058",
            bank_name="Guaranty Trust Bank",
            account_number="0123456789",
            account_name="A SHOP",
            recipient_code=f"RCP_{shop.code}",
            verified_at=timezone.now(),
        )
    open_orders: list[Order] = []
    refundable: list[Order] = []
    done = {"order": 0, "complete": 0, "refund": 0, "payout": 0}

    for _ in range(STEPS):
        action = rng.choices(["order", "complete", "refund", "payout"], [4, 4, 3, 1])[0]
        if action == "order" or (not open_orders and action == "complete"):
            price = D(rng.randint(100, 900_000)) / 100
            quantity = rng.randint(1, 4)
            rate = D(rng.choice(["0", "2.5", "7.5", "10", "12.35", "33.33"]))
            order = paid_order(
                shop=rng.choice(shops),
                price=price,
                quantity=quantity,
                delivery_fee=D(rng.choice(["0", "500.00", "1250.50"])),
                commission=commission_amount(line_total=price * quantity, rate=rate),
                payment_method=rng.choice(["paystack", "paystack", "cash"]),
            )
            move(order, "processing")
            open_orders.append(order)
            if order.group.payment_method == "paystack":
                refundable.append(order)
            done["order"] += 1
        elif action == "complete":
            order = open_orders.pop(rng.randrange(len(open_orders)))
            cash = order.group.payment_method == "cash"
            move(order, "completed", cash_collected=True if cash else None)
            done["complete"] += 1
        elif action == "refund" and refundable:
            order = rng.choice(refundable)
            refunded = int(total(Refund.objects.filter(order=order), "amount"))
            reversed_commission = int(
                total(Refund.objects.filter(order=order), "commission_reversed")
            )
            left = to_kobo(order.total) - refunded
            if left <= 0:
                continue
            amount = rng.randint(1, left)
            commission_left = to_kobo(order.commission_total) - reversed_commission
            refund_goods(order, amount=amount, commission=rng.randint(0, max(commission_left, 0)))
            done["refund"] += 1
        elif action == "payout":
            for payout_id in payouts.payouts_run():
                outcome = rng.choice(["success", "success", "failed", "pending", "otp"])
                payouts.payout_apply(payout_id=payout_id, provider_status=outcome)
                if outcome == "success" and rng.random() < 0.3:
                    payouts.payout_apply(payout_id=payout_id, provider_status="reversed")
            done["payout"] += 1

    assert min(done.values()) > 10, done  # every kind of event really happened

    completed = Order.objects.filter(status="completed")
    refunds = Refund.objects.filter(order__status="completed")
    customers_paid = total(completed, "total")
    refunded = total(refunds, "amount") / 100
    commission = total(completed, "commission_total") - total(refunds, "commission_reversed") / 100
    paid_out = total(Payout.objects.exclude(status__in=["failed", "reversed"]), "amount")
    cash_held = total(completed.filter(group__payment_method="cash"), "total")
    ledgers = total(ShopBalance.objects.all(), "total")

    assert ledgers + paid_out + cash_held + commission == customers_paid - refunded
    call_command("check_ledger")  # every stored balance is the sum of its entries


def test_money_is_conserved_through_partial_refunds_of_completed_orders(settings):
    """The same sum, with the money given back the way shops give it: partial refunds of
    completed orders (`order_refund_create`: some units, the delivery fee once), Paystack and
    cash orders alike; the cash a shop handed back is no longer cash it holds."""
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM = D("1000.00")
    rng = random.Random(9)
    shops = [factories.ShopFactory() for _ in range(3)]
    for shop in shops:
        PayoutAccount.objects.create(
            shop=shop,
            bank_code="058",
            bank_name="Guaranty Trust Bank",
            account_number="0123456789",
            account_name="A SHOP",
            recipient_code=f"RCP_{shop.code}",
            verified_at=timezone.now(),
        )
    completed_orders: list[Order] = []
    done = {"order": 0, "paystack refund": 0, "cash refund": 0, "payout": 0}

    for _ in range(STEPS // 2):
        action = rng.choices(["order", "refund", "payout"], [4, 4, 1])[0]
        if action == "order" or not completed_orders:
            price = D(rng.randint(100, 900_000)) / 100
            rate = D(rng.choice(["0", "2.5", "10", "12.35", "33.33"]))
            quantity = rng.randint(1, 4)
            method = rng.choice(["paystack", "cash"])
            order = paid_order(
                shop=rng.choice(shops),
                price=price,
                quantity=quantity,
                delivery_fee=D(rng.choice(["0", "500.00", "1250.50"])),
                commission=commission_amount(line_total=price * quantity, rate=rate),
                payment_method=method,
            )
            move(order, "processing")
            move(order, "completed", cash_collected=True if method == "cash" else None)
            completed_orders.append(order)
            done["order"] += 1
        elif action == "refund":
            order = Order.objects.get(pk=rng.choice(completed_orders).pk)
            line = order.items.get()
            left = line.quantity - line.returned_quantity
            units = rng.randint(0, left)
            fee = order.delivery_fee > 0 and not order.delivery_fee_refunded and rng.random() < 0.4
            if not units and not fee:
                continue
            order_refund_create(
                shop=order.shop,
                order_id=order.id,
                actor=order.shop.owner,
                items=[{"order_item_id": line.id, "quantity": units}] if units else [],
                delivery_fee=fee,
                reason="Partial refund.",
            )
            done[f"{order.group.payment_method} refund"] += 1
        elif action == "payout":
            for payout_id in payouts.payouts_run():
                outcome = rng.choice(["success", "success", "failed", "pending"])
                payouts.payout_apply(payout_id=payout_id, provider_status=outcome)
            done["payout"] += 1

    assert min(done.values()) > 5, done  # every kind of event really happened

    completed = Order.objects.filter(status="completed")
    refunds = Refund.objects.filter(order__status="completed")
    assert refunds.filter(method="cash").exists() and refunds.filter(method="paystack").exists()
    customers_paid = total(completed, "total")
    refunded = total(refunds, "amount") / 100
    assert refunded == total(completed, "refunded_amount")
    commission = total(completed, "commission_total") - total(refunds, "commission_reversed") / 100
    paid_out = total(Payout.objects.exclude(status__in=["failed", "reversed"]), "amount")
    cash_held = (
        total(completed.filter(group__payment_method="cash"), "total")
        - total(refunds.filter(method="cash"), "amount") / 100
    )
    ledgers = total(ShopBalance.objects.all(), "total")

    assert ledgers + paid_out + cash_held + commission == customers_paid - refunded
    call_command("check_ledger")
