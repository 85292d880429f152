"""The shops' earnings ledger: credited on completion, debited by refunds, read through the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.services import order_group_cancel
from payments.models import LedgerEntry, Refund, ShopBalance
from payments.services.settlement import record_refund_entries
from tests import factories
from tests.payments.settlement import entries, move, paid_order, refund_goods

pytestmark = pytest.mark.django_db

D = Decimal


def balance(client, shop):
    response = client.get(f"/api/v1/shops/{shop.id}/balance/")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_nothing_is_credited_before_completion(client_for):
    order = paid_order(commission=D("100.00"))
    move(order, "processing")
    assert not LedgerEntry.objects.exists()
    assert balance(client_for(order.shop.owner), order.shop) == {
        "currency": "NGN",
        "pending": "0.00",
        "available": "0.00",
        "paid_out": "0.00",
        "total": "0.00",
    }


def test_completion_credits_the_sale_less_commission_after_the_hold(client_for, settings):
    settings.PAYOUT_HOLD_DAYS = 7
    order = paid_order(price=D("1000.00"), delivery_fee=D("250.00"), commission=D("75.00"))
    order = move(order, "processing", "completed")
    assert entries(order) == [("commission", D("-75.00")), ("sale", D("1250.00"))]
    available_on = {e.available_on for e in LedgerEntry.objects.filter(order=order)}
    assert available_on == {order.completed_at + timedelta(days=7)}
    owner = client_for(order.shop.owner)
    assert balance(owner, order.shop)["pending"] == "1175.00"
    assert balance(owner, order.shop)["available"] == "0.00"
    # Staff see the balance too.
    staff = factories.StaffFactory(shop=order.shop)
    assert balance(client_for(staff), order.shop)["total"] == "1175.00"
    assert ShopBalance.objects.get(shop=order.shop).total == D("1175.00")


def test_earnings_become_available_when_the_hold_passes(client_for, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    order = move(paid_order(commission=D("10.00")), "processing", "completed")
    assert balance(client_for(order.shop.owner), order.shop)["available"] == "990.00"


def test_a_cash_order_leaves_the_shop_owing_the_commission(client_for, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    order = paid_order(payment_method="cash", price=D("2000.00"), commission=D("150.00"))
    order = move(order, "processing", "completed", cash_collected=True)
    assert entries(order) == [
        ("cash_collected", D("-2000.00")),
        ("commission", D("-150.00")),
        ("sale", D("2000.00")),
    ]
    assert balance(client_for(order.shop.owner), order.shop)["available"] == "-150.00"


def test_split_share_is_recorded_as_already_settled(settings):
    """`SETTLEMENT_MODE=split`: what Paystack split to the shop at payment is not owed again."""
    order = paid_order(price=D("1000.00"), delivery_fee=D("100.00"), commission=D("50.00"))
    payment = order.group.payments.get()
    payment.split_shares = {str(order.id): 104500}  # 1100.00 less 5% of the order total
    payment.save()
    order = move(order, "processing", "completed")
    # The shop got 1045.00 from the split; the ledger keeps the 5.00 of commission the split
    # took on the delivery fee, which the platform owes it.
    assert entries(order) == [
        ("commission", D("-50.00")),
        ("sale", D("1100.00")),
        ("split_settled", D("-1045.00")),
    ]
    assert ShopBalance.objects.get(shop=order.shop).total == D("5.00")


def test_a_refund_after_completion_debits_the_shop_once(settings, fake_paystack):
    settings.PAYOUT_HOLD_DAYS = 0
    order = move(paid_order(price=D("400.00"), quantity=2, commission=D("80.00")), "processing")
    order = move(order, "completed")
    refund = refund_goods(order, amount=40000, commission=4000)
    assert entries(order) == [
        ("commission", D("-80.00")),
        ("commission_reversed", D("40.00")),
        ("refund", D("-400.00")),
        ("sale", D("800.00")),
    ]
    assert record_refund_entries(refund) == []  # a retry writes nothing
    assert LedgerEntry.objects.filter(refund=refund).count() == 2
    assert ShopBalance.objects.get(shop=order.shop).total == D("360.00")


def test_a_refund_recorded_before_completion_is_debited_at_completion(fake_paystack):
    order = move(paid_order(commission=D("100.00")), "processing")
    refund = refund_goods(order, amount=25000, commission=2500)
    assert not LedgerEntry.objects.exists()
    order = move(order, "completed")
    assert entries(order) == [
        ("commission", D("-100.00")),
        ("commission_reversed", D("25.00")),
        ("refund", D("-250.00")),
        ("sale", D("1000.00")),
    ]
    refund_entry = LedgerEntry.objects.get(refund=refund, kind="refund")
    assert refund_entry.available_on == order.completed_at + timedelta(days=7)


def test_cancelled_orders_and_payment_refunds_never_touch_a_ledger(customer, fake_paystack):
    order = paid_order(customer=customer, commission=D("30.00"))
    order_group_cancel(user=customer, group_id=order.group_id, reason="Changed my mind.")
    refund = Refund.objects.get()
    assert refund.order_id == order.id
    assert refund.commission_reversed == 3000  # the order's commission, in kobo
    duplicate = Refund.objects.create(payment=refund.payment, amount=100000, reason="Duplicate.")
    assert record_refund_entries(duplicate) == []
    assert not LedgerEntry.objects.exists()


# --- The API --------------------------------------------------------------------------------


def test_ledger_lists_filters_and_hides_from_others(client_for, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    shop = factories.ShopFactory()
    first = move(paid_order(shop=shop, commission=D("10.00")), "processing", "completed")
    second = move(paid_order(shop=shop, commission=D("20.00")), "processing", "completed")
    owner = client_for(shop.owner)
    url = f"/api/v1/shops/{shop.id}/ledger/"
    page = owner.get(url).json()["data"]
    assert page["count"] == 4
    entry = page["results"][0]
    assert set(entry) == {
        "id",
        "kind",
        "amount",
        "order_id",
        "refund_id",
        "payout_id",
        "note",
        "available_on",
        "created_at",
    }
    sales = owner.get(url, {"kind": "sale"}).json()["data"]["results"]
    assert [e["amount"] for e in sales] == ["1000.00", "1000.00"]
    of_first = owner.get(url, {"order": str(first.id)}).json()["data"]["results"]
    assert {e["order_id"] for e in of_first} == {str(first.id)}
    later = owner.get(url, {"created_after": (timezone.now() + timedelta(hours=1)).isoformat()})
    assert later.json()["data"]["count"] == 0
    assert owner.get(url, {"kind": "gift"}).status_code == 400
    assert owner.get(url, {"order": "not-a-uuid"}).status_code == 400
    assert second.shop_id == shop.id
    staff = client_for(factories.StaffFactory(shop=shop))
    assert staff.get(url).status_code == 403
    stranger = client_for(factories.ShopFactory().owner)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/api/v1/shops/{shop.id}/balance/").status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_ledger_list_costs_fixed_queries(
    client_for, settings, count, django_assert_max_num_queries
):
    shop = factories.ShopFactory()
    for _ in range(count):
        move(paid_order(shop=shop, commission=D("1.00")), "processing", "completed")
    owner = client_for(shop.owner)
    with django_assert_max_num_queries(6):
        response = owner.get(f"/api/v1/shops/{shop.id}/ledger/?page_size=100")
    assert response.json()["data"]["count"] == 2 * count


def test_admin_adjustments(client_for, admin_user):
    shop = factories.ShopFactory()
    admin = client_for(admin_user)
    url = f"/api/v1/shops/{shop.id}/ledger/adjustments/"
    response = admin.post(url, {"amount": "-150.50", "note": "Damaged stock."}, format="json")
    assert response.status_code == 201, response.content
    entry = response.json()["data"]
    assert (entry["kind"], entry["amount"], entry["note"]) == (
        "adjustment",
        "-150.50",
        "Damaged stock.",
    )
    assert balance(admin, shop)["available"] == "-150.50"
    assert admin.post(url, {"amount": "0.00", "note": "x"}, format="json").status_code == 400
    missing_note = admin.post(url, {"amount": "5.00"}, format="json")
    assert missing_note.status_code == 400
    assert "note" in missing_note.json()["errors"]
    refused = client_for(shop.owner).post(url, {"amount": "5.00", "note": "x"}, format="json")
    assert refused.status_code == 403
    assert ShopBalance.objects.get(shop=shop).total == D("-150.50")


def test_monthly_statement(client_for, settings, admin_user):
    settings.PAYOUT_HOLD_DAYS = 0
    shop = factories.ShopFactory()
    old = move(paid_order(shop=shop, commission=D("100.00")), "processing", "completed")
    last_month = timezone.now().replace(day=1) - timedelta(days=1)
    LedgerEntry.objects.filter(order=old).update(created_at=last_month)
    move(paid_order(shop=shop, price=D("500.00"), commission=D("50.00")), "processing", "completed")
    client_for(admin_user).post(
        f"/api/v1/shops/{shop.id}/ledger/adjustments/",
        {"amount": "10.00", "note": "=HYPERLINK(1)"},
        format="json",
    )
    month = timezone.now().strftime("%Y-%m")
    response = client_for(shop.owner).get(f"/api/v1/shops/{shop.id}/statement/", {"month": month})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["date", "kind", "amount", "balance"]
    assert rows[1][1:4] == ["opening_balance", "", "900.00"]
    kinds = [(row[1], row[2], row[3]) for row in rows[2:-1]]
    assert sorted(kinds)[0][0] == "adjustment"
    assert {k for k, _, _ in kinds} == {"sale", "commission", "adjustment"}
    assert rows[-1][1:4] == ["closing_balance", "", "1360.00"]
    note = next(row[8] for row in rows if row[1] == "adjustment")
    assert note == "'=HYPERLINK(1)"
    for month in ("2026-13", "0000-01", "9999-12", "1969-12"):
        bad = client_for(shop.owner).get(f"/api/v1/shops/{shop.id}/statement/", {"month": month})
        assert bad.status_code == 400, month
        assert bad.json()["code"] == "validation_error"
        assert "month" in bad.json()["errors"]
