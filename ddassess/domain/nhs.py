"""NHS numbers: ten digits, the last a modulus-11 check digit.

The check: multiply the first nine digits by 10, 9, ..., 2, sum, take the remainder
mod 11 and subtract it from 11. A result of 11 means check digit 0; a result of 10
means the number is invalid. Test data uses numbers starting 999, which the NHS keeps
for testing and never issues to a person.

Two more rules than the check digit: a number of ten equal digits (0000000000,
9999999999, ...) passes the check but is never issued, so it is refused; and a number is
written as ten digits or in the 3-3-4 groups of the NHS display format, with one space or
hyphen between groups (``943 476 5919``, ``943-476-5919``) — a separator at either end or
inside a group (``-9434765919``, ``943-476-5919-``) is a mistyped number, not a layout.
Spaces around the whole number are ignored.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")
# ASCII only: str.isdigit() also accepts Arabic-Indic digits (which would be stored as
# typed, so one person could be registered twice) and superscripts (which int() rejects).
_ASCII_DIGITS = re.compile(r"[0-9]+")
# Ten digits, or 3-3-4 groups with one space or hyphen between groups (each boundary on its own).
_LAYOUT = re.compile(r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}")


def normalise_nhs_number(text: str) -> str:
    """Strip spaces and dashes: '943 476 5919' -> '9434765919'."""
    return _SEPARATORS.sub("", text or "")


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_problem(text: str) -> str | None:
    """Why ``text`` is not a valid NHS number, in words a practitioner can act on; None if valid."""
    digits = normalise_nhs_number(text)
    if not digits:
        return "Enter the NHS number: 10 digits, e.g. 943 476 5919."
    if not _ASCII_DIGITS.fullmatch(digits):
        return ("An NHS number has digits only, 0 to 9 (spaces and dashes are allowed); check what was "
                "typed, and type the digits on the keyboard's number keys.")
    if len(digits) != 10:
        return f"An NHS number has 10 digits; this has {len(digits)}."
    if not _LAYOUT.fullmatch((text or "").strip()):
        return ("Write the NHS number as 10 digits, or in groups of 3, 3 and 4 digits with a space or a dash "
                "between the groups (e.g. 943 476 5919): a space or dash elsewhere may hide a mistyped digit.")
    if len(set(digits)) == 1:
        return "An NHS number is never the same digit ten times: check the number on the person's letter or card."
    expected = nhs_check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        return "This is not a valid NHS number (the check digit does not match): check for a mistyped digit."
    return None


def format_nhs_number(text: str) -> str:
    """'9434765919' -> '943 476 5919' (the NHS display format)."""
    d = normalise_nhs_number(text)
    return f"{d[:3]} {d[3:6]} {d[6:]}" if len(d) == 10 else text


def fictional_nhs_numbers(count: int, start: int = 999_000_000) -> list[str]:
    """Valid NHS numbers from the 999 range, which the NHS never issues to a person:
    for the demo store and tests, so that no fictional record carries a real number."""
    out: list[str] = []
    n = start
    while len(out) < count:
        n += 1
        check = nhs_check_digit(str(n))
        if check is not None:
            out.append(f"{n}{check}")
    return out
