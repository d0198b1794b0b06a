from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddassess.domain.nhs import (
    format_nhs_number,
    nhs_check_digit,
    nhs_number_problem,
    normalise_nhs_number,
)


@pytest.mark.parametrize("good", ["9434765919", "943 476 5919", "943-476-5919", "9990000018", " 4010232137 "])
def test_valid_numbers(good):
    assert nhs_number_problem(good.strip()) is None


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
    assert all(nhs_number_problem(nine + str(d)) is not None for d in range(10))


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_exactly_one_check_digit_completes_a_number(nine):
    valid = [d for d in range(10) if nhs_number_problem(nine + str(d)) is None]
    check = nhs_check_digit(nine)
    never_issued = check is None or set(nine + str(check)) == {nine[0]}  # ten equal digits
    assert valid == ([] if never_issued else [check])


def test_format_and_normalise():
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert normalise_nhs_number(" 943-476 5919") == "9434765919"


@given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=10, max_size=10))
def test_only_ascii_digits_are_ever_accepted(text):
    """Any decimal or other digit of any script: a clear problem unless all are ASCII, never an exception."""
    problem = nhs_number_problem(text)
    if all(ch in "0123456789" for ch in text):
        assert problem is None or "check digit" in problem or "same digit ten times" in problem
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
    from ddassess.services import case_changes

    case_changes.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="9434765919"))
    with pytest.raises(InvalidInputError, match="0 to 9"):
        case_changes.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="٩٤٣٤٧٦٥٩١٩"))


@pytest.mark.parametrize("same", [str(d) * 10 for d in range(10)] + ["000 000 0000", "999-999-9999"])
def test_ten_equal_digits_are_refused_though_their_check_digit_fits(same):
    """d repeated ten times always passes modulus 11 (54·d ≡ -d), but is never issued."""
    assert nhs_check_digit(normalise_nhs_number(same)[:9]) == int(same[0])
    assert "same digit ten times" in nhs_number_problem(same)


@pytest.mark.parametrize("bad", ["943-476-5919-", "-9434765919", " -943 476 5919", "9434-765919", "94 3476 5919",
                                 "943--476-5919", "943  476 5919", "943 476 591 9", "9-4-3-4-7-6-5-9-1-9",
                                 "943\t476\t5919", "943 476 5919 -"])
def test_separators_only_between_the_3_3_4_groups(bad):
    assert "groups of 3, 3 and 4" in nhs_number_problem(bad)


@pytest.mark.parametrize("good", ["943 476-5919", "943-476 5919", "943476 5919", "943 4765919", " 943-476-5919 "])
def test_each_group_boundary_may_have_a_space_or_a_hyphen(good):
    assert nhs_number_problem(good) is None


@given(st.from_regex(r"\A[0-9]{9}\Z"), st.sampled_from(["", " ", "-"]), st.sampled_from(["", " ", "-"]))
def test_valid_numbers_are_valid_in_every_allowed_layout(nine, sep1, sep2):
    check = nhs_check_digit(nine)
    if check is None or len(set(nine + str(check))) == 1:
        return
    digits = nine + str(check)
    assert nhs_number_problem(f"{digits[:3]}{sep1}{digits[3:6]}{sep2}{digits[6:]}") is None


@given(st.from_regex(r"\A[0-9]{9}\Z"),
       st.lists(st.tuples(st.integers(1, 9), st.sampled_from([" ", "-"])), min_size=1, max_size=3))
def test_a_separator_inside_a_group_or_doubled_is_refused(nine, inserts):
    """Separators put inside the ten digits: fine only when each is at a group boundary (after
    the 3rd or 6th digit), one per boundary."""
    check = nhs_check_digit(nine)
    if check is None or len(set(nine + str(check))) == 1:
        return
    digits = nine + str(check)
    text = "".join(d + "".join(sep for pos, sep in inserts if pos == i + 1) for i, d in enumerate(digits))
    positions = [pos for pos, _ in inserts]
    at_boundaries = set(positions) <= {3, 6} and len(set(positions)) == len(positions)
    problem = nhs_number_problem(text)
    assert (problem is None) if at_boundaries else ("groups of 3, 3 and 4" in problem)


def test_a_person_cannot_be_registered_with_an_all_zero_number(store):
    from ddassess.domain.models import PersonDetails
    from ddassess.errors import InvalidInputError
    from ddassess.services import case_changes

    with pytest.raises(InvalidInputError, match="same digit ten times"):
        case_changes.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="0000000000"))
