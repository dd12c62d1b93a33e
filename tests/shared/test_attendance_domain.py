"""The attendance rules: a week's marks as one string of session symbols, the counts the measures are built on,
persistent and severe absence at their exact edges, and runs of unexplained absence (N, O) across weeks and across
sessions that are not possible."""

from __future__ import annotations

from datetime import date

import pytest

from shared.domain.attendance import (
    CODES,
    Counts,
    Run,
    Runs,
    code_for,
    combine,
    count,
    decode,
    encode,
    in_school_days,
    last_marked,
    merge,
    outside,
    runs,
    slot,
    slot_date,
    week_start,
    within,
)

MONDAY = date(2026, 9, 7)
NEXT_MONDAY = date(2026, 9, 14)


def test_every_code_has_its_own_symbol_and_a_week_round_trips_through_its_string():
    assert len({code.symbol for code in CODES.values()}) == len(CODES) == 34
    codes = ["/", "\\", "C1", "", "N", "Y1", "#", "J1", "C2", "O"]

    marks = encode(codes)

    assert marks == "/\\1.Na#J2O"
    assert decode(marks) == ["/", "\\", "C1", None, "N", "Y1", "#", "J1", "C2", "O"]
    every = list(CODES)
    assert decode(encode(every)) == every


def test_a_code_is_read_in_any_case_and_with_spaces_round_it():
    assert code_for(" n ").code == "N"
    assert code_for("y7").code == "Y7"
    assert code_for("c1").symbol == "1"
    assert code_for("ZZ") is None
    assert code_for("") is None


def test_sessions_sit_monday_morning_to_friday_afternoon():
    assert week_start(date(2026, 9, 13)) == MONDAY  # a Sunday belongs to the week before
    assert slot(MONDAY, "AM") == 0
    assert slot(date(2026, 9, 11), "PM") == 9
    assert slot_date(MONDAY, 5) == (date(2026, 9, 9), "PM")
    with pytest.raises(ValueError, match="weekends have no sessions"):
        slot(date(2026, 9, 12), "AM")


def test_counts_of_a_week_put_approved_activity_with_present_and_leave_not_counted_sessions_out():
    # present /, \, L; approved V; authorised I, M; unauthorised N, G; not counted #, D
    assert count("/\\LVIMNG#D") == Counts(possible=8, present=4, authorised=2, unauthorised=2, unexplained=1)
    assert count("..........") == Counts()
    assert count("ONUG......") == Counts(possible=4, unauthorised=4, unexplained=2)


def test_counts_add_up_and_give_the_rates():
    total = count("/\\/\\/\\/\\IN") + count("/\\/\\/\\/\\/\\")
    assert total == Counts(possible=20, present=18, authorised=1, unauthorised=1, unexplained=1)
    assert (total.absent, total.attendance_rate, total.authorised_rate, total.unauthorised_rate) == (2, 0.9, 0.05, 0.05)
    assert Counts().attendance_rate is None


@pytest.mark.parametrize(
    ("possible", "absent", "persistent", "severe"),
    [
        (10, 1, True, False),  # exactly 10%
        (11, 1, False, False),  # 9.09%
        (20, 2, True, False),
        (21, 2, False, False),
        (10, 5, True, True),  # exactly 50%
        (11, 5, True, False),  # 45.5%
        (9, 5, True, True),
        (0, 0, False, False),  # no possible sessions: neither
    ],
)
def test_persistent_and_severe_absence_are_compared_exactly_at_their_edges(possible, absent, persistent, severe):
    counts = Counts(possible=possible, present=possible - absent, unauthorised=absent)
    assert (counts.persistent, counts.severe) == (persistent, severe)


def test_a_run_goes_on_across_the_weekend_and_the_current_one_is_the_last():
    weeks = [
        (MONDAY, "/\\/\\/\\NNOO"),  # from Thursday morning
        (NEXT_MONDAY, "NNNNNN...."),  # to Wednesday afternoon, then nothing marked yet
    ]

    assert runs(weeks) == Runs(current=Run(date(2026, 9, 10), 10), longest=Run(date(2026, 9, 10), 10))
    assert runs(weeks).current.school_days == 5


def test_sessions_are_said_in_school_days_two_to_a_day():
    assert [in_school_days(sessions) for sessions in (20, 21, 2, 3, 1, 0)] == [
        "10 school days",
        "10.5 school days",
        "1 school day",
        "1.5 school days",
        "0.5 school days",
        "0 school days",
    ]


def test_sessions_that_are_not_possible_neither_extend_nor_end_a_run():
    # a planned closure (#) and a day at the other school (D) inside the run; no marks (.) too
    weeks = [(MONDAY, "NN##NNDD.."), (NEXT_MONDAY, "..NNNNNNNN")]

    assert runs(weeks) == Runs(current=Run(MONDAY, 12), longest=Run(MONDAY, 12))


def test_any_possible_session_other_than_n_or_o_ends_a_run_and_the_longest_is_the_earliest_of_equals():
    weeks = [(MONDAY, "NNN/NNNU/\\"), (NEXT_MONDAY, "GNNN/\\/\\/\\")]  # G (unauthorised) ends a run too

    found = runs(weeks)

    assert found.current is None
    assert found.longest == Run(MONDAY, 3)
    assert runs([(MONDAY, "/\\NNNNM/NN")]) == Runs(current=Run(date(2026, 9, 11), 2), longest=Run(date(2026, 9, 8), 4))
    assert runs([]) == Runs(None, None)


def test_two_schools_marks_for_a_week_combine_with_the_school_the_pupil_was_expected_at():
    at_first = "/\\DDDD..NN"
    at_second = "DDNNO\\/\\.."

    assert combine(at_first, at_second) == "/\\NNO\\/\\NN"
    assert combine("/\\", "NN") == "/\\"  # both possible: attending wins, whichever school it was at
    assert combine("NN", "/\\") == "/\\"
    assert combine("NI", "OG") == "NI"  # both absences: the first school's
    assert combine("..", "DD") == "DD"


def test_measures_over_any_dates_blank_the_sessions_outside_them_and_a_file_replaces_those_inside():
    marks = "/\\IMNO/\\GU"
    wednesday = date(2026, 9, 9)

    assert within(MONDAY, marks, wednesday, date(2026, 9, 20)) == "....NO/\\GU"
    assert within(MONDAY, marks, date(2026, 9, 1), MONDAY) == "/\\........"
    assert within(MONDAY, marks, date(2026, 9, 14), date(2026, 9, 20)) == ".........."
    # A file with Wednesday and Thursday (sessions 4 to 7) replaces those; one from Tuesday afternoon (3) to
    # Wednesday morning (4) replaces only those half days.
    assert outside(marks, 4, 7) == "/\\IM....GU"
    assert outside(marks, 3, 4) == "/\\I..O/\\GU"
    assert outside(marks, 5, 4) == marks
    assert merge("/\\IM....GU", "....NN/\\..") == "/\\IMNN/\\GU"


def test_the_last_marked_day_of_a_week():
    assert last_marked(MONDAY, "/\\/\\NN....") == date(2026, 9, 9)
    assert last_marked(MONDAY, "/\\/\\/\\/\\/.") == date(2026, 9, 11)
    assert last_marked(MONDAY, "..........") is None
