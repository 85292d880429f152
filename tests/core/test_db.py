"""core.db: WriteBatch's statements write what the ORM would have written; ModelColumns loads
what the ORM would have loaded."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db import ModelColumns, WriteBatch, quoted_column, quoted_table
from core.models import IdempotencyKey
from orders.models import OrderGroup
from products.models import ProductVariant
from tests.factories import CartItemFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def insert_rows(objects):
    batch = WriteBatch()
    batch.insert(objects)
    batch.execute()


def test_insert_rows_writes_every_field_as_the_orm_reads_it_back():
    customer = UserFactory()
    groups = [
        OrderGroup(
            number=f"MKT-TEST000{n}",
            customer=customer,
            customer_name="Ada Obi",
            customer_email=customer.email,
            shipping_address={"city": "Lagos", "line2": None, "note": "naïve ✓"} if n else None,
            payment_method="paystack",
            fulfillment_method="delivery",
            currency="NGN",
            subtotal=Decimal("1234.50"),
            delivery_fee=Decimal("0.00"),
            total=Decimal("1234.50"),
            expires_at=timezone.now() + timedelta(minutes=30) if n else None,
        )
        for n in range(2)
    ]
    before = timezone.now()
    insert_rows(groups)

    for group in groups:
        stored = OrderGroup.objects.get(id=group.id)
        assert stored.created_at == group.created_at >= before  # auto_now_add filled in
        for field in (f for f in OrderGroup._meta.get_fields() if f.concrete):
            assert getattr(stored, field.attname) == getattr(group, field.attname), field.name


def test_insert_rows_refuses_a_duplicate_like_the_orm():
    customer = UserFactory()
    group = OrderGroup(number="MKT-DUPLICAT", customer=customer, currency="NGN")
    insert_rows([group])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([OrderGroup(number="MKT-DUPLICAT", customer=customer, currency="NGN")])
    assert OrderGroup.objects.filter(number="MKT-DUPLICAT").count() == 1
    insert_rows([])  # nothing to do


def test_update_by_id_sets_one_value_per_row_and_shared_values_on_all():
    first, second, untouched = (
        ProductFactory(stock=5).variants.get(),
        ProductFactory(stock=5).variants.get(),
        ProductFactory().variants.get(),
    )
    moment = timezone.now() - timedelta(days=1)

    batch = WriteBatch()
    batch.update_by_id(ProductVariant, "stock", {first.id: 7, second.id: 0}, updated_at=moment)
    batch.execute()

    rows = {v.id: v for v in ProductVariant.objects.all()}
    assert (rows[first.id].stock, rows[second.id].stock) == (7, 0)
    assert rows[first.id].updated_at == rows[second.id].updated_at == moment
    assert (rows[untouched.id].stock, rows[untouched.id].updated_at) == (
        untouched.stock,
        untouched.updated_at,
    )


def test_delete_where_deletes_only_matching_rows():
    kept, gone = CartItemFactory(), CartItemFactory()
    batch = WriteBatch()
    batch.delete_where(type(gone), cart=gone.cart_id)
    batch.delete_where(type(kept), cart=uuid.uuid4())  # no match: nothing happens
    batch.execute()
    assert list(type(kept).objects.values_list("id", flat=True)) == [kept.id]


def test_a_batch_is_one_round_trip_on_postgresql_and_runs_its_callbacks_after():
    customer = UserFactory()
    product = ProductFactory(stock=5).variants.get()
    ran = []
    batch = WriteBatch()
    batch.insert([OrderGroup(number="MKT-BATCH001", customer=customer, currency="NGN")])
    batch.update_by_id(ProductVariant, "stock", {product.id: 4}, updated_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        batch.after(lambda: ran.append(len(queries)))
        assert ran == []
        batch.execute()
    statements = 1 if connection.vendor == "postgresql" else 2
    assert len(queries) == statements
    assert ran == [statements]  # called once, after the statements ran
    assert OrderGroup.objects.filter(number="MKT-BATCH001").exists()
    assert ProductVariant.objects.get(id=product.id).stock == 4


def test_a_refused_batch_in_a_savepoint_undoes_all_of_it_and_keeps_the_transaction():
    customer = UserFactory()
    product = ProductFactory(stock=5).variants.get()
    insert_rows([OrderGroup(number="MKT-TAKEN001", customer=customer, currency="NGN")])
    ran = []
    with transaction.atomic():
        batch = WriteBatch()
        batch.update_by_id(ProductVariant, "stock", {product.id: 0}, updated_at=timezone.now())
        batch.insert([OrderGroup(number="MKT-TAKEN001", customer=customer, currency="NGN")])
        batch.after(lambda: ran.append(True))
        with pytest.raises(IntegrityError):
            batch.execute(savepoint=True)
        # The stock update before the refused insert was undone; the transaction goes on.
        assert ProductVariant.objects.get(id=product.id).stock == 5
        retry = WriteBatch()
        retry.insert([OrderGroup(number="MKT-FREE0001", customer=customer, currency="NGN")])
        retry.execute(savepoint=True)
    assert ran == []
    assert set(OrderGroup.objects.values_list("number", flat=True)) == {
        "MKT-TAKEN001",
        "MKT-FREE0001",
    }


def loaded_values(instance):
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def test_model_columns_load_what_the_orm_loads():
    row = IdempotencyKey.objects.create(
        user=UserFactory(),
        key="k",
        scope="POST /x/",
        request_hash="h",
        response_status=201,
        response_body={"data": {"ok": True, "note": "naïve ✓"}},
        expires_at=timezone.now() + timedelta(days=1),
    )
    columns = ModelColumns(IdempotencyKey, "k")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM {quoted_table(IdempotencyKey)} k "
            f"WHERE k.{quoted_column(IdempotencyKey, 'id')} = %s",
            [IdempotencyKey._meta.pk.get_db_prep_value(row.id, connection)],
        )
        loaded = columns.load(cursor.fetchone())
    expected = IdempotencyKey.objects.get(id=row.id)
    assert loaded_values(loaded) == loaded_values(expected)
    assert {k: type(v) for k, v in loaded_values(loaded).items()} == {
        k: type(v) for k, v in loaded_values(expected).items()
    }
    assert loaded._state.adding is False and loaded._state.db == expected._state.db
