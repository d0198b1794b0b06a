"""Identifiers that never collide between laptops: UUIDv7 for operations, and case references.

UUIDv7 (RFC 9562): 48 bits of Unix time in milliseconds, then random bits, so ids sort
roughly by creation and two laptops never make the same one.

A case reference (``DD-K9Z3P-T5S04``) is 45 random bits in Crockford's base 32 (digits and
capitals without I, L, O and U, so it reads aloud and types on a phone without confusion)
and one check character (Luhn mod N, N = 32), which catches any single mistyped character
and most swaps of two neighbours. 45 bits make a clash between two laptops unlikely (about one
in ten thousand for a team with 100,000 cases); the store's unique index refuses the rest,
and ``new_case_ref`` is simply tried again. References made before (``DD-2026-00042``) stay.
"""

from __future__ import annotations

import os
import re
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
REF_PATTERN = re.compile(r"DD-([0-9A-HJKMNP-TV-Z]{5})-([0-9A-HJKMNP-TV-Z]{5})")
OLD_REF_PATTERN = re.compile(r"DD-\d{4}-\d{5,}")


def uuid7(ms: int | None = None) -> str:
    """A version 7 UUID: time-ordered, 74 random bits."""
    ms = int(time.time() * 1000) if ms is None else ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    h = f"{value:032x}"  # as str(uuid.UUID(int=value)), without its checks: one per change saved
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def check_character(body: str) -> str:
    """Luhn mod 32 over Crockford symbols."""
    factor, total = 2, 0
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def new_case_ref() -> str:
    bits = int.from_bytes(os.urandom(6), "big") >> 3  # 45 bits
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(9)))
    full = body + check_character(body)
    return f"DD-{full[:5]}-{full[5:]}"


def normalise_ref(text: str) -> str:
    """A reference as typed (lower case, spaces, O for 0, I or L for 1) as it is stored.
    Old references (``DD-2026-00042``) are only upper-cased."""
    ref = "".join(text.split()).upper()
    if OLD_REF_PATTERN.fullmatch(ref):
        return ref
    body = ref.removeprefix("DD").replace("-", "").translate(_READ_AS)
    if len(body) == 10 and all(c in _VALUE for c in body):
        return f"DD-{body[:5]}-{body[5:]}"
    return ref


def ref_is_valid(ref: str) -> bool:
    """A new-style reference whose check character matches (old ones are valid as they are)."""
    if OLD_REF_PATTERN.fullmatch(ref):
        return True
    m = REF_PATTERN.fullmatch(ref)
    if m is None:
        return False
    body = m.group(1) + m.group(2)
    return check_character(body[:9]) == body[9]
