"""The organisation's logo for the care plan header: a PNG or JPEG, checked before it is kept.

The logo is chosen in Settings and kept in the encrypted store as base64 text (a setting),
never as a loose file. Before it is kept it must be what it says: a PNG or JPEG (by its
content, not its file name) that decodes whole, of at most MAX_LOGO_BYTES and
MAX_LOGO_SIDE pixels a side. Each refusal says what was wrong and what to do.
"""

from __future__ import annotations

import base64
import binascii
import io

from ddassess.domain.limits import MAX_LOGO_BYTES

MAX_LOGO_SIDE = 4000  # pixels: a logo is printed about 40 x 15 mm
KINDS = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def logo_problem(data: bytes, label: str = "The logo") -> str | None:
    """What is wrong with ``data`` as the organisation's logo; None if it can be printed."""
    if len(data) > MAX_LOGO_BYTES:
        return (f"{label} is {len(data) / 1000:,.0f} KB; at most {MAX_LOGO_BYTES // 1000:,} KB fit. Save a smaller "
                "copy (for example 600 pixels wide) and choose that.")
    kind = next((k for magic, k in KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        return f"{label} is not a PNG or JPEG image: choose a .png or .jpg file (save it as one first)."
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
            img.load()  # decodes it all: a truncated or damaged file fails here, not in the PDF
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return f"{label} is a damaged {kind} file that cannot be read: save it again and choose the new copy."
    if max(size) > MAX_LOGO_SIDE or min(size) < 1:
        return (f"{label} is {size[0]} x {size[1]} pixels; at most {MAX_LOGO_SIDE} a side fit. Save a smaller copy "
                "and choose that.")
    return None


def logo_problem_base64(text: object, label: str = "The logo") -> str | None:
    """``logo_problem`` for a logo kept as base64 text (the setting)."""
    if not isinstance(text, str):
        return f"{label} must be an image kept as base64 text."
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return f"{label} is not kept as an image: choose the image again."
    return logo_problem(data, label)


def logo_bytes(text: str) -> bytes:
    """The logo kept as base64, or b"" when there is none or it cannot be used."""
    if not text or logo_problem_base64(text) is not None:
        return b""
    return base64.b64decode(text.encode("ascii"))
