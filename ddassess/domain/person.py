"""A person's contact and demographic details: the ethnic categories, and the shape each detail
must have (phone number, email address, postcode), checked the same way by the referral,
the edit dialog, the command line and the services.

Ethnicity is recorded as a code of the NHS Data Dictionary's ETHNIC CATEGORY (the 2001
census categories the NHS still reports with): one letter, or "Z" (not stated: the person
was asked and declined) and "99" (not known: not asked). The words are kept here, the code
in the store, so a report groups people the way every NHS dataset does.

Characters a screen and the care plan PDF cannot show are refused in every text of a
person: emoji and other pictographs (the app's fonts, DejaVu Sans in the PDF, have no
glyphs for them, so they came out as boxes), and the invisible joiners and selectors that
build them. The message names each one and says what to type instead.
"""

from __future__ import annotations

import re
import unicodedata

# NHS Data Dictionary, ETHNIC CATEGORY (data element), in the Dictionary's order.
ETHNIC_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("A", "White — British"),
    ("B", "White — Irish"),
    ("C", "White — any other White background"),
    ("D", "Mixed — White and Black Caribbean"),
    ("E", "Mixed — White and Black African"),
    ("F", "Mixed — White and Asian"),
    ("G", "Mixed — any other mixed background"),
    ("H", "Asian or Asian British — Indian"),
    ("J", "Asian or Asian British — Pakistani"),
    ("K", "Asian or Asian British — Bangladeshi"),
    ("L", "Asian or Asian British — any other Asian background"),
    ("M", "Black or Black British — Caribbean"),
    ("N", "Black or Black British — African"),
    ("P", "Black or Black British — any other Black background"),
    ("R", "Other ethnic groups — Chinese"),
    ("S", "Other ethnic groups — any other ethnic group"),
    ("Z", "Not stated (asked, and chose not to say)"),
    ("99", "Not known (not asked)"),
)
ETHNICITY_WORDS = dict(ETHNIC_CATEGORIES)

_PHONE = re.compile(r"\+?[0-9 ]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# A UK postcode: outward code (area letters, district digit, optional letter or digit), a
# space (optional when typed), inward code (a digit and two letters): "LS1 4AP", "SW1A 1AA".
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})")
# Invisible parts of emoji sequences: zero-width joiner, variation selectors, skin tones, tags.
_EMOJI_PARTS = re.compile("[\u200d\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\u20e3]")


def unshowable(text: str) -> list[str]:
    """The characters of ``text`` no screen or PDF of the app can show, each once, in order:
    emoji and other pictographs, private-use and unassigned code points, and the invisible
    parts of emoji sequences."""
    found: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        pictograph = cat == "So" and (ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) <= 0x27BF or 0x2B00 <= ord(ch) <= 0x2BFF)
        if (pictograph or cat in ("Co", "Cn") or _EMOJI_PARTS.match(ch)) and ch not in found:
            found.append(ch)
    return found


def _named(ch: str) -> str:
    name = unicodedata.name(ch, "").lower()
    code = f"U+{ord(ch):04X}"
    return f"{name} ({code})" if name else code


def unshowable_problem(text: str, label: str) -> str | None:
    """``label`` ("The given name") holds characters that would show as boxes: which, and what to do."""
    found = unshowable(text)
    if not found:
        return None
    shown = ", ".join(_named(ch) for ch in found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    return (f"{label} contains characters that cannot be shown or printed (they come out as boxes): {shown}. "
            "Delete them and use letters, digits and punctuation only.")


def phone_problem(text: str, label: str = "The phone number") -> str | None:
    """Digits and spaces, with a + only at the start; at least 6 digits, at most 15 (the
    international maximum, ITU-T E.164). "" is fine (whether it is required is the caller's rule)."""
    text = text.strip()
    if not text:
        return None
    if not _PHONE.fullmatch(text):
        return (f"{label} may hold only digits, spaces and a + at the start: write it like 07700 900123 "
                "or +44 7700 900123, without brackets, dashes or words.")
    digits = sum(ch.isdigit() for ch in text)
    if not 6 <= digits <= 15:
        return f"{label} has {digits} digits; a phone number has 6 to 15. Check it."
    return None


def email_problem(text: str) -> str | None:
    text = text.strip()
    if not text or _EMAIL.fullmatch(text):
        return None
    return ("The email address is not one: write it like name@example.org (one @, a dot in the part after it, "
            "no spaces).")


def normalise_postcode(text: str) -> str:
    """'ls14ap' -> 'LS1 4AP'; text that is not a postcode comes back upper-cased and trimmed."""
    squeezed = " ".join(text.upper().split())
    m = _POSTCODE.fullmatch(squeezed)
    return f"{m.group(1)} {m.group(2)}" if m else squeezed


def postcode_problem(text: str) -> str | None:
    text = text.strip()
    if not text or _POSTCODE.fullmatch(" ".join(text.upper().split())):
        return None
    return ("The postcode is not a UK postcode: write it like LS1 4AP or SW1A 1AA (leave it empty if the "
            "person has no UK address, and put the whole address in the address box).")


def ethnicity_problem(code: str) -> str | None:
    if not code or code in ETHNICITY_WORDS:
        return None
    return "The ethnicity must be one of the NHS ethnic categories: choose one from the list."
