"""Uploaded images: validated, decoded safely, normalised, re-encoded and stored.

Only JPEG, PNG and WebP are accepted. The file is decoded by Pillow (its extension and declared
content type are not trusted), refused before decoding when its header announces more pixels
than `IMAGE_MAX_PIXELS` (decompression bombs), turned upright from its EXIF orientation,
shrunk to at most `IMAGE_MAX_SIDE` pixels on the long side and re-encoded, which also drops
metadata such as GPS positions. Files are written through Django's storage API.
"""

from __future__ import annotations

import contextlib
import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import FileTooLarge, UnsupportedMediaType

IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_SIDE = 1600
# 40 megapixels (e.g. 8000 x 5000) covers any camera photo; a bigger canvas is refused unread.
IMAGE_MAX_PIXELS = 40_000_000

_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_DECODE_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    MemoryError,
)


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    extension: str
    width: int
    height: int


def _max_pixels() -> int:
    return getattr(settings, "IMAGE_MAX_PIXELS", IMAGE_MAX_PIXELS)


def _normalise_mode(image: Image.Image, image_format: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image_format == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image_format == "PNG":
        # Palette and 1-bit images are widened so that resizing can smooth them.
        if image.mode in ("L", "LA", "RGB", "RGBA"):
            return image
        return image.convert("RGBA" if has_alpha else "RGB")
    # WebP stores RGB or RGBA only.
    if image.mode in ("RGB", "RGBA"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def image_process(upload: IO[bytes], *, size: int | None = None) -> ProcessedImage:
    """Validate and re-encode an uploaded image. 413 when too big, 415 when not a usable image."""
    size = size if size is not None else getattr(upload, "size", None)
    if size is None or size > IMAGE_MAX_BYTES:
        raise FileTooLarge(f"An image may be at most {IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
    if size == 0:
        raise UnsupportedMediaType("The file is empty.")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check only warns below twice its limit: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(upload, formats=list(_FORMATS))
            image_format = image.format or ""
            if image_format not in _FORMATS:
                raise UnsupportedMediaType("Upload a JPEG, PNG or WebP image.")
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > _max_pixels():
                raise UnsupportedMediaType("The image has too many pixels.")
            if image_format == "JPEG":
                # Decode at a reduced scale when the photo is far bigger than we keep.
                image.draft("RGB", (IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
            image.load()
            image = ImageOps.exif_transpose(image)
            image = _normalise_mode(image, image_format)
            image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            options: dict[str, object] = {}
            if icc_profile := image.info.get("icc_profile"):
                options["icc_profile"] = icc_profile
            if image_format == "JPEG":
                options.update(quality=85, optimize=True, progressive=True)
            elif image_format == "PNG":
                options.update(optimize=True)
            else:
                options.update(quality=85, method=4)
            image.save(output, format=image_format, **options)
    except UnsupportedMediaType:
        raise
    except _DECODE_ERRORS as exc:
        raise UnsupportedMediaType("The file is not a valid JPEG, PNG or WebP image.") from exc
    return ProcessedImage(
        content=output.getvalue(),
        extension=_FORMATS[image_format],
        width=image.width,
        height=image.height,
    )


def image_store(*, processed: ProcessedImage, folder: str, storage: Storage | None = None) -> str:
    """Write the image under `folder` with a random name; returns the stored name."""
    storage = storage or default_storage
    name = f"{folder.rstrip('/')}/{uuid.uuid4().hex}.{processed.extension}"
    return storage.save(name, ContentFile(processed.content))


def image_delete(name: str | None, *, storage: Storage | None = None) -> None:
    """Remove a stored file; a file already gone is not an error."""
    if not name:
        return
    storage = storage or default_storage
    with contextlib.suppress(OSError):
        storage.delete(name)
