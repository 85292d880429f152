"""Reads for the catalogue, scoped to what the caller may see, with fixed query counts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet, UUIDField
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform

from core.errors import NotFound
from products.models import Category, InventoryMovement, Product, ProductImage, ProductVariant
from shops.models import Shop, public_shop_q
from shops.selectors import (
    Membership,
    is_shop_member,
    shop_get_visible,
    shop_role,
    shops_for_member,
)
from users.models import User

MOVEMENTS_SHOWN = 50
# PostgreSQL: categories (with their sub-categories) of at most this many product links are
# filtered by the list of their products' ids (`products_in_categories`).
SMALL_CATEGORY = 1000


# --- Categories ------------------------------------------------------------------------------


def categories_list() -> QuerySet[Category]:
    """Every category, by name (filtered by `products.filters.CategoryFilter`)."""
    return Category.objects.order_by("name", "id")


def category_get(*, category_id: uuid.UUID | str) -> Category:
    category = Category.objects.filter(id=category_id).first()
    if category is None:
        raise NotFound("Category not found.")
    return category


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def category_subtree_ids(*, ref: str) -> list[uuid.UUID]:
    """The category named by id or slug and all its descendants; empty when unknown.

    One query: the tree is read whole (categories are few) and walked in memory.
    """
    rows = list(Category.objects.values_list("id", "parent_id", "slug"))
    wanted = _parse_uuid(ref)
    root = next(
        (cid for cid, _, slug in rows if (cid == wanted if wanted else slug == ref.lower())),
        None,
    )
    if root is None:
        return []
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for cid, parent_id, _ in rows:
        if parent_id is not None:
            children[parent_id].append(cid)
    found, stack = [], [root]
    seen: set[uuid.UUID] = set()
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        found.append(cid)
        stack.extend(children[cid])
    return found


def products_in_categories(
    products: QuerySet[Product], *, category_ids: Sequence[uuid.UUID]
) -> QuerySet[Product]:
    """The products linked to any of `category_ids`.

    On PostgreSQL, from each product's stored `category_ids` (migration 0020), which an index
    of the active products newest first carries: a page, however deep, reads that index alone.
    A category of at most `SMALL_CATEGORY` links (read from them first, one bounded query)
    becomes the list of its product ids instead: its products are found by primary key and
    sorted, whatever the planner guesses of a category too rare for its statistics.
    Elsewhere, from the category links."""
    links = Product.categories.through.objects.filter(category_id__in=category_ids)
    if connection.vendor != "postgresql":
        return products.filter(id__in=links.values("product_id"))
    few = list(links.values_list("product_id", flat=True)[: SMALL_CATEGORY + 1])
    if len(few) <= SMALL_CATEGORY:
        return products.filter(id__in=set(few))
    from django.contrib.postgres.fields import ArrayField

    stored = RawSQL("category_ids", [], output_field=ArrayField(UUIDField()))
    return products.alias(category_ids=stored).filter(category_ids__overlap=category_ids)


def category_ancestor_ids(*, category_id: uuid.UUID) -> list[uuid.UUID]:
    """The category's parents, nearest first (one query)."""
    parents = dict(Category.objects.values_list("id", "parent_id"))
    found: list[uuid.UUID] = []
    current = parents.get(category_id)
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


# --- Products --------------------------------------------------------------------------------


class ImageRef(NamedTuple):
    """A product image as the representation shows it (`image`: the file's name in storage)."""

    id: uuid.UUID
    image: str
    position: int


class CategoryRef(NamedTuple):
    id: uuid.UUID
    name: str
    slug: str


class VariantRef(NamedTuple):
    id: uuid.UUID
    sku: str
    options: dict[str, str]
    price: Decimal
    stock: int
    is_active: bool


def attach_variants(products: Sequence[Product]) -> None:
    """Set each product's `variant_list` (plain tuples, in the model's order) and the figures
    its representation shows: `price_low` and `price_high` (of the active variants; None when
    none is active) and `stock_total` (the active variants' stock added up). One query."""
    variants: defaultdict[uuid.UUID, list[VariantRef]] = defaultdict(list)
    for product_id, *row in (
        ProductVariant.objects.filter(product_id__in=[product.id for product in products])
        .order_by("created_at", "id")
        .values_list("product_id", "id", "sku", "options", "price", "stock", "is_active")
    ):
        variants[product_id].append(VariantRef(*row))
    for product in products:
        found = product.variant_list = variants[product.id]
        prices = [variant.price for variant in found if variant.is_active]
        product.price_low = min(prices) if prices else None
        product.price_high = max(prices) if prices else None
        product.stock_total = sum(variant.stock for variant in found if variant.is_active)


def attach_catalogue_relations(products: Sequence[Product]) -> None:
    """Set each product's `image_list`, `category_list` (in the models' order) and variants
    (`attach_variants`), which the product representation reads, from 3 queries however many
    products: plain tuples, not model instances through `prefetch_related`, which costs a
    catalogue page more than all its other queries. Call it on a page of products (their
    `shop` joined by `select_related`)."""
    ids = [product.id for product in products]
    if not ids:
        return
    attach_variants(products)
    images: defaultdict[uuid.UUID, list[ImageRef]] = defaultdict(list)
    for product_id, image_id, name, position in ProductImage.objects.filter(
        product_id__in=ids
    ).values_list("product_id", "id", "image", "position"):
        images[product_id].append(ImageRef(image_id, name, position))
    categories: defaultdict[uuid.UUID, list[CategoryRef]] = defaultdict(list)
    ordering = [f"category__{name}" for name in Category._meta.ordering or ()]
    for product_id, category_id, name, slug in (
        Product.categories.through.objects.filter(product_id__in=ids)
        .order_by(*ordering, "category_id")
        .values_list("product_id", "category_id", "category__name", "category__slug")
    ):
        categories[product_id].append(CategoryRef(category_id, name, slug))
    for product in products:
        product.image_list = images[product.id]
        product.category_list = categories[product.id]


def product_for_representation(*, product_id: uuid.UUID) -> Product:
    """One product with what its representation reads (3 queries)."""
    product = Product.objects.select_related("shop").get(id=product_id)
    attach_catalogue_relations([product])
    return product


def products_public() -> QuerySet[Product]:
    """The public catalogue: active products of public shops (active and approved)."""
    return Product.objects.filter(public_shop_q("shop__"), is_active=True)


def products_of_shop(
    *, user: User, shop_id: uuid.UUID | str, include_inactive: bool = False
) -> tuple[Shop, QuerySet[Product]]:
    """A shop's catalogue. Members may ask for inactive products too; a deactivated shop is
    visible to its members only."""
    shop = shop_get_visible(user=user, shop_id=shop_id)
    products = Product.objects.filter(shop=shop)
    if not (include_inactive and is_shop_member(user=user, shop=shop)):
        products = products.filter(is_active=True)
    return shop, products


def product_get_visible(*, user: User, product_id: uuid.UUID | str) -> Product:
    """A product of the public catalogue, or any product of a shop the caller is a member of."""
    product = Product.objects.select_related("shop").filter(id=product_id).first()
    if product is None:
        raise NotFound("Product not found.")
    if not (product.is_active and product.shop.is_public) and not is_shop_member(
        user=user, shop=product.shop
    ):
        raise NotFound("Product not found.")
    attach_catalogue_relations([product])
    return product


def product_for_member(*, user: User, product_id: uuid.UUID | str) -> tuple[Product, Membership]:
    """A product of a shop the caller is a member of (one query); 404 for anyone else."""
    product = (
        Product.objects.select_related("shop")
        .filter(id=product_id, shop__in=shops_for_member(user=user))
        .first()
    )
    role = shop_role(user=user, shop=product.shop) if product else None
    if product is None or role is None:
        raise NotFound("Product not found.")
    return product, Membership(shop=product.shop, role=role)


def variants_matching(*, options: Sequence[tuple[str, str]] = (), **conditions: Any) -> Exists:
    """`Exists(...)` of a variant of the outer product meeting all the conditions, and having
    each (option name, value) of `options` (the value in any case)."""
    variants = ProductVariant.objects.filter(product=OuterRef("pk"), **conditions)
    for position, (name, value) in enumerate(options):
        alias = f"option_{position}"
        variants = variants.alias(**{alias: KeyTextTransform(name, "options")}).filter(
            **{f"{alias}__iexact": value}
        )
    return Exists(variants)


class _AnyOf(Lookup):
    """`lhs = ANY(rhs)`: the left side is one of the array on the right (PostgreSQL)."""

    lookup_name = "any_of"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def product_search(products: QuerySet[Product], *, text: str) -> QuerySet[Product]:
    """Name and description search: PostgreSQL full text (GIN-indexed, ranked) or, elsewhere,
    every word somewhere in the name or description; and a variant's SKU, whole (any case).

    On PostgreSQL the matches are bounded: the newest `settings.SEARCH_CANDIDATES` products of
    `products` matching the text (read newest first through the GIN index or the `created_at`
    index, whichever the planner finds cheaper), and the products whose SKU is the text. Only
    those are ranked (`search_rank`), so a word found in half the catalogue costs a few
    thousand rows, not half the catalogue. Apply it after the other filters, so that the bound
    counts only products that pass them."""
    text = text.strip()
    if not text:
        return products
    sku = text.lower()[:64]
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery
        from django.contrib.postgres.search import SearchQuery, SearchRank

        from products.search import SEARCH_CONFIG, product_search_document

        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        vector = product_search_document()
        newest = (
            products.alias(search_document=vector)
            .filter(search_document=query)
            .order_by("-created_at", "-id")
            .values("id")[: settings.SEARCH_CANDIDATES]
        )
        # A union rather than `OR`: each side keeps its index (the GIN index of the text or the
        # `created_at` one, the SKU's). The few ids found are then read by primary key
        # (`id = ANY(ARRAY(...))`), never by a scan of the table, however small it is.
        by_sku = ProductVariant.objects.filter(sku_key=sku).order_by().values("product_id")
        found = ArraySubquery(newest.union(by_sku))
        return products.filter(_AnyOf(F("id"), found)).annotate(
            search_rank=SearchRank(vector, query)
        )
    condition = Q()
    for word in text.split()[:10]:
        condition &= Q(name__icontains=word) | Q(description__icontains=word)
    return products.filter(condition | variants_matching(sku_key=sku))


def movements_for_product(*, product: Product, limit: int = MOVEMENTS_SHOWN):
    """The product's newest inventory movements, with their actors."""
    return list(
        InventoryMovement.objects.filter(product=product)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def movements_for_variant(*, variant: ProductVariant, limit: int = MOVEMENTS_SHOWN):
    """The variant's newest inventory movements, with their actors."""
    return list(
        InventoryMovement.objects.filter(variant=variant)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def variant_for_member(
    *, user: User, variant_id: uuid.UUID | str, product_id: uuid.UUID | str | None = None
) -> ProductVariant:
    """A variant (of `product_id` when given) of a shop the caller is a member of; 404 for
    anyone else."""
    variants = ProductVariant.objects.select_related("product__shop").filter(
        id=variant_id, shop__in=shops_for_member(user=user)
    )
    if product_id is not None:
        variants = variants.filter(product_id=product_id)
    variant = variants.first()
    if variant is None or shop_role(user=user, shop=variant.product.shop) is None:
        raise NotFound("Variant not found.")
    return variant
