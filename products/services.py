"""Writes for categories, products and product images. Stock goes through `products.inventory`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils.text import slugify

from core.catalogue_cache import catalogue_changed
from core.errors import Conflict, FileTooLarge, InvalidInput, NotFound, UnsupportedMediaType, raises
from core.images import image_delete, image_process, image_store
from products.inventory import MAX_STOCK, lock_products, lock_variants
from products.models import Category, InventoryMovement, Product, ProductImage, ProductVariant
from products.selectors import category_ancestor_ids
from products.variants import (
    VariantSpec,
    options_check,
    specs_price_range,
    variant_price_set,
    variants_build,
    variants_insert,
)
from shops.models import Shop
from users.models import User

MAX_IMAGES_PER_PRODUCT = 8
PRODUCT_NAME_TAKEN = "A product with this name already exists in this shop."
PRODUCT_UPDATABLE_FIELDS = ("name", "description", "is_active")
_SLUG_ATTEMPTS = 5


def _slug_base(name: str, *, max_length: int, fallback: str) -> str:
    return slugify(name)[:max_length].strip("-") or fallback


def _first_free_slug(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- Categories ------------------------------------------------------------------------------


def _category_parent(parent_id: uuid.UUID | None) -> Category | None:
    if parent_id is None:
        return None
    parent = Category.objects.filter(id=parent_id).first()
    if parent is None:
        raise InvalidInput({"parent_id": ["Unknown category."]})
    return parent


@raises(Conflict)
def category_create(
    *,
    name: str,
    parent_id: uuid.UUID | None = None,
    commission_percent: Decimal | None = None,
) -> Category:
    """A category with a slug made unique from its name (`shoes`, `shoes-2`, ...)."""
    parent = _category_parent(parent_id)
    base = _slug_base(name, max_length=100, fallback="category")
    for _ in range(_SLUG_ATTEMPTS):
        taken = Category.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        category = Category(
            name=name,
            parent=parent,
            slug=_first_free_slug(base, taken),
            commission_percent=commission_percent,
        )
        try:
            with transaction.atomic():
                category.save(force_insert=True)
            catalogue_changed()
            return category
        except IntegrityError:
            continue  # a concurrent request took the slug: pick the next one
    raise Conflict("Could not allocate a unique slug; try again.")


@raises(Conflict)
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    """Rename, re-slug or move a category. A category cannot move under itself."""
    if "parent_id" in data:
        parent = _category_parent(data["parent_id"])
        if parent is not None and (
            parent.id == category.id or category.id in category_ancestor_ids(category_id=parent.id)
        ):
            raise InvalidInput(
                {"parent_id": ["A category cannot be inside itself or its sub-categories."]}
            )
        category.parent = parent
    if "name" in data:
        category.name = data["name"]
    if "commission_percent" in data:
        category.commission_percent = data["commission_percent"]
    if "slug" in data:
        if Category.objects.filter(slug=data["slug"]).exclude(id=category.id).exists():
            raise Conflict("A category with this slug already exists.")
        category.slug = data["slug"]
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise Conflict("A category with this slug already exists.") from exc
    catalogue_changed()
    return category


@raises(Conflict)
def category_delete(*, category: Category) -> None:
    """Delete a category that has no sub-categories and no products (else 409)."""
    if category.children.exists():
        raise Conflict("The category has sub-categories; move or delete them first.")
    if category.products.exists():
        raise Conflict("The category has products; remove them from it first.")
    try:
        with transaction.atomic():
            category.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise Conflict("The category is in use.") from exc
    catalogue_changed()


# --- Products --------------------------------------------------------------------------------


def _categories_get(category_ids: Iterable[uuid.UUID]) -> list[Category]:
    wanted = list(dict.fromkeys(category_ids))
    categories = list(Category.objects.filter(id__in=wanted))
    missing = set(wanted) - {c.id for c in categories}
    if missing:
        raise InvalidInput(
            {"category_ids": [f"Unknown category: {cid}." for cid in sorted(map(str, missing))]}
        )
    return categories


def _product_slug(*, shop: Shop, name: str, exclude_id: uuid.UUID | None = None) -> str:
    base = _slug_base(name, max_length=200, fallback="product")
    taken = Product.objects.filter(shop=shop, slug__startswith=base)
    if exclude_id is not None:
        taken = taken.exclude(id=exclude_id)
    return _first_free_slug(base, taken.values_list("slug", flat=True))


def _name_taken(shop: Shop, name: str, *, exclude_id: uuid.UUID | None = None) -> bool:
    products = Product.objects.filter(shop=shop, name__iexact=name)
    if exclude_id is not None:
        products = products.exclude(id=exclude_id)
    return products.exists()


@raises(Conflict)
def product_create(
    *,
    shop: Shop,
    actor: User | None,
    name: str,
    price: Decimal | None = None,
    description: str = "",
    category_ids: Iterable[uuid.UUID] = (),
    stock: int = 0,
    is_active: bool = True,
    sku: str | None = None,
    options: Sequence[Mapping[str, Any]] = (),
    variants: Sequence[VariantSpec] = (),
) -> Product:
    """A product of `shop` with its variants; their initial stock is the ledger's first
    movement (`initial`). Without `options`, one default variant of `price`, `stock` and `sku`
    (generated when not given); with them, the `variants` (at least one)."""
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput({"stock": [f"Must be between 0 and {MAX_STOCK}."]})
    cleaned_options = options_check(options)
    if not cleaned_options:
        if price is None:
            raise InvalidInput({"price": ["This field is required."]})
        variants = [VariantSpec(options={}, price=price, stock=stock, sku=sku)]
    categories = _categories_get(category_ids)
    if _name_taken(shop, name):
        raise Conflict(PRODUCT_NAME_TAKEN)
    with transaction.atomic():
        product = Product(
            shop=shop,
            name=name,
            slug=_product_slug(shop=shop, name=name),
            description=description,
            options=cleaned_options,
            is_active=is_active,
        )
        product.price_min, product.price_max = specs_price_range(variants)
        built = variants_build(product=product, specs=variants)
        try:
            with transaction.atomic():
                product.save(force_insert=True)
        except IntegrityError as exc:
            raise Conflict(PRODUCT_NAME_TAKEN) from exc
        product.categories.set(categories)
        variants_insert(variants=built, stock=[spec.stock for spec in variants], actor=actor)
        catalogue_changed()
    return product


@raises(Conflict)
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Change the whitelisted fields; stock and shop are never taken from here. `price` is the
    price of the product's one variant (409 for a product with several)."""
    fields = {key: value for key, value in data.items() if key in PRODUCT_UPDATABLE_FIELDS}
    categories = _categories_get(data["category_ids"]) if "category_ids" in data else None
    if "name" in fields and fields["name"] != product.name:
        if _name_taken(product.shop, fields["name"], exclude_id=product.id):
            raise Conflict(PRODUCT_NAME_TAKEN)
        product.slug = _product_slug(shop=product.shop, name=fields["name"], exclude_id=product.id)
    with transaction.atomic():
        if "price" in data:
            # The variant's row before its product's (the lock order of `products.inventory`).
            variant_price_set(product=product, price=data["price"])
        for key, value in fields.items():
            setattr(product, key, value)
        try:
            with transaction.atomic():
                # Never write `stock` from here: it belongs to the ledger's row lock.
                product.save(update_fields=[*fields, "slug", "updated_at"])
        except IntegrityError as exc:
            raise Conflict(PRODUCT_NAME_TAKEN) from exc
        if categories is not None:
            product.categories.set(categories)
        catalogue_changed()
    return product


def _files_delete(names: Iterable[str]) -> None:
    for name in names:
        image_delete(name)


def product_delete(*, product: Product) -> bool:
    """Delete a product never ordered; deactivate one that appears in an order.

    Returns True when the product was deleted. Its variants' rows are locked first, as a
    checkout locks them, so a checkout cannot order it between the check and the delete, and
    the two never wait for each other in opposite orders.
    """
    with transaction.atomic():
        lock_variants(ProductVariant.objects.filter(product=product).values_list("id", flat=True))
        if product.id not in lock_products([product.id]):
            raise NotFound("Product not found.")
        catalogue_changed()
        # Order items PROTECT their product, so the delete below is refused for any ordered
        # product; the ledger (order movements) spares that attempt in the common case cheaply.
        ordered = InventoryMovement.objects.filter(product_id=product.id, order__isnull=False)
        if not ordered.exists():
            files = list(
                ProductImage.objects.filter(product=product).values_list("image", flat=True)
            )
            try:
                with transaction.atomic():
                    product.delete()
            except (ProtectedError, IntegrityError):
                pass  # referenced after all: deactivate it below instead
            else:
                transaction.on_commit(lambda: _files_delete(files))
                return True
        Product.objects.filter(id=product.id).update(is_active=False)
        product.is_active = False
        return False


# --- Images ----------------------------------------------------------------------------------


@raises(Conflict, FileTooLarge, UnsupportedMediaType)
def product_image_add(*, product: Product, upload: IO[bytes]) -> ProductImage:
    """Validate, normalise and store an image (at most 8 a product: 409 beyond)."""
    if ProductImage.objects.filter(product=product).count() >= MAX_IMAGES_PER_PRODUCT:
        raise Conflict(f"A product may have at most {MAX_IMAGES_PER_PRODUCT} images.")
    # Decode and write the file first, outside any lock; remove it if the row is refused.
    name = image_store(processed=image_process(upload), folder="products")
    try:
        with transaction.atomic():
            # The product's row lock serialises concurrent uploads, so the limit holds.
            if product.id not in lock_products([product.id]):
                raise NotFound("Product not found.")
            images = ProductImage.objects.filter(product=product)
            if images.count() >= MAX_IMAGES_PER_PRODUCT:
                raise Conflict(f"A product may have at most {MAX_IMAGES_PER_PRODUCT} images.")
            last = images.aggregate(last=Max("position"))["last"]
            image = ProductImage(product=product, position=0 if last is None else last + 1)
            image.image.name = name
            image.save(force_insert=True)
            catalogue_changed()
    except BaseException:
        image_delete(name)
        raise
    return image


def product_image_delete(*, image: ProductImage) -> None:
    name = image.image.name
    with transaction.atomic():
        image.delete()
        catalogue_changed()
        transaction.on_commit(lambda: image_delete(name))
