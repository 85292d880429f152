"""An order's `status_rank` (what `?ordering=status` sorts on, through an index) follows its
status through every kind of write, and the lifecycle order is the one it always was."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from orders.models import Order, order_status_rank
from orders.services import order_group_cancel, order_status_change
from tests.factories import OrderFactory, ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db


def stored(order: Order) -> tuple[str, int]:
    return tuple(Order.objects.filter(pk=order.pk).values_list("status", "status_rank").get())


def test_the_lifecycle_order():
    assert [order_status_rank(s) for s in Order.Status.values] == [0, 1, 2, 3, 4]
    assert order_status_rank("pending") < order_status_rank("processing")
    assert order_status_rank("completed") < order_status_rank("cancelled")


def test_every_kind_of_write_keeps_the_rank_in_step():
    order = OrderFactory()
    assert stored(order) == ("pending", 0)
    order.status = "shipped"
    order.save(update_fields=["status"])
    assert stored(order) == ("shipped", 2)
    order.status = "completed"
    order.save()
    assert stored(order) == ("completed", 3)
    Order.objects.filter(pk=order.pk).update(status="processing")
    assert stored(order) == ("processing", 1)
    order.group.orders.update(status="cancelled")
    assert stored(order) == ("cancelled", 4)
    order.status = "shipped"
    Order.objects.bulk_update([order], ["status"])
    assert stored(order) == ("shipped", 2)
    made = OrderFactory.build(group=order.group, shop=order.shop, status="completed")
    Order.objects.bulk_create([made])
    assert stored(made) == ("completed", 3)
    assert stored(OrderFactory(status="processing")) == ("processing", 1)


def test_a_save_of_other_fields_of_a_partly_loaded_order_reads_nothing_more(
    django_assert_num_queries,
):
    order = OrderFactory(status="shipped")
    partial = Order.objects.only("id", "cash_collected").get(pk=order.pk)
    partial.cash_collected = True
    with django_assert_num_queries(1):
        partial.save(update_fields=["cash_collected"])
    assert stored(order) == ("shipped", 2)


def test_the_services_keep_the_rank_in_step(customer):
    shop = ShopFactory()
    group = place_order(customer, [(ProductFactory(shop=shop), 1)], payment="cash")
    order = group.orders.get()
    assert stored(order) == ("pending", 0)
    order_status_change(shop=shop, order_id=order.id, actor=shop.owner, status="processing")
    assert stored(order) == ("processing", 1)
    other = place_order(UserFactory(), [(ProductFactory(shop=shop), 1)], payment="cash")
    order_group_cancel(user=other.customer, group_id=other.id, reason="Changed my mind.")
    assert stored(other.orders.get()) == ("cancelled", 4)


def test_the_lifecycle_order_of_a_shops_orders(client_for):
    shop = ShopFactory()
    statuses = ["completed", "pending", "cancelled", "shipped", "processing", "pending"]
    orders = [OrderFactory(shop=shop, status=status) for status in statuses]
    owner = client_for(shop.owner)

    def ids(query: str) -> list[str]:
        response = owner.get(f"/api/v1/shops/{shop.id}/orders/{query}")
        assert response.status_code == 200, response.content
        return [o["id"] for o in response.json()["data"]["results"]]

    newest_first = sorted(orders, key=lambda o: (o.created_at, o.id), reverse=True)
    by_rank = sorted(newest_first, key=lambda o: order_status_rank(o.status))
    assert ids("?ordering=status") == [str(o.id) for o in by_rank]
    by_rank_desc = sorted(newest_first, key=lambda o: -order_status_rank(o.status))
    assert ids("?ordering=-status") == [str(o.id) for o in by_rank_desc]
    pending = [str(o.id) for o in newest_first if o.status == "pending"]
    assert ids("?status=pending&ordering=-status") == pending
    assert ids("?status=pending&ordering=status") == pending


def test_the_migration_fills_the_rank_of_existing_orders_in_batches(monkeypatch):
    """The data migration, on orders written before the column existed (every rank 0)."""
    migration = importlib.import_module("orders.migrations.0010_order_status_rank")
    monkeypatch.setattr(migration, "BATCH", 2)
    orders = [OrderFactory(status=status) for status in Order.Status.values * 2]
    Order.objects.update(status_rank=0)
    migration.status_rank_backfill(django_apps, None)
    for order in orders:
        assert stored(order) == (order.status, order_status_rank(order.status))
    assert migration.LIFECYCLE == Order.Status.values


@pytest.mark.django_db
def test_the_command_finds_and_fixes_ranks_written_by_older_code():
    from django.core.management import CommandError, call_command

    shop = ShopFactory()
    orders = [OrderFactory(shop=shop, status=status) for status in Order.Status.values]
    call_command("refresh_status_ranks", "--check")  # all in step
    # An older release writes the status alone (as a raw UPDATE would).
    Order.objects.filter(id__in=[orders[2].id, orders[4].id]).update(status_rank=0)
    with pytest.raises(CommandError, match="2 orders"):
        call_command("refresh_status_ranks", "--check")
    call_command("refresh_status_ranks")
    for order in Order.objects.all():
        assert order.status_rank == order_status_rank(order.status)
    call_command("refresh_status_ranks", "--check")
