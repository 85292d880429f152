"""Demo catalogue for `python manage.py seed_demo`: a small category tree and eight products a
shop, each with a generated picture and some stock; two have options (a wrapper's length, a
phone's storage), with a variant for each value. Runs after `shops.demo`."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from products.models import Category, Product
from products.services import category_create, product_create, product_image_add
from products.variants import VariantSpec
from shops.models import Shop

CATEGORY_TREE = {
    "Fashion": ["Fabrics", "Clothing"],
    "Electronics": ["Phones", "Accessories"],
    "Books": ["Fiction", "Non-fiction"],
}

# shop name -> [(name, price, stock, category, colour)]
CATALOGUE: dict[str, list[tuple[str, str, int, str, str]]] = {
    "Ada's Fabrics": [
        ("Ankara print, 6 yards", "12500.00", 25, "Fabrics", "#d35400"),
        ("French lace, 5 yards", "38000.00", 8, "Fabrics", "#8e44ad"),
        ("Aso-oke set", "45000.00", 4, "Fabrics", "#16a085"),
        ("Adire indigo cotton", "9500.00", 30, "Fabrics", "#2c3e50"),
        ("Ankara shirt", "15000.00", 12, "Clothing", "#e67e22"),
        ("Kaftan, embroidered", "32000.00", 2, "Clothing", "#7f8c8d"),
        ("Gele head-tie", "6000.00", 40, "Clothing", "#f1c40f"),
    ],
    "Lagos Gadgets": [
        ("Feature phone, dual SIM", "18500.00", 35, "Phones", "#2980b9"),
        ("Power bank 20000 mAh", "21000.00", 20, "Accessories", "#27ae60"),
        ("USB-C fast charger", "7500.00", 50, "Accessories", "#95a5a6"),
        ("Bluetooth earbuds", "24000.00", 15, "Accessories", "#1abc9c"),
        ("Phone case, shockproof", "4500.00", 60, "Accessories", "#9b59b6"),
        ("Solar lamp with USB", "16000.00", 3, "Accessories", "#f39c12"),
        ("Smart watch", "42000.00", 0, "Accessories", "#e74c3c"),
    ],
    "Bola Books": [
        ("Things Fall Apart", "6500.00", 20, "Fiction", "#a04000"),
        ("Half of a Yellow Sun", "8500.00", 12, "Fiction", "#f4d03f"),
        ("Purple Hibiscus", "7000.00", 9, "Fiction", "#6c3483"),
        ("The Famished Road", "9000.00", 5, "Fiction", "#1e8449"),
        ("Stay With Me", "7500.00", 7, "Fiction", "#cb4335"),
        ("There Was a Country", "11000.00", 4, "Non-fiction", "#2e4053"),
        ("Dear Ijeawele", "5000.00", 15, "Non-fiction", "#d98880"),
        ("Born a Crime", "9500.00", 2, "Non-fiction", "#5d6d7e"),
    ],
}


# shop name -> [(name, category, colour, option, [(value, SKU, price, stock)])]
WITH_OPTIONS: dict[str, list[tuple[str, str, str, str, list[tuple[str, str, str, int]]]]] = {
    "Ada's Fabrics": [
        ("George wrapper", "Fabrics", "#c0392b", "Length", [
            ("2 yards", "GEORGE-2Y", "9500.00", 12),
            ("4 yards", "GEORGE-4Y", "18000.00", 8),
            ("6 yards", "GEORGE-6Y", "27000.00", 6),
        ]),
    ],
    "Lagos Gadgets": [
        ("Android phone", "Phones", "#34495e", "Storage", [
            ("128 GB", "DROID-128", "185000.00", 10),
            ("256 GB", "DROID-256", "215000.00", 6),
        ]),
    ],
}  # fmt: skip


def _picture(text: str, colour: str) -> ContentFile:
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    try:
        font: Any = ImageFont.load_default(size=44)
    except (TypeError, OSError):
        font = ImageFont.load_default()
    draw.multiline_text((40, 260), text, fill="white", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="demo.png")


def _categories() -> dict[str, Category]:
    found: dict[str, Category] = {}
    for parent_name, children in CATEGORY_TREE.items():
        parent = Category.objects.filter(name=parent_name, parent=None).first()
        found[parent_name] = parent or category_create(name=parent_name)
        for child_name in children:
            child = Category.objects.filter(name=child_name, parent=found[parent_name]).first()
            found[child_name] = child or category_create(
                name=child_name, parent_id=found[parent_name].id
            )
    return found


def seed_demo(stdout: Any) -> None:
    categories = _categories()
    for shop_name, products in CATALOGUE.items():
        shop = Shop.objects.filter(name=shop_name).first()
        if shop is None:
            continue
        added = 0
        for name, price, stock, category, colour in products:
            if Product.objects.filter(shop=shop, name=name).exists():
                continue
            product = product_create(
                shop=shop,
                actor=shop.owner,
                name=name,
                price=Decimal(price),
                description=f"{name}, from {shop_name}.",
                category_ids=[categories[category].id],
                stock=stock,
            )
            product_image_add(product=product, upload=_picture(name, colour))
            added += 1
        for name, category, colour, option, variants in WITH_OPTIONS.get(shop_name, []):
            if Product.objects.filter(shop=shop, name=name).exists():
                continue
            product = product_create(
                shop=shop,
                actor=shop.owner,
                name=name,
                description=f"{name}, from {shop_name}, in {len(variants)} {option.lower()}s.",
                category_ids=[categories[category].id],
                options=[{"name": option, "values": [value for value, *_ in variants]}],
                variants=[
                    VariantSpec(options={option: value}, sku=sku, price=Decimal(price), stock=stock)
                    for value, sku, price, stock in variants
                ],
            )
            product_image_add(product=product, upload=_picture(name, colour))
            added += 1
        if added:
            stdout.write(f"  {added} products with pictures in {shop_name}")
