import pytest

from orders.models import Order, OrderGroup
from products.models import Product
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(customer):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    return place_order(
        customer, [(ProductFactory(shop=shop_a), 2), (ProductFactory(shop=shop_b), 1)]
    )


def test_group_changelist_filters_and_search(admin_client, group, customer):
    place_order(UserFactory(email="someone@else.test"), [(ProductFactory(), 1)])
    url = "/admin/orders/ordergroup/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert group.number.encode() in response.content

    response = admin_client.get(url, {"q": customer.email})
    assert group.number.encode() in response.content
    assert b"someone@else.test" not in response.content
    response = admin_client.get(url, {"q": group.number})
    assert response.context["cl"].result_count == 1

    shop = group.orders.first().shop
    response = admin_client.get(url, {"orders__shop__id__exact": str(shop.id)})
    assert response.context["cl"].result_count == 1
    for params in ({"status__exact": "pending"}, {"payment_status__exact": "unpaid"}):
        assert admin_client.get(url, params).context["cl"].result_count == 2
    assert admin_client.get(url, {"status__exact": "cancelled"}).context["cl"].result_count == 0


def test_group_page_shows_orders_items_and_events(admin_client, group):
    response = admin_client.get(f"/admin/orders/ordergroup/{group.id}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    for order in group.orders.all():
        assert order.number in content
        for item in order.items.all():
            assert item.product_name in content
    assert "Order placed." in content


def test_order_page_and_changelist(admin_client, group):
    order = group.orders.first()
    response = admin_client.get(f"/admin/orders/order/{order.id}/change/")
    assert response.status_code == 200
    assert order.items.first().product_name in response.content.decode()
    response = admin_client.get("/admin/orders/order/", {"q": group.number})
    assert response.context["cl"].result_count == 2


def test_admin_cancel_action_goes_through_the_service(admin_client, group):
    product_ids = list(group.orders.values_list("items__product_id", flat=True))
    response = admin_client.post(
        "/admin/orders/ordergroup/",
        {"action": "cancel_groups", "_selected_action": [str(group.id)]},
        follow=True,
    )
    assert response.status_code == 200
    group.refresh_from_db()
    assert group.status == "cancelled"
    assert all(p.stock == 10 for p in Product.objects.filter(id__in=product_ids))
    # A second time is refused with a message, nothing changes.
    response = admin_client.post(
        "/admin/orders/ordergroup/",
        {"action": "cancel_groups", "_selected_action": [str(group.id)]},
        follow=True,
    )
    assert "can be cancelled" in response.content.decode()
    assert OrderGroup.objects.get(id=group.id).status == "cancelled"


def test_admin_change_forms_edit_no_frozen_field(admin_client, group):
    order = group.orders.first()
    # Every field of an order (money, snapshots, refunds) is read-only: no form field at all.
    response = admin_client.get(f"/admin/orders/order/{order.id}/change/")
    assert response.context["adminform"].form.fields == {}
    readonly = set(response.context["adminform"].readonly_fields)
    assert {f.name for f in Order._meta.concrete_fields} <= readonly
    before = Order.objects.filter(id=order.id).values().get()
    response = admin_client.post(
        f"/admin/orders/order/{order.id}/change/",
        {
            "commission_total": "0.00",
            "completed_at_0": "2020-01-01",
            "completed_at_1": "00:00:00",
            "delivery_zone": "Moon",
            "delivery_days_min": "99",
            "refunded_amount": "1.00",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    after = Order.objects.filter(id=order.id).values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    # The lines' inline shows the frozen commission and quantities, read-only.
    page = admin_client.get(f"/admin/orders/order/{order.id}/change/")
    items = page.context["inline_admin_formsets"][0]
    frozen = {"commission_rate", "commission_amount", "returned_quantity", "refunded_quantity"}
    assert frozen <= set(items.readonly_fields)
