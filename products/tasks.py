from __future__ import annotations

from celery import Task, shared_task

from core.emails import EmailInProgress, deliver_email
from core.tasks import EMAIL_TASK_OPTIONS, email_busy_retry
from products.models import Product, ProductVariant


@shared_task(soft_time_limit=30, time_limit=60, **EMAIL_TASK_OPTIONS)
def low_stock_alert(
    self: Task, product_id: str, movement_id: str, variant_id: str | None = None
) -> bool:
    """E-mail the shop owner that a variant (of a product) fell to or below the shop's
    threshold; the mail names the variant's options when the product has several.

    Keyed by the movement that crossed the threshold: once per crossing, however often it runs.
    """
    product = Product.objects.select_related("shop__owner").filter(id=product_id).first()
    if product is None or not product.shop.owner.email:
        return False
    variant = ProductVariant.objects.filter(id=variant_id, product=product).first()
    label = variant.label(product) if variant else ""
    name = f"{product.name} ({label})" if label else product.name
    stock = variant.stock if variant else product.stock
    try:
        return deliver_email(
            to=product.shop.owner.email,
            subject=f"Low stock: {name}",
            template="low_stock",
            context={
                "shop_name": product.shop.name,
                "product_name": name,
                "stock": stock,
                "threshold": product.shop.low_stock_threshold,
            },
            key=f"low-stock:{movement_id}",
        )
    except EmailInProgress as exc:
        email_busy_retry(self, exc)
        return False
