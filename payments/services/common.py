"""Shared pieces of the payment services: statuses, limits and kobo."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from orders.models import OrderGroup
from payments.models import Payment

PaymentStatus = Payment.Status
GroupPaymentStatus = OrderGroup.PaymentStatus

# Paystack accepts only these characters in a reference.
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9.=\-]{1,100}$")
# Payment attempts one order group may start (each one creates a Paystack transaction).
MAX_ATTEMPTS_PER_GROUP = 20
# Attempts still pending this long are asked about (webhooks can be late or lost).
REVERIFY_AFTER = timedelta(minutes=5)
# Refunds still `processing` this long after they were sent are asked about (their webhook
# may be lost).
RECONCILE_REFUNDS_AFTER = timedelta(minutes=30)


def to_kobo(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())
