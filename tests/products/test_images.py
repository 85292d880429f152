"""Image uploads with real files generated here: formats, size, count, bombs, EXIF."""

import threading

import pytest
from django.db import connection
from PIL import Image

from products.models import ProductImage
from products.services import MAX_IMAGES_PER_PRODUCT
from tests.factories import ProductFactory, UserFactory
from tests.shops.helpers import (
    assert_error,
    bomb_png,
    expect,
    image_bytes,
    noise_png,
    upload,
)


def images_url(product) -> str:
    return f"/api/v1/products/{product.id}/images/"


def image_url(product, image_id) -> str:
    return f"{images_url(product)}{image_id}/"


def post_image(client, product, content, name="photo.png", content_type="image/png"):
    return client.post(
        images_url(product), {"image": upload(content, name, content_type)}, format="multipart"
    )


def stored(image_id) -> Image.Image:
    record = ProductImage.objects.get(id=image_id)
    with record.image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return image


@pytest.fixture
def product(world):
    return ProductFactory(shop=world.shop)


@pytest.mark.parametrize(
    "fmt, name, content_type",
    [
        ("PNG", "a.png", "image/png"),
        ("JPEG", "a.jpg", "image/jpeg"),
        ("WEBP", "a.webp", "image/webp"),
    ],
)
def test_valid_images_are_stored_re_encoded(world, product, fmt, name, content_type):
    response = post_image(
        world.client("staff"), product, image_bytes(fmt, (320, 200)), name, content_type
    )
    expect(response, 201)
    data = response.json()["data"]
    assert set(data) == {"id", "url", "position"} and data["position"] == 0
    assert data["url"].startswith("http://testserver/media/products/")
    image = stored(data["id"])
    assert image.format == fmt and image.size == (320, 200)
    # The product's representation lists it.
    product_data = world.client("anonymous").get(f"/api/v1/products/{product.id}/").json()["data"]
    assert product_data["images"] == [data]


def test_large_images_are_resized_to_1600_on_the_long_side(world, product):
    response = post_image(world.client("owner"), product, image_bytes("JPEG", (3200, 1800)))
    expect(response, 201)
    assert stored(response.json()["data"]["id"]).size == (1600, 900)
    response = post_image(world.client("owner"), product, image_bytes("PNG", (900, 4000)))
    assert stored(response.json()["data"]["id"]).size == (360, 1600)


def test_exif_orientation_is_applied_and_metadata_dropped(world, product):
    # Orientation 6: the camera was turned; the picture must be rotated 90 degrees to stand up.
    content = image_bytes("JPEG", (400, 200), exif_orientation=6)
    with Image.open(__import__("io").BytesIO(content)) as original:
        assert original.getexif()[0x0112] == 6
    response = post_image(world.client("owner"), product, content, "turned.jpg", "image/jpeg")
    expect(response, 201)
    image = stored(response.json()["data"]["id"])
    assert image.size == (200, 400)
    assert 0x0112 not in image.getexif()


def test_transparent_png_keeps_its_alpha(world, product):
    response = post_image(world.client("owner"), product, image_bytes("PNG", mode="RGBA"))
    assert stored(response.json()["data"]["id"]).mode == "RGBA"


@pytest.mark.parametrize(
    "content, name",
    [
        (b"this is not an image at all", "photo.png"),
        (b"%PDF-1.4 fake pdf", "photo.jpg"),
        (b"GIF89a" + b"\x00" * 50, "photo.webp"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png"),
    ],
)
def test_files_that_are_not_supported_images_are_415(world, product, content, name):
    response = post_image(world.client("owner"), product, content, name)
    assert_error(response, 415, "unsupported_media_type")
    assert not ProductImage.objects.exists()


def test_gif_and_bmp_are_refused_even_though_pillow_reads_them(world, product):
    for fmt in ("GIF", "BMP"):
        response = post_image(world.client("owner"), product, image_bytes(fmt), "a.png")
        assert_error(response, 415, "unsupported_media_type")


def test_truncated_jpeg_is_415(world, product):
    content = image_bytes("JPEG", (800, 600))
    response = post_image(world.client("owner"), product, content[: len(content) // 2], "t.jpg")
    assert_error(response, 415, "unsupported_media_type")


def test_files_over_5_mb_are_413(world, product):
    content = noise_png((1400, 1300))
    assert len(content) > 5 * 1024 * 1024
    response = post_image(world.client("owner"), product, content, "huge.png")
    assert_error(response, 413, "file_too_large")
    assert not ProductImage.objects.exists()


@pytest.mark.parametrize("size", [(30000, 30000), (10000, 5000)])
def test_decompression_bombs_are_refused(world, product, size):
    content = bomb_png(*size)
    assert len(content) < 10_000
    response = post_image(world.client("owner"), product, content, "bomb.png")
    assert_error(response, 415, "unsupported_media_type")
    assert not ProductImage.objects.exists()


def test_pixel_limit_is_a_setting(world, product, settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    content = image_bytes("PNG", (1200, 1000))
    assert_error(post_image(world.client("owner"), product, content), 415, "unsupported_media_type")
    expect(post_image(world.client("owner"), product, image_bytes("PNG", (1000, 1000))), 201)


def test_at_most_8_images_a_product(world, product):
    client = world.client("owner")
    positions = [
        post_image(client, product, image_bytes()).json()["data"]["position"]
        for _ in range(MAX_IMAGES_PER_PRODUCT)
    ]
    assert positions == list(range(8))
    assert_error(post_image(client, product, image_bytes()), 409, "conflict")
    assert ProductImage.objects.filter(product=product).count() == 8


def test_upload_needs_a_multipart_image_field(world, product):
    client = world.client("owner")
    response = client.post(images_url(product), {"image": "text"}, format="json")
    assert_error(response, 415, "unsupported_media_type")
    response = client.post(images_url(product), {"other": "x"}, format="multipart")
    assert "image" in assert_error(response, 400, "validation_error")["errors"]


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 201),
        ("staff", 201),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 201),
    ],
)
def test_upload_permissions(world, product, role, status):
    expect(post_image(world.client(role), product, image_bytes()), status)
    assert ProductImage.objects.filter(product=product).exists() is (status == 201)


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 404),
        ("owner", 204),
        ("staff", 204),
        ("other_member", 404),
        ("deactivated_staff", 401),
        ("admin", 204),
    ],
)
def test_delete_permissions(world, product, role, status):
    image_id = post_image(world.client("owner"), product, image_bytes()).json()["data"]["id"]
    expect(world.client(role).delete(image_url(product, image_id)), status)
    assert ProductImage.objects.filter(id=image_id).exists() is (status != 204)


def test_delete_removes_the_file(world, product, django_capture_on_commit_callbacks):
    image_id = post_image(world.client("owner"), product, image_bytes()).json()["data"]["id"]
    record = ProductImage.objects.get(id=image_id)
    storage, name = record.image.storage, record.image.name
    with django_capture_on_commit_callbacks(execute=True):
        expect(world.client("owner").delete(image_url(product, image_id)), 204)
    assert not storage.exists(name)


def test_an_image_of_another_product_is_404(world, product):
    other = ProductFactory(shop=world.shop)
    image_id = post_image(world.client("owner"), other, image_bytes()).json()["data"]["id"]
    expect(world.client("owner").delete(image_url(product, image_id)), 404)
    assert ProductImage.objects.filter(id=image_id).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_never_pass_the_limit(client_for):
    owner = UserFactory()
    product = ProductFactory(shop__owner=owner)
    for position in range(5):
        ProductImage.objects.create(product=product, image=f"x{position}.png", position=position)
    client = client_for(owner)
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    content = image_bytes()

    def send():
        try:
            barrier.wait(timeout=10)
            statuses.append(post_image(client, product, content).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] * 3 + [409] * 5
    assert ProductImage.objects.filter(product=product).count() == 8
