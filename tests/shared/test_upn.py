import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.upn import CHECK_LETTERS, InvalidUPN, check_letter, is_temporary, validate_upn


def test_domain_worked_example_is_valid():
    assert check_letter("801200005001") == "B"
    assert validate_upn("B801200005001") == "B801200005001"


def test_spaces_and_lower_case_are_forgiven():
    assert validate_upn(" b801 2000 05001 ") == "B801200005001"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("C801200005001", "UPN check letter is wrong: check the UPN has been copied correctly"),
        ("B80120000500", "UPN must be 13 characters"),
        ("B8012000050011", "UPN must be 13 characters"),
        ("1801200005001", "UPN must be a letter, 11 numbers, then a number or a letter"),
        ("B80120000A001", "UPN must be a letter, 11 numbers, then a number or a letter"),
        ("", "UPN must be 13 characters"),
    ],
)
def test_invalid_upns_say_what_is_wrong(value, message):
    with pytest.raises(InvalidUPN) as error:
        validate_upn(value)
    assert str(error.value) == message


def test_temporary_upn_with_a_final_letter():
    body = "80120000500A"  # A counts as 0: the sum is 93 - 13 = 80, and 80 mod 23 = 11, which is M
    upn = check_letter(body) + body
    assert upn == "M80120000500A"
    assert validate_upn(upn) == upn
    assert is_temporary(upn)
    assert not is_temporary("B801200005001")


def test_temporary_upn_cannot_end_in_a_letter_outside_the_table():
    with pytest.raises(InvalidUPN, match="cannot be I, O or S"):
        validate_upn("M80120000500O")


@given(st.text(alphabet="0123456789", min_size=11, max_size=11), st.sampled_from("0123456789" + CHECK_LETTERS))
def test_any_body_with_its_check_letter_is_valid_and_any_other_letter_is_not(digits, last):
    body = digits + last
    letter = check_letter(body)
    assert validate_upn(letter + body) == letter + body
    for wrong in (c for c in CHECK_LETTERS if c != letter):
        with pytest.raises(InvalidUPN):
            validate_upn(wrong + body)
