from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddassess.domain.nhs import (
    format_nhs_number,
    is_valid_nhs_number,
    nhs_check_digit,
    nhs_number_problem,
    normalise_nhs_number,
)


@pytest.mark.parametrize("good", ["9434765919", "943 476 5919", "943-476-5919", "9990000018", " 4010232137 "])
def test_valid_numbers(good):
    assert is_valid_nhs_number(good.strip())


@pytest.mark.parametrize(
    "bad, words",
    [
        ("", "Enter the NHS number"),
        ("943476591", "10 digits; this has 9"),
        ("94347659190", "10 digits; this has 11"),
        ("94347659l9", "digits only"),
        ("٩٤٣٤٧٦٥٩١٩", "digits only, 0 to 9"),  # Arabic-Indic digits of a valid number
        ("۹۴۳۴۷۶۵۹۱۹", "digits only, 0 to 9"),  # Extended Arabic-Indic
        ("²²²²²²²²²²", "digits only, 0 to 9"),  # superscripts: isdigit() but not int()
        ("９４３４７６５９１９", "digits only, 0 to 9"),  # full-width
        ("943 476 591\u0669", "digits only, 0 to 9"),
        ("9434765918", "check digit does not match"),
        ("0000000001", "check digit does not match"),
    ],
)
def test_invalid_numbers_say_why(bad, words):
    assert words in nhs_number_problem(bad)


def test_numbers_whose_check_would_be_ten_are_never_valid():
    nine = next(f"{n:09d}" for n in range(100000000, 100100000) if nhs_check_digit(f"{n:09d}") is None)
    assert all(not is_valid_nhs_number(nine + str(d)) for d in range(10))


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_exactly_one_check_digit_completes_a_number(nine):
    valid = [d for d in range(10) if is_valid_nhs_number(nine + str(d))]
    assert valid == ([] if nhs_check_digit(nine) is None else [nhs_check_digit(nine)])


def test_format_and_normalise():
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert normalise_nhs_number(" 943-476 5919") == "9434765919"


@given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=10, max_size=10))
def test_only_ascii_digits_are_ever_accepted(text):
    """Any decimal or other digit of any script: a clear problem unless all are ASCII, never an exception."""
    problem = nhs_number_problem(text)
    if all(ch in "0123456789" for ch in text):
        assert problem is None or "check digit" in problem
    else:
        assert problem is not None and "0 to 9" in problem


@given(st.text(max_size=20))
def test_any_text_gets_an_answer_not_an_exception(text):
    problem = nhs_number_problem(text)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        assert normalise_nhs_number(text).isascii() and len(normalise_nhs_number(text)) == 10


def test_a_person_cannot_be_registered_with_look_alike_digits(store):
    from ddassess.domain.models import PersonDetails
    from ddassess.errors import InvalidInputError
    from ddassess.services import cases

    cases.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="9434765919"))
    with pytest.raises(InvalidInputError, match="0 to 9"):
        cases.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="٩٤٣٤٧٦٥٩١٩"))
