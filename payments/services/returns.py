"""Money back for part of a completed order: partial refunds and refunded returns.

`orders.returns` decides what goes back (from the order's snapshots, under the order's lock)
and this records it in the same transaction: a Paystack order is refunded through Paystack (a
partial refund of the paid reference, sent after commit and settled by its webhook like any
other refund), a cash order's refund is recorded as cash, `processed` at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from django.db import transaction

from core.errors import Conflict, raises
from orders.models import PaymentMethod
from orders.returns import RefundDue, order_refund_take
from payments import decisions
from payments.models import Refund, RefundItem
from payments.services.common import PaymentStatus, to_kobo
from payments.services.refunds import refund_submit_on_commit, refunded_so_far
from payments.services.settlement import record_refund_entries
from shops.models import Shop
from users.models import User


@raises(Conflict)
def refund_record(*, due: RefundDue) -> Refund:
    """Record the money `due` sends back. The caller holds the group's and the order's locks
    (their transaction is this one); the lock order goes on with the payment rows.

    The shop's ledger gets `refund` and `commission_reversed` (and, for cash the shop handed
    back, `cash_collected`) in the same transaction (`settlement.record_refund_entries`).

    A Paystack refund is taken whole from one successful payment of the group, never more than
    what is left of it (`decisions.refund_allocate`): otherwise `409 conflict` and nothing of
    the change stays.
    """
    group = due.group
    amount = to_kobo(due.amount)
    fields = {
        "id": due.id,
        "order": due.order,
        "return_request": due.return_request,
        "amount": amount,
        "delivery_fee": to_kobo(due.delivery_fee),
        "commission_reversed": to_kobo(due.commission),
        "reason": due.reason,
        "created_by": due.actor,
    }
    if group.payment_method == PaymentMethod.PAYSTACK:
        successful = group.payments.filter(status=PaymentStatus.SUCCESS).order_by("paid_at", "id")
        payments = {payment.pk: payment for payment in successful.select_for_update()}
        allocation = decisions.refund_allocate(
            amount=amount,
            payments=[
                decisions.PaymentBalance(
                    id=payment.pk, amount=payment.amount, refunded=refunded_so_far(payment)
                )
                for payment in payments.values()
            ],
        )
        if allocation is None or allocation.amount != amount:
            raise Conflict("The payment has less left to refund than this refund.")
        refund = Refund.objects.create(
            method=Refund.Method.PAYSTACK, payment=payments[allocation.payment_id], **fields
        )
        refund_submit_on_commit(refund)
    else:
        refund = Refund.objects.create(
            method=Refund.Method.CASH, status=Refund.Status.PROCESSED, **fields
        )
    RefundItem.objects.bulk_create(
        [
            RefundItem(
                refund=refund,
                order_item=line.order_item,
                quantity=line.quantity,
                amount=line.amount,
                commission=line.commission,
            )
            for line in due.lines
        ]
    )
    record_refund_entries(refund)
    return refund


@raises(order_refund_take, refund_record)
def order_refund_create(
    *,
    shop: Shop,
    order_id: uuid.UUID,
    actor: User,
    items: Sequence[Mapping[str, object]],
    delivery_fee: bool,
    reason: str,
) -> Refund:
    """A partial refund without a return (`orders.returns.order_refund_take`), recorded."""
    with transaction.atomic():
        due = order_refund_take(
            shop=shop,
            order_id=order_id,
            actor=actor,
            items=items,
            delivery_fee=delivery_fee,
            reason=reason,
        )
        return refund_record(due=due)
