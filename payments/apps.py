from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self) -> None:
        from orders.signals import order_completed, order_refund_due, paid_orders_cancelled
        from payments import receivers

        paid_orders_cancelled.connect(
            receivers.on_paid_orders_cancelled, dispatch_uid="payments.paid_orders_cancelled"
        )
        order_completed.connect(
            receivers.on_order_completed, dispatch_uid="payments.order_completed"
        )
        order_refund_due.connect(
            receivers.on_order_refund_due, dispatch_uid="payments.order_refund_due"
        )
