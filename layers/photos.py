"""What a component's ``photos`` may hold: links a map popup can show without harm.

Each entry is either a path under the platform's own media URL (``GRIDCITY_MEDIA_URL``, e.g.
``/media/photos/2024/0101-0001.jpg``: letters, digits and ``-_./``, no ``..``) or an ``https://``
URL; at most ``GRIDCITY_MAX_PHOTOS`` of them, each at most ``GRIDCITY_MAX_PHOTO_URL`` characters.
Anything else (``javascript:``, ``data:``, plain ``http``, megabytes of text) is refused.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_MEDIA_PATH = re.compile(r"[A-Za-z0-9_\-./]+")
_HTTPS = URLValidator(schemes=["https"])


def photo_problem(link: object) -> str | None:
    """Why ``link`` cannot be a photo link, or None when it can."""
    if not isinstance(link, str):
        return f"a photo is a text link, got {type(link).__name__}"
    if len(link) > settings.GRIDCITY_MAX_PHOTO_URL:
        return f"a photo link has at most {settings.GRIDCITY_MAX_PHOTO_URL} characters (got {len(link)})"
    media = settings.GRIDCITY_MEDIA_URL
    if link.startswith(media):
        if _MEDIA_PATH.fullmatch(link) and ".." not in link.split("/") and len(link) > len(media):
            return None
        return f"{link!r}: a media path holds letters, digits and -_./ only, no '..'"
    try:
        _HTTPS(link)
    except ValidationError:
        return f"{link!r} is neither a path under {media} nor an https:// URL"
    return None


def check_photos(photos: object) -> None:
    """Refuse ``photos`` unless it is a list of at most GRIDCITY_MAX_PHOTOS usable links (rule ``photo_list``)."""
    if not isinstance(photos, list):
        raise ValidationError("photos is a list of links", code="photo_list")
    if len(photos) > settings.GRIDCITY_MAX_PHOTOS:
        raise ValidationError(f"at most {settings.GRIDCITY_MAX_PHOTOS} photos (got {len(photos)})",
                              code="photo_list")
    for index, link in enumerate(photos):
        problem = photo_problem(link)
        if problem is not None:
            raise ValidationError(f"photos[{index}]: {problem}", code="photo_link")
