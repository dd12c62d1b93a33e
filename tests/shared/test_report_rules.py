"""The report's own rules: whether a child is of compulsory school age by the answers, codes and phrases."""

from datetime import date

import pytest

from shared.domain.reference import InvalidReference, new_resume_code, normalise_resume_code
from shared.domain.report import AgeCheck, age_check, new_secret_phrase, normalise_phrase, phrase_words

TODAY = date(2026, 11, 23)


def test_a_child_of_school_age_has_a_year_group_and_no_warning():
    assert age_check(date(2015, 10, 1), None, TODAY) == AgeCheck("Year 6", None)


def test_a_child_not_yet_of_compulsory_school_age_is_told_when_it_starts():
    check = age_check(date(2022, 1, 10), None, TODAY)
    assert check.year_group == "Reception"
    assert check.warning == (
        "A child born on 10 January 2022 is not of compulsory school age until 31 March 2027. Until then their "
        "parents do not have to send them to school, so they are not missing education."
    )


def test_a_child_too_young_for_reception_has_no_school_year_yet():
    check = age_check(date(2023, 6, 15), None, TODAY)
    assert check.year_group == "Not yet of school age"
    assert "not of compulsory school age until 31 August 2028" in check.warning


def test_a_young_person_past_the_school_leaving_date_is_told_when_it_was():
    check = age_check(date(2009, 9, 23), None, TODAY)
    assert check.year_group == "Year 12"
    assert check.warning.startswith(
        "A young person born on 23 September 2009 reached the school leaving date on 26 June 2026."
    )


def test_the_day_compulsory_school_age_starts_and_the_school_leaving_date_itself_are_school_age():
    assert age_check(date(2021, 9, 1), None, date(2026, 12, 31)).warning is None  # 5 on 1 Sep, starts 31 Dec
    assert age_check(date(2010, 5, 1), None, date(2026, 6, 26)).warning is None  # leaving date
    assert age_check(date(2010, 5, 1), None, date(2026, 6, 27)).warning is not None


@pytest.mark.parametrize(("age", "warned"), [(3, True), (4, False), (5, False), (16, False), (17, True)])
def test_a_guessed_age_is_warned_about_only_when_clearly_outside_school_age(age, warned):
    check = age_check(None, age, TODAY)
    assert check.year_group is None
    assert (check.warning is not None) == warned


def test_no_date_or_age_gives_nothing_to_say():
    assert age_check(None, None, TODAY) == AgeCheck(None, None)


def test_resume_codes_are_twelve_characters_in_groups_of_four_and_forgive_case_and_look_alikes():
    digits = iter(range(12))
    code = new_resume_code(lambda _base: next(digits))
    assert code == "0123-4567-89AB"
    assert normalise_resume_code(" o123 4567-89ab ") == "0123-4567-89AB"
    with pytest.raises(InvalidReference, match="like 7KQ4-M9X3-2BHT"):
        normalise_resume_code("0123-4567-89A")
    with pytest.raises(InvalidReference):
        normalise_resume_code("0123-4567-89AU")  # U is not in the alphabet


def test_secret_phrases_are_five_words_from_the_list_and_are_checked_ignoring_case_and_spacing():
    words = phrase_words()
    assert len(words) == len(set(words)) == 265
    phrase = new_secret_phrase()
    assert len(phrase.split()) == 5 and set(phrase.split()) <= set(words)
    assert normalise_phrase("  Maple,  OTTER lantern-quill harbour ") == "maple otter lantern quill harbour"
