"""Matching rules: whether a report or notice may be about a child on record, and why, as an officer reads it."""

from datetime import date

import pytest

from shared.domain.match_reasons import without_names
from shared.domain.matching import (
    LookupKeys,
    Person,
    SearchTerms,
    child_keys,
    compare_dates_of_birth,
    lookup_keys,
    name_keys,
    normalise_name,
    parse_search,
    score,
)

BORN = date(2015, 4, 3)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("  Zoë  O’Brien-Smith ", "zoe obrien smith"),
        ("ŁUKASZ Kowalski", "lukasz kowalski"),
        ("Mc Donald", "mc donald"),
        ("Anne-Marie", "anne marie"),
        ("Jean-Luc D'Arcy", "jean luc darcy"),
        ("Søren Ærø", "soren aero"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_are_compared_without_case_accents_apostrophes_or_hyphens(written, normalised):
    assert normalise_name(written) == normalised


def test_each_part_of_a_name_has_a_sound_alike_key():
    assert name_keys("Smith") == {"SM0"}
    assert name_keys("Smyth") == {"SM0"}
    assert name_keys("Smith-Jones") == {"SM0", "JNS", "SM0JNS"}
    assert name_keys("Jones") <= name_keys("Smith-Jones")
    assert name_keys("O'Brien") == name_keys("OBrien") == {"OBRN"}
    assert name_keys("Amira", None, "Khan", "") == {"AMR", "KHN"}
    assert name_keys("J", "Khan") == {"KHN"}  # an initial says nothing


def test_a_child_s_keys_pair_each_first_name_with_each_last_name():
    assert child_keys("Amira", None, "Khan", None) == {"AMR", "KHN", "AMR+KHN"}
    assert child_keys("Ella", "Rose", "Smith-Jones", None) == {
        *("EL", "RS", "SM0", "JNS", "SM0JNS"),
        *("EL+SM0", "EL+JNS", "EL+SM0JNS", "RS+SM0", "RS+JNS", "RS+SM0JNS"),
    }
    # Other names: "Tommy Jones" as a first and a last name, "Tom" alone as either.
    assert child_keys("William", None, "Smith", "Tommy Jones; Tom") == {
        *("WLM", "SM0", "TM", "JNS", "TMJNS"),
        *("WLM+SM0", "WLM+JNS", "WLM+TM", "TM+SM0", "TM+JNS", "TM+TM"),
    }
    # child_name_keys.key holds 20 characters: long keys are cut, a pair's halves first.
    assert child_keys("Wolfeschlegelsteinhausenbergerdorff", None, "Featherstonehaugh-Montgomery", None) == {
        *("WLFSXLJLSTNHSNBRJRTR", "F0RSTNH", "MNTKMR", "F0RSTNHMNTKMR"),
        *("WLFSXLJLS+F0RSTNH", "WLFSXLJLS+MNTKMR", "WLFSXLJLS+F0RSTNHMNT"),
    }


def test_looking_up_a_first_name_looks_up_its_short_and_long_forms_and_swapped_names():
    keys = lookup_keys("Bill", "Smith")
    assert keys.names == {"BL", "SM0"}
    assert {"WLM", "RBRT"} <= keys.forms  # the list gives Bill for Robert too
    assert {"BL+SM0", "WLM+SM0", "SM0+BL", "SM0+WLM"} <= keys.pairs
    assert "BL" in lookup_keys("William", None).forms
    assert lookup_keys("William", None).pairs == frozenset()
    assert lookup_keys("Liz", None) == LookupKeys(names={"LS"}, forms={"ELSB0"}, pairs=frozenset())
    assert lookup_keys(None, "Khan") == LookupKeys(names={"KHN"}, forms=frozenset(), pairs=frozenset())


def test_a_known_short_form_of_a_first_name_counts_as_the_same_name():
    assert score(
        Person(first_name="Bill", last_name="Smith", date_of_birth=BORN),
        Person(first_name="William", last_name="Smith", date_of_birth=BORN),
    ) == (0.9262, ("First name Bill is a short form of William", "Same last name", "Same date of birth"))
    assert score(Person(first_name="Elizabeth", last_name="Patel"), Person(first_name="Liz", last_name="Patel")) == (
        0.9165,
        ("First name Liz is a short form of Elizabeth", "Same last name"),
    )


def test_one_part_of_a_hyphenated_last_name_matches_the_whole():
    assert score(
        Person(first_name="Ella", last_name="Jones", date_of_birth=BORN),
        Person(first_name="Ella", last_name="Smith-Jones", date_of_birth=BORN),
    ) == (0.9124, ("Same first name", "Last name Jones is part of Smith-Jones", "Same date of birth"))
    assert score(Person(first_name="Ella", last_name="Smith-Jones"), Person(first_name="Ella", last_name="Jones"))[
        1
    ] == ("Same first name", "Last name Jones is part of Smith-Jones")
    assert score(Person(last_name="Smith Jones"), Person(last_name="smith-jones"))[1] == ("Same last name",)


def test_first_and_last_names_written_the_wrong_way_round_are_spotted():
    assert score(
        Person(first_name="Khan", last_name="Amira", date_of_birth=BORN),
        Person(first_name="Amira", last_name="Khan", date_of_birth=BORN),
    ) == (0.9124, ("First and last names swapped", "Same date of birth"))


def test_twins_are_told_apart_by_their_first_names():
    report = Person(first_name="Amelia", last_name="Khan", date_of_birth=BORN, postcode="NB1 2AB")
    amelia = Person(first_name="Amelia", last_name="Khan", date_of_birth=BORN, postcode="NB1 2AB")
    aisha = Person(first_name="Aisha", last_name="Khan", date_of_birth=BORN, postcode="NB1 2AB")
    assert score(report, amelia) == (0.94, ("Same first name", "Same last name", "Same date of birth", "Same postcode"))
    assert score(report, aisha) == (
        0.5786,
        ("Same last name", "Same date of birth", "Same postcode", "Different first name: Amelia / Aisha"),
    )


def test_twins_whose_names_are_alike_are_still_told_apart():
    report = Person(first_name="Oliver", last_name="Price", date_of_birth=BORN)
    assert score(report, Person(first_name="Olivia", last_name="Price", date_of_birth=BORN)) == (
        0.6119,
        ("Same last name", "Same date of birth", "Different first name: Oliver / Olivia"),
    )


def test_a_same_upn_outranks_every_match_without_one():
    probe = Person(upn="A999123456789", first_name="Jon", last_name="Smyth")
    same_upn = Person(upn="a999 1234 5678 9", first_name="Jonathan", last_name="Smith", date_of_birth=BORN)
    same_details = Person(first_name="Jon", last_name="Smyth")
    assert score(probe, same_upn) == (
        0.9962,
        ("Same UPN", "First name Jon is a short form of Jonathan", "Last name sounds the same: Smyth / Smith"),
    )
    assert score(probe, same_details) == (0.94, ("Same first name", "Same last name"))
    # Nothing else in common at all: the UPN alone still comes first.
    assert score(probe, Person(upn="A999123456789", first_name="Zara", last_name="Green"))[0] == 0.95


def test_two_different_permanent_upns_are_two_pupils_but_a_temporary_one_proves_nothing():
    probe = Person(upn="A999123456789", first_name="Jon", last_name="Smyth")
    assert score(probe, Person(upn="B999123456789", first_name="Jon", last_name="Smyth")) == (
        0.47,
        ("Same first name", "Same last name", "Different UPN"),
    )
    assert score(probe, Person(upn="B99912345678A", first_name="Jon", last_name="Smyth")) == (
        0.94,
        ("Same first name", "Same last name"),
    )


@pytest.mark.parametrize(
    ("given", "on_record", "similarity", "reason"),
    [
        (date(2015, 4, 3), date(2015, 4, 3), 1.0, "Same date of birth"),
        (date(2015, 3, 4), date(2015, 4, 3), 0.85, "Date of birth with day and month swapped"),
        (date(2015, 4, 5), date(2015, 4, 3), 0.5, "Date of birth in the same month, 2 days apart"),
        (date(2015, 4, 4), date(2015, 4, 3), 0.5, "Date of birth in the same month, 1 day apart"),
        (date(2016, 4, 3), date(2015, 4, 3), 0.5, "Same day and month of birth, a year apart"),
        (date(2014, 3, 4), date(2015, 4, 3), 0.0, "Different date of birth"),
        (date(2015, 5, 3), date(2015, 4, 3), 0.0, "Different date of birth"),
    ],
)
def test_dates_of_birth(given, on_record, similarity, reason):
    match = compare_dates_of_birth(given, on_record)
    assert (match.similarity, match.reason) == (similarity, reason)


def test_a_transposed_date_of_birth_still_matches():
    assert score(
        Person(first_name="Noah", last_name="Evans", date_of_birth=date(2015, 3, 4)),
        Person(first_name="Noah", last_name="Evans", date_of_birth=BORN),
    ) == (0.8819, ("Same first name", "Same last name", "Date of birth with day and month swapped"))


def test_sound_alike_names_and_postcodes():
    assert score(
        Person(first_name="Noah", last_name="Smyth", postcode="BS1 4DJ"),
        Person(first_name="Noah", last_name="Smith", postcode="bs1 5aa"),
    ) == (0.7737, ("Same first name", "Last name sounds the same: Smyth / Smith", "Same postcode area (BS1)"))
    assert score(Person(last_name="Smith", postcode="bs14dj"), Person(last_name="SMITH", postcode="BS1 4DJ")) == (
        0.94,
        ("Same last name", "Same postcode"),
    )


def test_a_spelling_slip_and_a_different_name():
    assert score(Person(first_name="Jenifer"), Person(first_name="Jennifer"))[1] == (
        "First name sounds the same: Jenifer / Jennifer",
    )
    assert score(Person(last_name="Thomson"), Person(last_name="Thompson")) == (
        0.9165,
        ("Last name spelt similarly: Thomson / Thompson",),
    )
    assert score(Person(last_name="Green"), Person(last_name="Patel")) == (0.0, ("Different last name: Green / Patel",))


def test_a_child_known_by_a_middle_or_other_name():
    assert score(
        Person(first_name="Rose", last_name="Turner"),
        Person(first_name="Mary", middle_names="Rose Anne", last_name="Turner"),
    ) == (0.893, ("First name Rose is one of the child's middle names", "Same last name"))
    assert score(
        Person(first_name="Maya", last_name="Clarke"),
        Person(first_name="Maya", last_name="Ahmed", other_names="Maya Clarke, Clarke"),
    ) == (0.893, ("Same first name", "Last name Clarke is one of the child's other names"))


def test_only_what_the_report_gives_is_weighed_and_a_missing_detail_on_record_counts_against():
    report = Person(first_name="Leo", last_name="Green", date_of_birth=BORN)
    assert score(report, Person(first_name="Leo", last_name="Green", date_of_birth=BORN, postcode="NB1 2AB"))[0] == 0.94
    assert score(report, Person(first_name="Leo", last_name="Green")) == (0.5529, ("Same first name", "Same last name"))
    assert score(Person(), Person(first_name="Leo")) == (0.0, ())


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Olivia Smyth 3/4/2015", SearchTerms(names=("Olivia", "Smyth"), date_of_birth=BORN)),
        ("03 04 2015", SearchTerms(date_of_birth=BORN)),
        ("2015-04-03", SearchTerms(date_of_birth=BORN)),
        ("3.4.15", SearchTerms(date_of_birth=BORN)),
        ("3rd April 2015 khan", SearchTerms(names=("khan",), date_of_birth=BORN)),
        ("a999 123456789", SearchTerms(upn="A999123456789")),
        ("A999 1234 5678 9 khan", SearchTerms(names=("khan",), upn="A999123456789")),
        ("a999123456789", SearchTerms(upn="A999123456789")),
        ("nb1 2ab", SearchTerms(postcode="NB1 2AB")),
        ("NB12AB Khan", SearchTerms(names=("Khan",), postcode="NB1 2AB")),
        ("NB1", SearchTerms(outward="NB1")),
        ("Smith, Olivia", SearchTerms(names=("Olivia", "Smith"))),
        ("O'Brien-Smith", SearchTerms(names=("O'Brien-Smith",))),
        ("Jo 31/2/2015", SearchTerms(names=("Jo",), impossible_date=True)),
        ("x 2015", SearchTerms()),
        ("", SearchTerms()),
    ],
)
def test_reading_the_search_box(text, terms):
    assert parse_search(text) == terms


def test_one_name_searched_may_be_a_first_or_a_last_name():
    assert parse_search("Khan 3/4/2015").people() == [
        Person(first_name="Khan", date_of_birth=BORN),
        Person(last_name="Khan", date_of_birth=BORN),
    ]
    assert parse_search("Mary Ann Turner").people() == [Person(first_name="Mary Ann", last_name="Turner")]
    assert parse_search("x").is_empty


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("Different first name: Amelia / Amy", "Different first name"),
        ("First name sounds the same: Smith / Smyth", "First name sounds the same"),
        ("Last name spelt similarly: Whitcombe / Whitcomb", "Last name spelt similarly"),
        (
            "First name has the same parts in another order: Mary Ann / Ann Mary",
            "First name has the same parts in another order",
        ),
        ("First name Bill is a short form of William", "First name is a short form of the other"),
        ("Last name Smith is part of Smith Jones", "Last name is part of the other"),
        ("First name Tom is one of the child's other names", "First name is one of the child's other names"),
        ("Last name Ward is one of the child's middle names", "Last name is one of the child's middle names"),
        ("First and last names swapped", "First and last names swapped"),
        ("Same first name", "Same first name"),
        ("Same UPN", "Same UPN"),
    ],
)
def test_a_reason_is_said_without_the_names_it_compares(reason, said):
    assert without_names(reason) == said


def test_no_reason_matching_gives_keeps_a_name_once_said_without_names():
    """Every kind of name reason score() gives, from real comparisons: said without names, none of the names is
    left in it (a new wording that without_names does not know would leak the names it compares)."""
    born = date(2015, 4, 3)
    pairs = [
        (("Amelia", "Quenby"), ("Amy", "Quenby")),
        (("Bill", "Quenby"), ("William", "Quenby")),
        (("Mary Ann", "Quenby"), ("Ann Mary", "Quenby")),
        (("Marnie", "Smith"), ("Marnie", "Smith Jones")),
        (("Marnie", "Smyth"), ("Marnie", "Smith")),
        (("Marnie", "Whitcomb"), ("Marnie", "Whitcombe")),
        (("Quenby", "Marnie"), ("Marnie", "Quenby")),
        (("Tom", "Quenby"), ("Zebedee", "Quenby")),
        (("Zara", "Quenby"), ("Marnie", "Quenby")),
    ]
    said = set()
    for (first, last), (other_first, other_last) in pairs:
        candidate = Person(first_name=other_first, last_name=other_last, date_of_birth=born, other_names="Tommy Tom")
        _, reasons = score(Person(first_name=first, last_name=last, date_of_birth=born), candidate)
        names = {part for name in (first, last, other_first, other_last, "Tommy") for part in name.split()}
        for reason in reasons:
            shown = without_names(reason)
            assert not any(name in shown for name in names), (reason, shown)
            said.add(shown)
    assert {
        "Different first name",
        "First name is a short form of the other",
        "First name has the same parts in another order",
        "Last name is part of the other",
        "Last name sounds the same",
        "Last name spelt similarly",
        "First and last names swapped",
        "First name is one of the child's other names",
    } <= said
