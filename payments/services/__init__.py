"""Writes for payments: initialisation, verification, refunds, and the periodic sweeps.

The money decisions themselves (what an answer or event means, what to refund) are pure
functions in `payments.decisions`; the services load, lock, apply them and queue side effects.

Rules that keep money safe:
- every attempt is stored (with its own reference and the amount we expect) before Paystack is
  called, and Paystack is never called while an order, group or stock row is locked;
- a charge is trusted only after ``GET /transaction/verify/{reference}`` says ``success`` with
  the expected amount and currency; the result is applied under the group's row lock
  (``orders.services.order_group_lock``), so concurrent webhooks, re-verifications and expiry
  apply it once;
- money that arrives for a group that cannot take it (already paid by another attempt,
  cancelled, expired) is refunded automatically.

Lock order: the webhook event row, then the group row (then its orders and products, inside
``orders.services``), then payment and refund rows.
"""

from payments.decisions import ABANDON_AFTER, REFUND_MAX_ATTEMPTS
from payments.services.common import (
    RECONCILE_REFUNDS_AFTER,
    REFERENCE_PATTERN,
    REVERIFY_AFTER,
    to_kobo,
)
from payments.services.disputes import dispute_apply_event
from payments.services.initialization import (
    payment_initialize,
    payment_reference_new,
    split_compute,
)
from payments.services.refunds import (
    refund_apply_event,
    refund_create,
    refund_event_lookup,
    refund_request,
    refund_submit,
    refunds_reconcile_stale,
    refunds_retry_due,
)
from payments.services.returns import order_refund_create, refund_record
from payments.services.sweeps import order_groups_expire_due, payments_reverify_pending
from payments.services.verification import (
    payment_apply_verification,
    payment_verify,
    verification_fetch,
)

__all__ = [
    "ABANDON_AFTER",
    "RECONCILE_REFUNDS_AFTER",
    "REFERENCE_PATTERN",
    "REFUND_MAX_ATTEMPTS",
    "REVERIFY_AFTER",
    "dispute_apply_event",
    "order_groups_expire_due",
    "order_refund_create",
    "payment_apply_verification",
    "payment_initialize",
    "payment_reference_new",
    "payment_verify",
    "payments_reverify_pending",
    "refund_apply_event",
    "refund_create",
    "refund_event_lookup",
    "refund_record",
    "refund_request",
    "refund_submit",
    "refunds_reconcile_stale",
    "refunds_retry_due",
    "split_compute",
    "to_kobo",
    "verification_fetch",
]
