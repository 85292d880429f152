"""The inventory endpoints, the ledger invariant, low-stock mail and `check_inventory`."""

import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum

from products.inventory import ledger_drift
from products.models import InventoryMovement, ProductVariant
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.shops.helpers import assert_error, expect


def inventory(product) -> str:
    return f"/api/v1/products/{product.id}/inventory/"


def ledger_sum(product) -> int:
    return InventoryMovement.objects.filter(product=product).aggregate(s=Sum("delta"))["s"] or 0


@pytest.fixture
def product(world):
    return ProductFactory(shop=world.shop, stock=10)


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 200),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_read_permissions(world, product, role, status):
    expect(world.client(role).get(inventory(product)), status)


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 200),
        ("staff", 200),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 200),
    ],
)
def test_adjust_permissions(world, product, role, status):
    response = world.client(role).post(
        inventory(product), {"action": "add", "quantity": 5}, format="json"
    )
    expect(response, status)
    product.refresh_from_db()
    assert product.stock == (15 if status == 200 else 10)


def test_add_remove_set_and_the_movements(world, product):
    client = world.client("staff")
    for action, quantity, note, expected in [
        ("add", 5, "delivery", 15),
        ("remove", 3, "damaged", 12),
        ("set", 7, "stock take", 7),
        ("set", 0, "", 0),
    ]:
        response = client.post(
            inventory(product),
            {"action": action, "quantity": quantity, "note": note},
            format="json",
        )
        expect(response, 200)
        assert response.json()["data"] == {"product_id": str(product.id), "stock": expected}

    data = client.get(inventory(product)).json()["data"]
    assert data["product_id"] == str(product.id) and data["stock"] == 0
    movements = data["movements"]
    assert [(m["delta"], m["reason"], m["stock_after"]) for m in movements] == [
        (-7, "manual_set", 0),
        (-5, "manual_set", 7),
        (-3, "manual_remove", 12),
        (5, "manual_add", 15),
        (10, "initial", 10),
    ]
    assert movements[1]["note"] == "stock take"
    assert movements[0]["actor"] == {"id": str(world.staff.id), "name": world.staff.full_name}
    assert movements[-1]["actor"] is None and movements[-1]["order_id"] is None
    assert set(movements[0]) == {
        "id",
        "delta",
        "reason",
        "stock_after",
        "actor",
        "order_id",
        "note",
        "created_at",
        "variant_id",
    }
    product.refresh_from_db()
    assert product.stock == ledger_sum(product) == 0


def test_set_to_the_same_value_records_nothing(world, product):
    response = world.client("owner").post(
        inventory(product), {"action": "set", "quantity": 10}, format="json"
    )
    assert response.json()["data"]["stock"] == 10
    assert InventoryMovement.objects.filter(product=product).count() == 1


def test_removing_more_than_there_is_is_409_and_changes_nothing(world, product):
    response = world.client("owner").post(
        inventory(product), {"action": "remove", "quantity": 11}, format="json"
    )
    body = assert_error(response, 409, "insufficient_stock")
    assert body["errors"] == {
        "items": [
            {
                "product_id": str(product.id),
                "variant_id": str(product.variants.get().id),
                "requested": 11,
                "available": 10,
            }
        ]
    }
    product.refresh_from_db()
    assert product.stock == 10 and InventoryMovement.objects.filter(product=product).count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 1}, "action"),
        ({"action": "steal", "quantity": 1}, "action"),
        ({"action": "add"}, "quantity"),
        ({"action": "add", "quantity": 0}, "quantity"),
        ({"action": "remove", "quantity": 0}, "quantity"),
        ({"action": "add", "quantity": -4}, "quantity"),
        ({"action": "set", "quantity": -1}, "quantity"),
        ({"action": "add", "quantity": 1.5}, "quantity"),
        ({"action": "add", "quantity": "lots"}, "quantity"),
        ({"action": "add", "quantity": True}, "quantity"),
        ({"action": "set", "quantity": 10**12}, "quantity"),
        ({"action": "add", "quantity": 1, "note": "n" * 256}, "note"),
    ],
)
def test_adjust_validation(world, product, body, field):
    response = world.client("owner").post(inventory(product), body, format="json")
    assert field in assert_error(response, 400, "validation_error")["errors"]
    product.refresh_from_db()
    assert product.stock == 10


def test_stock_cannot_overflow(world, product):
    from products.inventory import MAX_STOCK

    client = world.client("owner")
    expect(client.post(inventory(product), {"action": "set", "quantity": MAX_STOCK}), 200)
    response = client.post(inventory(product), {"action": "add", "quantity": 1}, format="json")
    assert "quantity" in assert_error(response, 400, "validation_error")["errors"]


def test_movements_are_the_newest_50(world, product):
    client = world.client("owner")
    for _ in range(55):
        client.post(inventory(product), {"action": "add", "quantity": 1}, format="json")
    movements = client.get(inventory(product)).json()["data"]["movements"]
    assert len(movements) == 50
    assert [m["stock_after"] for m in movements] == list(range(65, 15, -1))


def test_inventory_of_an_inactive_product_is_still_managed(world):
    product = ProductFactory(shop=world.shop, is_active=False, stock=2)
    expect(world.client("staff").post(inventory(product), {"action": "add", "quantity": 1}), 200)


def test_stock_adjust_of_another_shops_product_is_404_and_nothing_changes(world):
    foreign = ProductFactory(shop=world.other_shop, stock=4)
    for role in ("owner", "staff"):
        response = world.client(role).post(
            inventory(foreign), {"action": "set", "quantity": 0}, format="json"
        )
        expect(response, 404)
    foreign.refresh_from_db()
    assert foreign.stock == 4


# --- Low-stock mail --------------------------------------------------------------------------


def test_low_stock_mail_once_per_crossing(world, product, django_capture_on_commit_callbacks):
    """Threshold 3: 10 -> 5 (no mail), -> 3 (mail), -> 1 (none: still low), -> 8, -> 2 (mail)."""
    client = world.client("staff")

    def adjust(action, quantity):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                inventory(product), {"action": action, "quantity": quantity}, format="json"
            )
        assert response.status_code == 200, response.content

    adjust("remove", 5)
    assert mail.outbox == []
    adjust("remove", 2)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.owner.email]
    assert product.name in message.subject
    assert product.name in message.body and world.shop.name in message.body
    adjust("remove", 2)
    assert len(mail.outbox) == 1
    adjust("add", 7)
    adjust("set", 2)
    assert len(mail.outbox) == 2
    assert all(m.to == [world.owner.email] for m in mail.outbox)


# --- check_inventory -------------------------------------------------------------------------


def test_check_inventory_passes_on_a_consistent_ledger(world, product):
    out = StringIO()
    call_command("check_inventory", stdout=out)
    assert "consistent" in out.getvalue()


def test_check_inventory_reports_drift_with_exit_code_1(world, product):
    healthy = ProductFactory(shop=world.shop, stock=3).variants.get()
    variant = product.variants.get()
    ProductVariant.objects.filter(id=variant.id).update(stock=7)  # behind the ledger's back
    assert ledger_drift() == [(variant.id, 7, 10)]
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("check_inventory", stdout=out)
    assert failure.value.returncode == 1
    assert str(variant.id) in out.getvalue() and str(healthy.id) not in out.getvalue()
    assert "-3" in out.getvalue()


# --- Concurrency -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_removals_never_go_negative_and_keep_the_ledger_exact(client_for):
    """16 members remove 1-3 units at once from a stock of 12 (through the API)."""
    owner = UserFactory()
    shop = ShopFactory(owner=owner, low_stock_threshold=0)
    product = ProductFactory(shop=shop, stock=12)
    client = client_for(owner)
    quantities = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]
    barrier = threading.Barrier(len(quantities))
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def remove(quantity):
        try:
            barrier.wait(timeout=10)
            response = client.post(
                inventory(product), {"action": "remove", "quantity": quantity}, format="json"
            )
            with lock:
                results.append((response.status_code, quantity))
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=(q,)) for q in quantities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == len(quantities)
    assert {status for status, _ in results} <= {200, 409}
    removed = sum(quantity for status, quantity in results if status == 200)
    product.refresh_from_db()
    assert product.stock == 12 - removed >= 0
    assert ledger_sum(product) == product.stock
    movements = InventoryMovement.objects.filter(product=product, reason="manual_remove")
    assert movements.count() == sum(1 for status, _ in results if status == 200)
    # Each movement's stock_after is a distinct step down: no two saw the same stock.
    afters = sorted(movements.values_list("stock_after", flat=True))
    assert len(set(afters)) == len(afters) and min(afters, default=0) >= 0
    assert ledger_drift() == []
