"""The "world" every security test runs against: two shops, their people, a customer's cart,
addresses, order groups and payments, and one real Bearer token per role.

Path parameters of the matrix are filled with shop A's objects and the customer's objects (the
"own" objects); shop B and a second customer are the other tenants.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from carts.models import WishlistItem
from orders.models import Order, OrderEvent, OrderGroup, Return
from orders.returns import return_create
from payments.models import Payment, PayoutAccount
from products.inventory import StockChange, stock_apply
from products.models import Category, Product, ProductImage
from products.services import product_image_add
from reviews.models import Review
from reviews.services import review_create
from shops.models import DeliveryZone, Shop
from tests import factories
from users.models import Address, User
from users.services import tokens_for_user, user_deactivate

# Every kind of caller the contract distinguishes, in the column order of the matrix.
ROLES = (
    "anonymous",
    "unverified",
    "customer",
    "owner",
    "staff",
    "other_owner",
    "deactivated_staff",
    "admin",
)

_group_numbers = iter(range(1, 10**9))


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    """A small real PNG, as a fresh upload (an upload can be read once)."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class World:
    shop: Shop
    owner: User
    staff: User
    deactivated_staff: User
    product: Product  # active, in stock, in `used_category`, with `image`, ordered
    inactive_product: Product
    zone: DeliveryZone  # shop A's Lagos zone
    image: ProductImage
    used_category: Category
    category: Category  # a leaf with no products: the one the category paths name
    other_shop: Shop
    other_owner: User
    other_staff: User
    other_product: Product
    other_image: ProductImage
    customer: User
    address: Address
    cart_item: Any
    group: OrderGroup  # paystack, unpaid, pending orders in shop A and shop B
    order: Order  # the group's order in shop A
    other_order: Order  # the group's order in shop B
    payment: Payment  # a pending attempt on `group`
    paid_group: OrderGroup
    paid_payment: Payment
    completed_order: Order  # the customer's cash order in shop A, completed just now
    ret: Return  # a requested return of one of its two units
    second_customer: User
    second_address: Address
    second_cart_item: Any
    second_group: OrderGroup
    second_payment: Payment
    unverified: User
    admin: User
    reviewed_product: Product  # of shop A, bought by the customer (completed) and reviewed
    review: Review  # the customer's review of `reviewed_product`
    users: dict[str, User | None] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return self.users[role]

    def shop_of(self, user: User) -> Shop:
        """The shop a (foreign) shop member acts in."""
        if user.shop_id is not None:
            return user.shop
        return Shop.objects.filter(owner=user).order_by("created_at").first()


def _group(
    *, customer: User, lines: list[tuple[Product, int]], paid: bool = False
) -> tuple[OrderGroup, list[Order]]:
    """An order group as checkout leaves it: one pending order per shop, stock taken."""
    number = f"S{next(_group_numbers):07d}"
    group = factories.OrderGroupFactory(
        number=number,
        customer=customer,
        payment_method="paystack",
        fulfillment_method="pickup",
        subtotal=Decimal("0.00"),
        total=Decimal("0.00"),
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    orders: list[Order] = []
    total = Decimal("0.00")
    for index, (product, quantity) in enumerate(lines, start=1):
        line_total = product.price * quantity
        order = factories.OrderFactory(
            group=group,
            shop=product.shop,
            number=f"{number}-{index}",
            subtotal=line_total,
            total=line_total,
            is_paid=paid,
        )
        factories.OrderItemFactory(order=order, product=product, quantity=quantity)
        variant = product.variants.get()
        stock_apply(
            changes=[StockChange(variant.id, -quantity)],
            reason="checkout",
            order_ids={variant.id: order.id},
        )
        orders.append(order)
        total += line_total
    group.subtotal = group.total = total
    if paid:
        group.payment_status = OrderGroup.PaymentStatus.PAID
        group.paid_at = timezone.now()
        group.expires_at = None
    group.save()
    return group, orders


def _completed_order(*, customer: User, product: Product) -> tuple[Order, Return]:
    """A cash pickup order of two units, completed and paid in cash, with a requested return of
    one unit (the other may still be returned or refunded)."""
    group, (order,) = _group(customer=customer, lines=[(product, 2)])
    OrderGroup.objects.filter(id=group.id).update(
        payment_method="cash", payment_status=OrderGroup.PaymentStatus.PAID, expires_at=None
    )
    Order.objects.filter(id=order.id).update(
        status=Order.Status.COMPLETED, is_paid=True, cash_collected=True
    )
    OrderEvent.objects.create(order=order, status=Order.Status.COMPLETED)
    order.refresh_from_db()
    [line] = order.items.all()
    ret = return_create(
        user=customer,
        order_id=order.id,
        items=[{"order_item_id": line.id, "quantity": 1}],
        reason=Return.Reason.DAMAGED,
    )
    return order, ret


def _payment(group: OrderGroup, *, success: bool = False) -> Payment:
    return Payment.objects.create(
        reference=f"{group.number}-{'paid' if success else 'try'}-1",
        group=group,
        amount=int(group.total * 100),
        currency=group.currency,
        status=Payment.Status.SUCCESS if success else Payment.Status.PENDING,
        paid_at=timezone.now() if success else None,
    )


def build_world() -> World:
    owner = factories.UserFactory()
    shop = factories.ShopFactory(owner=owner)
    PayoutAccount.objects.create(
        shop=shop,
        bank_code="058",
        bank_name="Guaranty Trust Bank",
        account_number="0123456789",
        account_name="ADA OBI STORES",
        recipient_code="RCP_security",
        verified_at=timezone.now(),
    )
    staff = factories.StaffFactory(shop=shop)
    deactivated_staff = factories.StaffFactory(shop=shop)
    used_category = factories.CategoryFactory()
    category = factories.CategoryFactory()
    product = factories.ProductFactory(shop=shop, stock=50)
    product.categories.add(used_category)
    inactive_product = factories.ProductFactory(shop=shop, is_active=False)
    image = product_image_add(product=product, upload=png_upload())
    zone = factories.DeliveryZoneFactory(shop=shop)

    other_owner = factories.UserFactory()
    other_shop = factories.ShopFactory(owner=other_owner)
    other_staff = factories.StaffFactory(shop=other_shop)
    other_product = factories.ProductFactory(shop=other_shop, stock=50)
    other_image = product_image_add(product=other_product, upload=png_upload())

    customer = factories.UserFactory()
    address = factories.AddressFactory(user=customer, is_default=True)
    cart = factories.CartFactory(user=customer)
    cart_item = factories.CartItemFactory(cart=cart, product=product, quantity=2)
    factories.CartItemFactory(cart=cart, product=other_product, quantity=1)
    group, (order, other_order) = _group(
        customer=customer, lines=[(product, 1), (other_product, 2)]
    )
    payment = _payment(group)
    paid_group, _ = _group(customer=customer, lines=[(product, 1)], paid=True)
    paid_payment = _payment(paid_group, success=True)
    completed_order, ret = _completed_order(customer=customer, product=product)

    second_customer = factories.UserFactory()
    second_address = factories.AddressFactory(user=second_customer)
    second_cart_item = factories.CartItemFactory(
        cart=factories.CartFactory(user=second_customer), product=product
    )
    second_group, _ = _group(customer=second_customer, lines=[(product, 1)])
    second_payment = _payment(second_group)

    unverified = factories.UserFactory(is_email_verified=False)
    admin = factories.UserFactory(is_staff=True, is_superuser=True)

    # The customer received `product` and `reviewed_product` (a completed order): a verified
    # buyer of both, who reviewed the second one, and saved `product` to their wishlist.
    reviewed_product = factories.ProductFactory(shop=shop, stock=50)
    _received, received_orders = _group(
        customer=customer, lines=[(product, 1), (reviewed_product, 1)], paid=True
    )
    Order.objects.filter(id__in=[o.id for o in received_orders]).update(
        status=Order.Status.COMPLETED
    )
    review = review_create(
        user=customer, product=reviewed_product, rating=4, title="Good", body="As shown."
    )
    WishlistItem.objects.create(user=customer, product=product)

    world = World(
        shop=shop,
        owner=owner,
        staff=staff,
        deactivated_staff=deactivated_staff,
        product=product,
        inactive_product=inactive_product,
        zone=zone,
        image=image,
        used_category=used_category,
        category=category,
        other_shop=other_shop,
        other_owner=other_owner,
        other_staff=other_staff,
        other_product=other_product,
        other_image=other_image,
        customer=customer,
        address=address,
        cart_item=cart_item,
        group=group,
        order=order,
        other_order=other_order,
        payment=payment,
        paid_group=paid_group,
        paid_payment=paid_payment,
        completed_order=completed_order,
        ret=ret,
        second_customer=second_customer,
        second_address=second_address,
        second_cart_item=second_cart_item,
        second_group=second_group,
        second_payment=second_payment,
        unverified=unverified,
        admin=admin,
        reviewed_product=reviewed_product,
        review=review,
    )
    world.users = {
        "anonymous": None,
        "unverified": unverified,
        "customer": customer,
        "owner": owner,
        "staff": staff,
        "other_owner": other_owner,
        "deactivated_staff": deactivated_staff,
        "admin": admin,
        # Foreign callers of the tenancy tests.
        "other_staff": other_staff,
        "second_customer": second_customer,
    }
    world.tokens = {
        role: tokens_for_user(user=user) for role, user in world.users.items() if user is not None
    }
    # Deactivated after its token was issued: that token must stop working at once.
    user_deactivate(user=deactivated_staff)
    world.users["deactivated_staff"].refresh_from_db()
    return world
