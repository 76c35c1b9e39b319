"""What every uploaded picture (organisation logos, resource photos) must be, and how it is stored.

A picture is opened with Pillow, never trusted by its name or its Content-Type: it must be one of the formats
every browser shows, not larger than ``settings.MAX_IMAGE_UPLOAD_BYTES`` (checked by each form, whose
message names the thing) and not of absurd dimensions. It is stored under a random name with the
extension of what it really is, so a picture uploaded as ``x.html`` is served as ``…png`` with an image
type and ``X-Content-Type-Options: nosniff`` — never as a page (docs/security.md).
"""

import secrets

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Formats every browser shows, with the extension they are stored under. Pillow opens many more (TIFF,
# PSD, EPS …) that a page could not display and some of which need outside programs to decode.
BROWSER_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
# A small file can claim enormous dimensions (a "decompression bomb" for every browser that shows it).
# 40 megapixels is more than any camera photo that fits in the upload size limit.
MAX_IMAGE_PIXELS = 40_000_000


def image_dimensions_check(width: int, height: int) -> None:
    """Refuse a picture with more than ``MAX_IMAGE_PIXELS`` pixels."""
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            _("The picture is too large: at most %(megapixels)s megapixels.")
            % {"megapixels": MAX_IMAGE_PIXELS // 1_000_000},
            code="too_many_pixels",
        )


def image_storage_name(image_format: str) -> str:
    """A random file name with the extension of ``image_format`` (a key of ``BROWSER_IMAGE_FORMATS``).

    Random also keeps the uploader's own file names (often a person's name or a date) off the server.
    """
    return f"{secrets.token_hex(12)}.{BROWSER_IMAGE_FORMATS[image_format]}"
