"""What the orders app tells the apps above it; they connect in their `AppConfig.ready()`."""

from django.dispatch import Signal

# Sent inside the cancelling transaction, with the group's row locked, when cancelled orders had
# been paid online: `group`, `orders` (the paid ones among those cancelled) and `reason`. A
# receiver that starts a refund returns True, and the cancellation e-mail then says so.
paid_orders_cancelled = Signal()

# Sent inside the transaction that completes an order, with the group's and its orders' rows
# locked: `order` (now `completed`, with `completed_at` set) and `group`. The settlement ledger
# credits the shop then, in the same transaction.
order_completed = Signal()

# Sent inside the transaction that decides to give money back for part of a completed order (a
# return moved to `refunded`), with the group's and the order's rows locked: `due`
# (`orders.returns.RefundDue`: the order, the lines and amounts, the reason). The app that
# moves money records it there, in the same transaction, or raises to undo the whole change.
order_refund_due = Signal()
