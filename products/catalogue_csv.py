"""A shop's catalogue as CSV, one row a variant: export, and an import that applies a whole file
or nothing.

Columns: `product_name`, `description`, `category_slugs` (`|` between slugs), `option1_name`,
`option1_value` ... `option3_value`, `sku`, `price`, `stock`, `is_active`. Rows are matched by
SKU (ignoring case): a known SKU updates its variant, a new one creates a variant of the
product named (created when the shop has none of that name). Stock changes go through the
inventory ledger (reason `import`). The file is read whole and checked before anything is
written; every invalid row is reported (`ImportRejected`) and nothing changes. Writing the same
file twice changes nothing the second time; an exported file imports back unchanged.

Spreadsheets run a cell starting with `=`, `+`, `-` or `@` as a formula: the export writes such
cells (and cells starting with `'`, tab or carriage return) behind a `'`, which a spreadsheet
shows as text, and the import removes one leading `'` from every cell; a cell that starts with a
formula character without it (after any leading spaces) is refused.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.catalogue_cache import catalogue_changed
from core.errors import ApiError, Conflict, FileTooLarge, InvalidInput, raises
from products.inventory import MAX_STOCK, StockChange, lock_variants, stock_apply
from products.models import (
    MAX_OPTIONS,
    Category,
    InventoryMovement,
    Product,
    ProductVariant,
    options_key,
)
from products.variants import product_prices_refresh
from shops.models import Shop
from users.models import User

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_FIELD_CHARS = 10_000
MAX_ROW_ERRORS = 1000
OPTION_COLUMNS = [
    f"option{n}_{part}" for n in range(1, MAX_OPTIONS + 1) for part in ("name", "value")
]
COLUMNS = [
    "product_name",
    "description",
    "category_slugs",
    *OPTION_COLUMNS,
    "sku",
    "price",
    "stock",
    "is_active",
]
REQUIRED_COLUMNS = ("product_name", "sku", "price", "stock")
FORMULA_START = ("=", "+", "-", "@")
ESCAPED_START = (*FORMULA_START, "'", "\t", "\r")
SLUG_SEPARATOR = "|"
SKU_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._/-")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
_IMPORT_BATCH = 500
# Rows an UPDATE changes at a time (`CASE` over the ids: its cost grows with the square).
_UPDATE_BATCH = 100
MAX_PRICE = Decimal("9999999999.99")


class ImportRejected(ApiError):
    """A file with invalid rows: `400 validation_error`, `errors.rows` lists them all."""

    message = "The file has invalid rows; nothing was imported."

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(errors={"rows": rows})


# --- Export ----------------------------------------------------------------------------------


def cell_escape(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs."""
    escape = value.startswith(ESCAPED_START) or value.lstrip().startswith(FORMULA_START)
    return f"'{value}" if escape else value


def export_rows(*, shop: Shop) -> Iterator[list[str]]:
    """The header, then one row a variant of the shop's products (oldest product first), in
    four queries: products, their categories, their variants."""
    yield COLUMNS
    products = list(
        Product.objects.filter(shop=shop)
        .order_by("created_at", "id")
        .values_list("id", "name", "description", "options")
    )
    slugs: dict[uuid.UUID, list[str]] = {}
    for product_id, slug in (
        Product.categories.through.objects.filter(product__shop=shop)
        .order_by("category__slug")
        .values_list("product_id", "category__slug")
    ):
        slugs.setdefault(product_id, []).append(slug)
    variants: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
    for row in (
        ProductVariant.objects.filter(shop=shop)
        .order_by("created_at", "id")
        .values_list("product_id", "sku", "options", "price", "stock", "is_active")
    ):
        variants.setdefault(row[0], []).append(row[1:])
    for product_id, name, description, options in products:
        names = [option["name"] for option in options]
        for sku, values, price, stock, is_active in variants.get(product_id, ()):
            option_cells: list[str] = []
            for n in range(MAX_OPTIONS):
                option_name = names[n] if n < len(names) else ""
                option_cells += [option_name, values.get(option_name, "") if option_name else ""]
            cells = [
                name,
                description,
                SLUG_SEPARATOR.join(slugs.get(product_id, ())),
                *option_cells,
                sku,
                f"{price:.2f}",
                str(stock),
                "true" if is_active else "false",
            ]
            yield [cell_escape(cell) for cell in cells]


def export_csv(*, shop: Shop) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(export_rows(shop=shop))
    return buffer.getvalue()


# --- Reading a file --------------------------------------------------------------------------


@dataclass
class Row:
    """One valid row of a file."""

    line: int
    product_name: str
    description: str
    category_slugs: list[str]
    option_names: list[str]
    options: dict[str, str]
    sku: str
    price: Decimal
    stock: int
    is_active: bool


class _Problems:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, line: int, column: str, message: str) -> None:
        if len(self.rows) < MAX_ROW_ERRORS:
            self.rows.append({"row": line, "field": column, "message": message})


def _file_error(message: str) -> InvalidInput:
    return InvalidInput({"file": [message]})


def _text(upload: IO[bytes]) -> str:
    size = getattr(upload, "size", None)
    data = upload.read(MAX_FILE_BYTES + 1)
    if (size is not None and size > MAX_FILE_BYTES) or len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(f"A catalogue file may hold at most {MAX_FILE_BYTES // 2**20} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error("The file must be CSV encoded in UTF-8.") from exc
    if "\x00" in text:
        raise _file_error("The file must be CSV text, not binary.")
    return text


def _cell(raw: str, line: int, column: str, problems: _Problems) -> str:
    if raw.startswith("'"):
        return raw[1:]
    if raw.strip().startswith(FORMULA_START):
        problems.add(line, column, "Looks like a spreadsheet formula; prefix it with ' to keep it.")
    return raw


def _row(line: int, values: dict[str, str], problems: _Problems) -> Row | None:
    before = len(problems.rows)
    cells = {
        column: _cell(values.get(column) or "", line, column, problems).strip()
        for column in COLUMNS
    }
    name = " ".join(cells["product_name"].split())
    if not name or len(name) > 200:
        problems.add(line, "product_name", "Give a name of 1 to 200 characters.")
    sku = cells["sku"]
    if not sku or len(sku) > 64 or not set(sku.lower()) <= SKU_CHARACTERS or sku[0] in "._/-":
        problems.add(line, "sku", "Give a SKU of letters, digits, '.', '_', '/' or '-'.")
    price = Decimal(0)
    try:
        price = Decimal(cells["price"])
        if not (Decimal("0.01") <= price <= MAX_PRICE) or price != price.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.add(line, "price", f"Give a price from 0.01 to {MAX_PRICE}, in 2 decimals.")
    stock = 0
    if re.fullmatch(r"[0-9]{1,10}", cells["stock"]) and int(cells["stock"]) <= MAX_STOCK:
        stock = int(cells["stock"])
    else:
        problems.add(line, "stock", f"Give a whole number from 0 to {MAX_STOCK}.")
    active = cells["is_active"].lower() or "true"
    if active not in TRUE + FALSE:
        problems.add(line, "is_active", "Give true or false.")
    option_names: list[str] = []
    options: dict[str, str] = {}
    for n in range(1, MAX_OPTIONS + 1):
        option_name = " ".join(cells[f"option{n}_name"].split())
        value = " ".join(cells[f"option{n}_value"].split())
        if not option_name and not value:
            continue
        if not option_name or not value or len(option_name) > 50 or len(value) > 100:
            problems.add(line, f"option{n}_name", "Give an option's name and its value.")
        elif option_name.lower() in {known.lower() for known in option_names}:
            problems.add(line, f"option{n}_name", f"Option {option_name} is given twice.")
        else:
            option_names.append(option_name)
            options[option_name] = value
    slugs = [slug.strip().lower() for slug in cells["category_slugs"].split(SLUG_SEPARATOR)]
    if len(problems.rows) > before:
        return None
    return Row(
        line=line,
        product_name=name,
        description=cells["description"].replace("\r\n", "\n"),
        category_slugs=sorted({slug for slug in slugs if slug}),
        option_names=option_names,
        options=options,
        sku=sku,
        price=price,
        stock=stock,
        is_active=active in TRUE,
    )


def rows_read(upload: IO[bytes], problems: _Problems) -> list[Row]:
    """The valid rows of the file, each checked on its own (shape, values), the others added
    to `problems`; `InvalidInput` on `file` for a file that is not a CSV of the columns."""
    text = _text(upload)
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    rows: list[Row] = []
    data_rows = 0
    try:
        header = [column.strip().lower() for column in next(reader, [])]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        unknown = [column for column in header if column not in COLUMNS]
        if missing or unknown or len(set(header)) != len(header):
            raise _file_error(
                f"The first row must name the columns: {', '.join(COLUMNS)} (missing: "
                f"{', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})."
            )
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise _file_error(f"A file may hold at most {MAX_ROWS} rows.")
            if len(values) != len(header):
                problems.add(line, "row", f"Expected {len(header)} cells, found {len(values)}.")
                continue
            row = _row(line, dict(zip(header, values, strict=True)), problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        raise _file_error(f"Not a readable CSV file (line {reader.line_num}): {exc}.") from exc
    finally:
        csv.field_size_limit(previous_limit)
    if not rows and not problems.rows:
        raise _file_error("The file has no rows.")
    return rows


# --- Import ----------------------------------------------------------------------------------


@dataclass
class _ProductPlan:
    name: str
    description: str
    category_slugs: list[str]
    option_names: list[str]
    product: Product | None = None
    options: list[dict[str, Any]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    changed: bool = False


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0


def _plan(shop: Shop, rows: Sequence[Row], problems: _Problems) -> dict[str, _ProductPlan]:
    """The file's rows by product, checked against each other and against the shop."""
    wanted = {row.product_name.lower() for row in rows}
    ids = [
        pid
        for pid, name in Product.objects.filter(shop=shop).values_list("id", "name")
        if name.lower() in wanted
    ]
    existing = {
        product.name.lower(): product
        for product in Product.objects.filter(id__in=ids).prefetch_related("categories")
    }
    plans: dict[str, _ProductPlan] = {}
    skus: dict[str, int] = {}
    for row in rows:
        if row.sku.lower() in skus:
            problems.add(row.line, "sku", f"SKU {row.sku} is also on row {skus[row.sku.lower()]}.")
            continue
        skus[row.sku.lower()] = row.line
        plan = plans.get(row.product_name.lower())
        if plan is None:
            product = existing.get(row.product_name.lower())
            plan = plans[row.product_name.lower()] = _ProductPlan(
                name=row.product_name,
                description=row.description,
                category_slugs=row.category_slugs,
                option_names=row.option_names,
                product=product,
                options=[dict(o, values=list(o["values"])) for o in product.options]
                if product
                else [{"name": name, "values": []} for name in row.option_names],
            )
            if product is not None:
                known = [o["name"] for o in product.options]
                if [n.lower() for n in known] != [n.lower() for n in row.option_names]:
                    problems.add(
                        row.line,
                        "option1_name",
                        f"{product.name} has the options: {', '.join(known) or 'none'}.",
                    )
                    continue
                plan.option_names = known
                plan.changed = (
                    product.description != row.description
                    or sorted(c.slug for c in product.categories.all()) != row.category_slugs
                )
        elif (row.description, row.category_slugs) != (plan.description, plan.category_slugs):
            problems.add(
                row.line,
                "description",
                "Rows of one product must have the same description and categories.",
            )
            continue
        elif [n.lower() for n in row.option_names] != [n.lower() for n in plan.option_names]:
            problems.add(
                row.line, "option1_name", "Rows of one product must name the same options."
            )
            continue
        # The product's own spelling of its option names.
        row.options = {
            name: row.options[given]
            for name, given in zip(plan.option_names, row.option_names, strict=True)
        }
        plan.rows.append(row)
    slugs = {slug for plan in plans.values() for slug in plan.category_slugs}
    known_slugs = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for plan in plans.values():
        unknown = [slug for slug in plan.category_slugs if slug not in known_slugs]
        if unknown:
            problems.add(
                plan.rows[0].line if plan.rows else 0,
                "category_slugs",
                f"Unknown categories: {', '.join(unknown)}.",
            )
    return plans


def _variant_problems(
    shop: Shop, plans: dict[str, _ProductPlan], problems: _Problems
) -> dict[str, ProductVariant]:
    """Each row against the shop's variants: a known SKU stays with its product and options;
    a new one is a new combination of its product's options. Returns the known variants by
    SKU key."""
    rows = [row for plan in plans.values() for row in plan.rows]
    known = {
        variant.sku_key: variant
        for variant in ProductVariant.objects.filter(
            shop=shop, sku_key__in=[row.sku.lower() for row in rows]
        )
    }
    product_ids = [plan.product.id for plan in plans.values() if plan.product is not None]
    combinations = set(
        ProductVariant.objects.filter(product_id__in=product_ids).values_list(
            "product_id", "options_key"
        )
    )
    for plan in plans.values():
        owner = plan.product.id if plan.product else None
        combination_of: Any = owner or plan.name.lower()  # a new product: its name
        for row in plan.rows:
            variant = known.get(row.sku.lower())
            if variant is not None:
                if variant.product_id != owner:
                    problems.add(row.line, "sku", f"SKU {row.sku} is another product's.")
                elif variant.options != row.options:
                    problems.add(
                        row.line, "option1_value", f"The options of SKU {row.sku} cannot change."
                    )
                continue
            combination = (combination_of, options_key(row.options))
            if combination in combinations:
                problems.add(
                    row.line,
                    "sku",
                    "The product already has a variant with these options"
                    + ("." if row.options else " (it has no options: one variant)."),
                )
            combinations.add(combination)
    return known


def _slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:200].strip("-") or "product"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


@raises(Conflict, FileTooLarge)
def catalogue_import(*, shop: Shop, actor: User | None, upload: IO[bytes]) -> ImportResult:
    """Apply a catalogue file to `shop`, whole or not at all (see the module docstring)."""
    problems = _Problems()
    rows = rows_read(upload, problems)
    plans = _plan(shop, rows, problems)
    known = _variant_problems(shop, plans, problems)
    if problems.rows:
        raise ImportRejected(sorted(problems.rows, key=lambda p: (p["row"], p["field"])))
    try:
        with transaction.atomic():
            return _apply(shop=shop, actor=actor, plans=plans, known=known, total=len(rows))
    except IntegrityError as exc:  # a name or SKU taken by a request running meanwhile
        raise Conflict("The catalogue changed while the file was imported; try again.") from exc


def _apply(
    *,
    shop: Shop,
    actor: User | None,
    plans: dict[str, _ProductPlan],
    known: dict[str, ProductVariant],
    total: int,
) -> ImportResult:
    result = ImportResult(rows=total)
    now = timezone.now()
    locked = lock_variants(variant.id for variant in known.values())
    if len(locked) != len(known):
        raise Conflict("The catalogue changed while the file was imported; try again.")
    categories = dict(Category.objects.values_list("slug", "id"))
    taken = set(Product.objects.filter(shop=shop).values_list("slug", flat=True))
    new_products: list[Product] = []
    changed_products: list[Product] = []
    new_variants: list[ProductVariant] = []
    changed_variants: list[ProductVariant] = []
    stock: dict[uuid.UUID, int] = {}
    first_movements: list[InventoryMovement] = []
    through = Product.categories.through
    links: list[Any] = []
    relinked: list[uuid.UUID] = []
    for plan in plans.values():
        product = plan.product
        if product is None:
            product = plan.product = Product(
                shop=shop,
                name=plan.name,
                slug=_slug(plan.name, taken),
                description=plan.description,
                options=plan.options,
                is_active=True,
            )
            new_products.append(product)
            plan.changed = True
        values_before = [list(option["values"]) for option in plan.options]
        for row in plan.rows:
            for option in plan.options:
                value = row.options[option["name"]]
                if value not in option["values"]:
                    option["values"].append(value)
            variant = known.get(row.sku.lower())
            if variant is None:
                # Created with its stock, and the ledger's first movement for it.
                variant = ProductVariant(
                    product=product,
                    shop=shop,
                    sku=row.sku,
                    sku_key=row.sku.lower(),
                    options=row.options,
                    options_key=options_key(row.options),
                    price=row.price,
                    stock=row.stock,
                    is_active=row.is_active,
                )
                new_variants.append(variant)
                if row.stock:
                    first_movements.append(
                        InventoryMovement(
                            product=product,
                            variant=variant,
                            delta=row.stock,
                            reason=InventoryMovement.Reason.IMPORT,
                            stock_after=row.stock,
                            actor=actor,
                        )
                    )
                result.created += 1
                continue
            variant = locked[variant.id]
            fields = (row.sku, row.price, row.is_active)
            if fields != (variant.sku, variant.price, variant.is_active):
                variant.sku, variant.price, variant.is_active = fields
                variant.updated_at = now
                changed_variants.append(variant)
            elif row.stock == variant.stock and not plan.changed:
                result.unchanged += 1
                continue
            result.updated += 1
            if row.stock != variant.stock:
                stock[variant.id] = row.stock - variant.stock
        if plan.product is not None and plan.changed:
            if product not in new_products:
                product.description = plan.description
                changed_products.append(product)
                relinked.append(product.id)
            links += [
                through(product_id=product.id, category_id=categories[slug])
                for slug in plan.category_slugs
            ]
        if [o["values"] for o in plan.options] != values_before and product not in new_products:
            product.options = plan.options
            if product not in changed_products:
                changed_products.append(product)
    Product.objects.bulk_create(new_products, batch_size=_IMPORT_BATCH)
    for product in changed_products:
        product.updated_at = now
    Product.objects.bulk_update(
        changed_products, ["description", "options", "updated_at"], batch_size=_UPDATE_BATCH
    )
    through.objects.filter(product_id__in=relinked).delete()
    through.objects.bulk_create(links, batch_size=_IMPORT_BATCH)
    ProductVariant.objects.bulk_create(new_variants, batch_size=_IMPORT_BATCH)
    InventoryMovement.objects.bulk_create(first_movements, batch_size=_IMPORT_BATCH)
    ProductVariant.objects.bulk_update(
        changed_variants, ["sku", "price", "is_active", "updated_at"], batch_size=_UPDATE_BATCH
    )
    priced = sorted({variant.product_id for variant in [*new_variants, *changed_variants]})
    for start in range(0, len(priced), _UPDATE_BATCH):
        product_prices_refresh(priced[start : start + _UPDATE_BATCH])
    changes = [StockChange(variant_id, delta) for variant_id, delta in stock.items()]
    for start in range(0, len(changes), _UPDATE_BATCH):
        batch = changes[start : start + _UPDATE_BATCH]
        stock_apply(
            changes=batch,
            reason=InventoryMovement.Reason.IMPORT,
            actor=actor,
            locked={change.variant_id: locked[change.variant_id] for change in batch},
        )
    if new_products or changed_products or new_variants or changed_variants or stock:
        catalogue_changed()
    return result
