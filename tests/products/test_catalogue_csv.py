"""The catalogue as CSV: export one row a variant, import all or nothing, matched by SKU,
idempotent, through the ledger, and safe against hostile files."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from products.catalogue_csv import COLUMNS
from products.inventory import ledger_drift
from products.models import InventoryMovement, Product, ProductVariant
from tests.factories import CategoryFactory, ProductFactory
from tests.shops.helpers import assert_error, expect

HEADER = ",".join(COLUMNS)


def export_url(shop) -> str:
    return f"/api/v1/shops/{shop.id}/products/export/"


def import_url(shop) -> str:
    return f"/api/v1/shops/{shop.id}/products/import/"


def upload(client, shop, content, name="catalogue.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        import_url(shop),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        format="multipart",
    )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def csv_text(*lines: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(lines)
    return buffer.getvalue()


def line(name, sku, price, stock, *options, description="", slugs="", active="true"):
    cells = [name, description, slugs]
    for n in range(3):
        cells += list(options[n]) if n < len(options) else ["", ""]
    return [*cells, sku, price, str(stock), active]


FABRIC = [
    line("George wrapper", "GW-2", "9000.00", 4, ("Length", "2 yards"), slugs="fabrics"),
    line("George wrapper", "GW-6", "27000.00", 1, ("Length", "6 yards"), slugs="fabrics"),
    line("Phone", "PH-128", "185000.00", 3, ("Storage", "128 GB"), ("Colour", "Black")),
    line("Phone", "PH-256", "215000.00", 0, ("Storage", "256 GB"), ("Colour", "Black")),
    line("Gele", "GELE-1", "6000.00", 40, description='\'=HYPERLINK("x")'),
]


@pytest.fixture
def fabrics(db):
    return CategoryFactory(name="Fabrics", slug="fabrics")


def test_import_creates_products_and_variants_through_the_ledger(world, fabrics):
    text = csv_text(*FABRIC)
    response = upload(world.client("staff"), world.shop, text)
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"created": 5, "updated": 0, "unchanged": 0, "rows": 5}
    wrapper = Product.objects.get(shop=world.shop, name="George wrapper")
    assert wrapper.options == [{"name": "Length", "values": ["2 yards", "6 yards"]}]
    assert list(wrapper.categories.values_list("slug", flat=True)) == ["fabrics"]
    phone = Product.objects.get(name="Phone")
    assert [o["name"] for o in phone.options] == ["Storage", "Colour"]
    gele = Product.objects.get(name="Gele")
    assert gele.options == [] and gele.description == '=HYPERLINK("x")'
    assert {m.reason for m in InventoryMovement.objects.all()} == {"import"}
    assert dict(ProductVariant.objects.values_list("sku", "stock"))["GW-2"] == 4
    assert ledger_drift() == []


def test_export_is_one_row_a_variant_escaped_and_imports_back_unchanged(world, fabrics):
    ProductFactory(shop=world.shop, name="+234 phone case", description="-cheap\n@home")
    response = upload(
        world.client("owner"),
        world.shop,
        csv_text(*FABRIC),
    )
    assert response.status_code == 200, response.content
    exported = world.client("owner").get(export_url(world.shop))
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    found = rows(text)
    assert len(found) == 6
    case = next(row for row in found if row["product_name"].endswith("phone case"))
    assert case["product_name"] == "'+234 phone case" and case["description"] == "'-cheap\n@home"
    gele = next(row for row in found if row["sku"] == "GELE-1")
    assert gele["description"] == '\'=HYPERLINK("x")'
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in found for cell in row.values())
    phone = next(row for row in found if row["sku"] == "PH-256")
    assert (phone["option1_name"], phone["option1_value"]) == ("Storage", "256 GB")
    assert (phone["option2_name"], phone["option2_value"], phone["price"]) == (
        "Colour",
        "Black",
        "215000.00",
    )

    movements = InventoryMovement.objects.count()
    again = upload(world.client("owner"), world.shop, text)
    assert again.status_code == 200, again.content
    assert again.json()["data"] == {"created": 0, "updated": 0, "unchanged": 6, "rows": 6}
    assert InventoryMovement.objects.count() == movements
    assert world.client("owner").get(export_url(world.shop)).content.decode() == text


def test_import_updates_by_sku_ignoring_case_and_is_idempotent(world, fabrics):
    assert upload(world.client("owner"), world.shop, csv_text(*FABRIC[:2])).status_code == 200
    changed = csv_text(
        line("George wrapper", "gw-2", "9500.00", 6, ("Length", "2 yards"), slugs="fabrics"),
        line("George wrapper", "GW-4", "18000.00", 2, ("Length", "4 yards"), slugs="fabrics"),
        line("George wrapper", "GW-6", "27000.00", 1, ("Length", "6 yards"), slugs="fabrics"),
    )
    response = upload(world.client("owner"), world.shop, changed)
    assert response.json()["data"] == {"created": 1, "updated": 1, "unchanged": 1, "rows": 3}
    variant = ProductVariant.objects.get(sku_key="gw-2")
    assert (variant.sku, str(variant.price), variant.stock) == ("gw-2", "9500.00", 6)
    assert InventoryMovement.objects.filter(variant=variant, reason="import").count() == 2
    wrapper = variant.product
    assert wrapper.options[0]["values"] == ["2 yards", "6 yards", "4 yards"]
    second = upload(world.client("owner"), world.shop, changed)
    assert second.json()["data"] == {"created": 0, "updated": 0, "unchanged": 3, "rows": 3}
    assert ledger_drift() == []


def test_every_invalid_row_is_reported_and_nothing_changes(world, fabrics):
    ProductFactory(shop=world.shop, name="Existing")
    other = ProductFactory(shop=world.shop, name="Other")
    taken = other.variants.get().sku
    bad = csv_text(
        line("Good", "OK-1", "10.00", 1),
        line("", "X-1", "10.00", 1),
        line("Pricey", "X-2", "0.00", 1),
        line("Pricey2", "X-3", "1.234", 1),
        line("Negative", "X-4", "10.00", -1),
        line("Formula", "=cmd|' /C calc'!A0", "10.00", 1),
        line("Formula2", "X-5", "10.00", 1, description="@SUM(1+1)"),
        line("Dup", "OK-1", "10.00", 1),
        line("Existing", "X-6", "10.00", 1, ("Size", "M")),
        line("Elsewhere", taken, "10.00", 1),
        line("Cats", "X-7", "10.00", 1, slugs="nope|fabrics"),
        line("Flag", "X-8", "10.00", 1, active="maybe"),
        line("Opt", "X-9", "10.00", 1, ("Size", "")),
    )
    response = upload(world.client("owner"), world.shop, bad)
    body = assert_error(response, 400, "validation_error")
    found = {(row["row"], row["field"]) for row in body["errors"]["rows"]}
    assert found == {
        (3, "product_name"),
        (4, "price"),
        (5, "price"),
        (6, "stock"),
        (7, "sku"),
        (8, "description"),
        (9, "sku"),
        (10, "option1_name"),
        (11, "sku"),
        (12, "category_slugs"),
        (13, "is_active"),
        (14, "option1_name"),
    }
    assert all(row["message"] for row in body["errors"]["rows"])
    assert not Product.objects.filter(name="Good").exists()
    assert ProductVariant.objects.count() == 2


@pytest.mark.parametrize(
    "content, field",
    [
        ("product_name,sku,price\nA,B,1.00\n", "file"),  # a required column missing
        (HEADER + ",extra\n", "file"),  # an unknown column
        (HEADER + "\n", "file"),  # no rows
        ("", "file"),
        ("Ankara,é".encode("latin-1"), "file"),  # not UTF-8
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "file"),  # binary
        (HEADER + "\n" + "A," + "x" * 20_000 + ",,,,,,,,,S1,1.00,1,true\n", "file"),  # huge field
    ],
)
def test_hostile_files_are_a_clear_400(world, content, field):
    body = assert_error(upload(world.client("owner"), world.shop, content), 400, "validation_error")
    assert field in body["errors"]
    assert not Product.objects.filter(shop=world.shop).exists()


def test_a_file_with_too_many_rows_or_bytes_is_refused(world):
    many = csv_text(*(line(f"P{n}", f"S{n}", "1.00", 1) for n in range(10_001)))
    body = assert_error(upload(world.client("owner"), world.shop, many), 400, "validation_error")
    assert "10000" in body["errors"]["file"][0]
    big = HEADER + "\n" + ("A,,,,,,,,,S1,1.00,1,true\n" * 230_000)
    assert_error(upload(world.client("owner"), world.shop, big), 413, "file_too_large")
    assert not Product.objects.exists()


def test_a_row_with_a_wrong_number_of_cells_is_reported(world):
    text = HEADER + "\nA,,,,,,,,,S1,1.00,1,true\nB,S2\n"
    body = assert_error(upload(world.client("owner"), world.shop, text), 400, "validation_error")
    assert body["errors"]["rows"] == [
        {"row": 3, "field": "row", "message": "Expected 13 cells, found 2."}
    ]


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 404), ("other_member", 404), ("staff", 200)],
)
def test_files_are_for_the_shops_members(world, role, status):
    assert world.client(role).get(export_url(world.shop)).status_code == status
    text = csv_text(line("Ankara", "A-1", "10.00", 1))
    expect(upload(world.client(role), world.shop, text), status)


def test_export_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for n in range(20):
        ProductFactory(shop=world.shop).categories.add(CategoryFactory())
    with django_assert_max_num_queries(5):  # account, shop, products, categories, variants
        response = world.client("owner").get(export_url(world.shop))
    assert len(rows(response.content.decode())) == 20


def test_a_row_with_the_longest_options_allowed_is_imported(world):
    options = [(letter * 50, value * 100) for letter, value in zip("ABC", "xyz", strict=True)]
    text = csv_text(line("Long options", "LONG-1", "10.00", 1, *options))
    response = upload(world.client("owner"), world.shop, text)
    assert response.status_code == 200, response.content
    assert ProductVariant.objects.get(sku="LONG-1").options == dict(options)


@pytest.mark.parametrize("stock", ["²", "١٢", "+1", " 1 2"])
def test_a_stock_of_other_than_ascii_digits_is_reported(world, stock):
    text = csv_text(line("Ankara", "A-1", "10.00", stock))
    body = assert_error(upload(world.client("owner"), world.shop, text), 400, "validation_error")
    assert {(row["row"], row["field"]) for row in body["errors"]["rows"]} == {(2, "stock")}


def test_a_formula_behind_spaces_is_refused_and_exported_escaped(world):
    text = csv_text(line("Ankara", "A-1", "10.00", 1, description='  =HYPERLINK("x")'))
    body = assert_error(upload(world.client("owner"), world.shop, text), 400, "validation_error")
    assert [(row["row"], row["field"]) for row in body["errors"]["rows"]] == [(2, "description")]
    ProductFactory(shop=world.shop, name="Case", description=" @home")
    found = rows(world.client("owner").get(export_url(world.shop)).content.decode())
    assert found[0]["description"] == "' @home"


def test_a_file_of_too_many_invalid_rows_is_refused_by_its_length(world):
    many = csv_text(*(line(f"P{n}", f"S{n}", "0.00", 1) for n in range(10_001)))
    body = assert_error(upload(world.client("owner"), world.shop, many), 400, "validation_error")
    assert "10000" in body["errors"]["file"][0]
