"""Shared by the shop and catalogue tests: every role of the authorisation matrix, and real
image files generated with Pillow."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import ShopFactory, StaffFactory, UserFactory
from users.services import user_deactivate

# Every kind of caller the contract distinguishes.
ROLES = (
    "anonymous",
    "customer",
    "owner",
    "staff",
    "other_member",
    "deactivated_staff",
    "admin",
)


@dataclass
class World:
    """A shop with its owner and staff, a second shop, a customer and an admin."""

    shop: object
    owner: object
    staff: object
    other_shop: object
    other_owner: object
    customer: object
    admin: object
    deactivated_staff: object
    clients: dict[str, APIClient] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        return self.clients[role]


def build_world(client_for: Callable[..., APIClient]) -> World:
    owner = UserFactory()
    shop = ShopFactory(owner=owner, low_stock_threshold=3)
    staff = StaffFactory(shop=shop)
    other_owner = UserFactory()
    other_shop = ShopFactory(owner=other_owner)
    customer = UserFactory()
    admin = UserFactory(is_staff=True, is_superuser=True)
    gone = StaffFactory(shop=shop)
    world = World(
        shop=shop,
        owner=owner,
        staff=staff,
        other_shop=other_shop,
        other_owner=other_owner,
        customer=customer,
        admin=admin,
        deactivated_staff=gone,
    )
    world.clients = {
        "anonymous": APIClient(),
        "customer": client_for(customer),
        "owner": client_for(owner),
        "staff": client_for(staff),
        "other_member": client_for(other_owner),
        "deactivated_staff": client_for(gone),
        "admin": client_for(admin),
    }
    # Deactivated after its token was issued: that token must stop working at once.
    user_deactivate(user=gone)
    return world


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == code, body
    return body


def expect(response, status: int) -> None:
    """Success statuses check the envelope; error statuses check the matching error code."""
    codes = {
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
    }
    if status in codes:
        assert_error(response, status, codes[status])
    else:
        assert response.status_code == status, (response.status_code, response.content[:500])
        if status != 204:
            assert response.json()["status"] == "success"


# --- Images ----------------------------------------------------------------------------------


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 30, 30),
    exif_orientation: int | None = None,
    mode: str = "RGB",
) -> bytes:
    image = Image.new(mode, size, color if mode == "RGB" else (*color, 255))
    buffer = io.BytesIO()
    options = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        options["exif"] = exif
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def upload(
    content: bytes, name: str = "photo.png", content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def noise_png(size: tuple[int, int]) -> bytes:
    """An incompressible PNG: random pixels."""
    import os

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces a huge canvas (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
