import pytest

from shared.domain.postcode import InvalidPostcode, is_valid_postcode, normalise_postcode


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ba11jg", "BA1 1JG"),
        ("BA1 1JG", "BA1 1JG"),
        ("  sw1a   2aa ", "SW1A 2AA"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_stored_in_upper_case_with_one_space(typed, stored):
    assert normalise_postcode(typed) == stored


@pytest.mark.parametrize("typed", ["", "BA1", "BA1 1J", "QA1 1JG", "BA1 1JI", "12345", "BA1 1JGX", "B<1 1JG"])
def test_bad_postcodes_are_refused_with_the_design_system_message(typed):
    with pytest.raises(InvalidPostcode, match=r"^Enter a real postcode, like BA1 1JG$"):
        normalise_postcode(typed)
    assert not is_valid_postcode(typed)
