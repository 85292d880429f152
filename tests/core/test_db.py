"""core.db: the hand-written statements write what the ORM would have written, and prepared
queries read what the ORM would have read."""

import sys
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum, Value
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db import Batch, Param, Prepared, insert_committed, insert_rows, update_row
from orders.models import OrderGroup
from products.models import Product
from shops.models import Shop
from tests.factories import CartItemFactory, ProductFactory, ShopFactory, UserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


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

    assert all(not group._state.adding for group in groups)
    for group in groups:
        stored = OrderGroup.objects.get(id=group.id)
        assert stored.created_at == group.created_at >= before  # auto_now_add filled in
        for field in OrderGroup._meta.concrete_fields:
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
    first, second, untouched = ProductFactory(stock=5), ProductFactory(stock=5), ProductFactory()
    moment = timezone.now() - timedelta(days=1)

    batch = Batch()
    batch.update_by_id(Product, "stock", {first.id: 7, second.id: 0}, updated_at=moment)
    batch.execute()

    rows = {p.id: p for p in Product.objects.all()}
    assert (rows[first.id].stock, rows[second.id].stock) == (7, 0)
    assert rows[first.id].updated_at == rows[second.id].updated_at == moment
    assert (rows[untouched.id].stock, rows[untouched.id].updated_at) == (
        untouched.stock,
        untouched.updated_at,
    )


def test_delete_where_deletes_only_matching_rows():
    kept, gone = CartItemFactory(), CartItemFactory()
    batch = Batch()
    batch.delete_where(type(gone), cart=gone.cart_id)
    batch.delete_where(type(kept), cart=uuid.uuid4())  # no match: nothing happens
    batch.execute()
    assert list(type(kept).objects.values_list("id", flat=True)) == [kept.id]


def test_a_batch_is_one_round_trip_on_postgresql_and_runs_its_callbacks_after():
    customer = UserFactory()
    product = ProductFactory(stock=5)
    ran = []
    batch = Batch()
    batch.insert([OrderGroup(number="MKT-BATCH001", customer=customer, currency="NGN")])
    batch.update_by_id(Product, "stock", {product.id: 4}, updated_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        batch.after(lambda: ran.append(len(queries)))
        assert ran == []
        batch.execute()
    statements = 1 if connection.vendor == "postgresql" else 2
    assert len(queries) == statements
    assert ran == [statements]  # called once, after the statements ran
    assert OrderGroup.objects.filter(number="MKT-BATCH001").exists()
    assert Product.objects.get(id=product.id).stock == 4


def test_a_refused_batch_in_a_savepoint_undoes_all_of_it_and_keeps_the_transaction():
    customer = UserFactory()
    product = ProductFactory(stock=5)
    insert_rows([OrderGroup(number="MKT-TAKEN001", customer=customer, currency="NGN")])
    ran = []
    with transaction.atomic():
        batch = Batch()
        batch.update_by_id(Product, "stock", {product.id: 0}, updated_at=timezone.now())
        batch.insert([OrderGroup(number="MKT-TAKEN001", customer=customer, currency="NGN")])
        batch.after(lambda: ran.append(True))
        with pytest.raises(IntegrityError):
            batch.execute(savepoint=True)
        # The stock update before the refused insert was undone; the transaction goes on.
        assert Product.objects.get(id=product.id).stock == 5
        retry = Batch()
        retry.insert([OrderGroup(number="MKT-FREE0001", customer=customer, currency="NGN")])
        retry.execute(savepoint=True)
    assert ran == []
    assert set(OrderGroup.objects.values_list("number", flat=True)) == {
        "MKT-TAKEN001",
        "MKT-FREE0001",
    }


def test_update_row_sets_the_given_fields_of_one_row_only():
    product, other = ProductFactory(stock=5, name="Before"), ProductFactory(stock=5)
    update_row(Product, product.id, stock=9, name="After")
    product.refresh_from_db()
    other.refresh_from_db()
    assert (product.stock, product.name) == (9, "After")
    assert other.stock == 5


@pytest.mark.django_db(transaction=True)
def test_insert_committed_is_one_statement_in_autocommit_and_a_savepoint_inside_a_transaction():
    customer = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        insert_committed([OrderGroup(number="MKT-AUTOCOMM", customer=customer, currency="NGN")])
    assert [q["sql"].split()[0] for q in queries] == ["INSERT"]  # no BEGIN / COMMIT around it

    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert_committed([OrderGroup(number="MKT-AUTOCOMM", customer=customer, currency="NGN")])
        # The refused insert was rolled back to its savepoint: the transaction goes on.
        insert_committed([OrderGroup(number="MKT-SECONDON", customer=customer, currency="NGN")])
    assert set(OrderGroup.objects.values_list("number", flat=True)) == {
        "MKT-AUTOCOMM",
        "MKT-SECONDON",
    }


SHOP_PRODUCTS = Prepared(
    Product.objects.filter(shop=Param("shop", Product._meta.get_field("shop")))
    .select_related("shop__owner")
    .order_by("price")
)
PRODUCT_STOCK = Prepared(
    Product.objects.filter(id=Param("id", Product._meta.pk)).values_list("name", "stock", "price")
)
SHOP_IDS = Prepared(
    Shop.objects.filter(owner=Param("owner", Shop._meta.get_field("owner"))).values_list(
        "id", flat=True
    )
)


def test_a_prepared_query_reads_what_the_queryset_reads_with_each_run_s_values():
    shops = [ShopFactory(), ShopFactory()]
    for n, shop in enumerate(shops):
        ProductFactory(shop=shop, price=Decimal("9.99") + n, stock=5)
        ProductFactory(shop=shop, price=Decimal("1.50"), stock=0)

    for shop in shops:
        expected = list(
            Product.objects.filter(shop=shop).select_related("shop__owner").order_by("price")
        )
        with CaptureQueriesContext(connection) as queries:
            found = SHOP_PRODUCTS.all(shop=shop.id)
            assert [p.shop.owner.email for p in found] == [shop.owner.email] * 2  # no more query
        assert len(queries) == 1
        assert found == expected
        for got, want in zip(found, expected, strict=True):
            assert not got._state.adding and got._state.db == "default"
            for model_got, model_want in ((got, want), (got.shop, want.shop)):
                for field in type(model_want)._meta.concrete_fields:
                    value = getattr(model_got, field.attname)
                    assert value == getattr(model_want, field.attname), field.name
                    assert type(value) is type(getattr(model_want, field.attname)), field.name

    product = shops[1].products.get(stock=5)
    assert PRODUCT_STOCK.all(id=str(product.id)) == [(product.name, 5, Decimal("10.99"))]
    assert PRODUCT_STOCK.all(id=uuid.uuid4()) == []
    ids = SHOP_IDS.all(owner=shops[0].owner_id)
    assert ids == [shops[0].id] and isinstance(ids[0], uuid.UUID)


def test_a_prepared_query_builds_its_sql_once(monkeypatch):
    shops = [ShopFactory(), ShopFactory()]
    built = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **kw: built.append(self) or as_sql(self, *a, **kw)
    )
    query = Prepared(
        Shop.objects.filter(id=Param("id", Shop._meta.pk)).values_list("id", flat=True)
    )
    assert [query.all(id=shop.id) for shop in shops] == [[shop.id] for shop in shops]
    assert query.all(id=uuid.uuid4()) == []
    assert len(built) == 1


def test_prepared_takes_only_querysets_it_can_read_back():
    for queryset in (
        Product.objects.values("id"),
        Product.objects.annotate(n=Value(1)).values_list("id", "n"),
        Product.objects.prefetch_related("images"),
        Product.objects.extra(select={"n": "1"}),
        Product.objects.using("default"),
    ):
        with pytest.raises(TypeError):
            Prepared(queryset)


@pytest.mark.django_db(transaction=True)
def test_threads_running_a_new_prepared_query_together_all_get_its_sql_whole():
    """Building the SQL changes the query while it runs: threads that first run a prepared
    query at the same moment must not see (or keep) a half-built statement."""
    product = ProductFactory()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(20):
            query = Prepared(
                Product.objects.select_related("shop__owner").filter(
                    id=Param("id", Product._meta.pk)
                )
            )
            results = run_together(
                *[lambda query=query: [p.shop.owner.email for p in query.all(id=product.id)]] * 6
            )
            assert results == [[product.shop.owner.email]] * 6
            assert query.all(id=product.id)[0].shop.owner.email == product.shop.owner.email
    finally:
        sys.setswitchinterval(switch)


def test_a_prepared_model_query_sets_its_annotations():
    shop = ShopFactory()
    ProductFactory(shop=shop, stock=4)
    query = Prepared(
        Shop.objects.filter(id=Param("id", Shop._meta.pk)).annotate(units=Sum("products__stock"))
    )
    assert [found.units for found in query.all(id=shop.id)] == [4]


@pytest.mark.django_db(transaction=True)
def test_a_prepared_locking_query_refuses_to_run_outside_a_transaction():
    query = Prepared(Product.objects.select_for_update().filter(id=Param("id", Product._meta.pk)))
    if not connection.features.has_select_for_update:
        pytest.skip("the engine has no row locks (SQLite)")
    with transaction.atomic():
        assert query.all(id=uuid.uuid4()) == []
    with pytest.raises(TransactionManagementError):
        query.all(id=uuid.uuid4())
