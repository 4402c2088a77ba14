"""Profile photos: opened with Pillow, checked, shrunk and re-encoded; never kept as uploaded."""

from __future__ import annotations

import io

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from sonatina.errors import BadInputError
from sonatina.web import storage
from sonatina.web.forms import megabytes

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # larger pictures are refused before decoding (decompression bombs)
TOO_MANY_PIXELS = f"The photo has too many pixels; please pick one under {MAX_PIXELS // 1_000_000} megapixels."
ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
SIDE = 512  # stored photos fit in SIDE x SIDE


def limit_text() -> str:
    """The largest photo taken, as the forms say it: MAX_BYTES, or the request limit if that is lower."""
    return megabytes(min(MAX_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or MAX_BYTES))


def too_large() -> str:
    return f"The photo is larger than {limit_text()}; please pick a smaller one."


def save_photo(upload) -> str:
    """Validate an uploaded image and store it re-encoded as JPEG; returns the stored name."""
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise BadInputError("The photo file is empty.")
    if len(data) > MAX_BYTES:
        raise BadInputError(too_large())
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise BadInputError("The photo must be a PNG, JPEG, GIF or WebP image.")
            if probe.width * probe.height > MAX_PIXELS:
                raise BadInputError(TOO_MANY_PIXELS)
            probe.verify()  # checks the file's structure without decoding all of it
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((SIDE, SIDE))
            image = _flatten(image)
    except BadInputError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own guard, past ~179 megapixels, fires in open()
        raise BadInputError(TOO_MANY_PIXELS) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInputError("The photo could not be read as an image.") from exc
    name = storage.new_name("photos", ".jpg")
    image.save(storage.path(name), "JPEG", quality=88, optimize=True)
    return name


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white, dropping transparency and any palette/metadata of the original."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        canvas = Image.new("RGB", image.size, "white")
        canvas.paste(image, mask=image.getchannel("A"))
        return canvas
    return image.convert("RGB")
