"""The settings admins change: their rules (pure), and reading and saving them (the service, on the database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

import config
from shared.domain import settings as rules
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS, STANDARD_CHECKS
from shared.domain.notices import routes_to_cme
from shared.domain.problems import Problem
from shared.domain.retention import RetentionPeriods
from shared.domain.vocab import CheckType, NoticeKind
from shared.models import AuditEvent, Setting
from shared.services import settings as settings_service

CONFIG = config.load(CME_ENV="test", SECRET_KEY="x" * 40)
DEFAULTS = rules.defaults(CONFIG)


# The rules ----------------------------------------------------------------------------------------------------------


def test_every_setting_starts_as_the_configuration_gives_it():
    found = rules.Settings(DEFAULTS)
    assert (found.authority_name, found.authority_la_code, found.authority_email) == (
        "Northbridge Council",
        "999",
        "cme@northbridge.example",
    )
    assert (found.authority_phone, found.social_care_phone, found.social_care_out_of_hours_phone) == (
        "01632 960000",
        "01632 960111",
        "01632 960999",
    )
    assert found.due_days == DEFAULT_DUE_SCHOOL_DAYS
    assert found.retention == RetentionPeriods()
    assert found.long_absence_is_cme is True


def test_an_environment_variable_still_gives_the_starting_value(monkeypatch):
    monkeypatch.setenv("CME_AUTHORITY_PHONE", "01632 960555")
    monkeypatch.setenv("CME_CHECK_DUE_SCHOOL_DAYS", "health=3")
    monkeypatch.setenv("CME_RETENTION_CLOSED_CASE_YEARS", "7")
    monkeypatch.setenv("CME_LONG_ABSENCE_IS_CME", "no")
    found = rules.Settings(rules.defaults(config.load(CME_ENV="test", SECRET_KEY="x" * 40)))
    assert found.authority_phone == "01632 960555"
    assert found.due_days[CheckType.HEALTH] == 3
    assert found.retention.closed_case_years == 7
    assert found.long_absence_is_cme is False


def test_the_sections_hold_every_setting_and_every_standard_check_has_its_due_days():
    assert [d.key for d in rules.in_section(rules.Section.AUTHORITY)] == [
        "authority_name",
        "authority_la_code",
        "authority_email",
        "authority_phone",
        "social_care_phone",
        "social_care_out_of_hours_phone",
    ]
    assert [d.key for d in rules.in_section(rules.Section.ENQUIRIES)] == [
        f"check_due_days_{check.value}" for check in STANDARD_CHECKS
    ]
    assert [d.label for d in rules.in_section(rules.Section.ENQUIRIES)][:2] == [
        "Child health service",
        "Children's social care",
    ]
    assert [d.key for d in rules.in_section(rules.Section.LONG_ABSENCE)] == ["long_absence_is_cme"]
    assert sum(len(rules.in_section(section)) for section in rules.Section) == len(rules.DEFINITIONS) == 27


def test_retention_ranges_are_the_environment_variables_ranges():
    for key, (_name, _unit, least, most) in config.RETENTION_SETTINGS.items():
        definition = rules.DEFINITIONS[f"retention_{key}"]
        assert (definition.least, definition.most) == (least, most), key


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    [
        ("authority_la_code", "8011", "Enter the local authority code as 3 digits, like 801"),
        ("authority_la_code", "80a", "Enter the local authority code as 3 digits, like 801"),
        ("authority_la_code", "٨٠١", "Enter the local authority code as 3 digits, like 801"),
        ("authority_name", "  ", "Enter the authority's name"),
        ("authority_name", "N" * 101, "The authority's name must be 100 characters or fewer"),
        (
            "authority_email",
            "cme at northbridge",
            "Enter an email address in the correct format, like name@example.com",
        ),
        ("authority_phone", "", "Enter the CME team's phone number"),
        ("authority_phone", "0163", "Enter the CME team's phone number in the correct format, like 01632 960000"),
        (
            "authority_phone",
            "phone 01632 960000",
            "Enter the CME team's phone number in the correct format, like 01632 960000",
        ),
        ("check_due_days_health", "0", "Enter a number of school days between 1 and 60"),
        ("check_due_days_health", "61", "Enter a number of school days between 1 and 60"),
        ("check_due_days_police", "five", "Enter a number of school days between 1 and 60"),
        ("check_due_days_police", "2.5", "Enter a number of school days between 1 and 60"),
        ("check_due_days_police", "9" * 5000, "Enter a number of school days between 1 and 60"),
        ("check_due_days_police", "²", "Enter a number of school days between 1 and 60"),
        ("retention_closed_case_years", "0", "Enter a number of years between 1 and 100"),
        ("retention_keep_until_age", "101", "Enter an age between 0 and 100, or 0 for no age rule"),
        ("retention_file_days", "36501", "Enter a number of days between 1 and 36500"),
        ("long_absence_is_cme", "maybe", "Select whether long absence counts as missing education"),
    ],
)
def test_an_answer_out_of_range_is_refused_with_what_to_enter(key, typed, message):
    values, problems = rules.check_answers({key: typed})
    assert (values, problems) == ({}, [Problem(key, message)])


def test_answers_in_range_become_values():
    values, problems = rules.check_answers(
        {
            "authority_name": " Westshire County Council ",
            "authority_la_code": "801",
            "authority_email": "cme@westshire.example",
            "authority_phone": "+44 1632 960123",
            "check_due_days_health": "60",
            "retention_keep_until_age": "0",
            "long_absence_is_cme": "no",
            "not_a_setting": "ignored",
        }
    )
    assert problems == []
    assert values == {
        "authority_name": "Westshire County Council",
        "authority_la_code": "801",
        "authority_email": "cme@westshire.example",
        "authority_phone": "+44 1632 960123",
        "check_due_days_health": 60,
        "retention_keep_until_age": 0,
        "long_absence_is_cme": False,
    }


@pytest.mark.parametrize(
    "typed", ["01632 960000", "(01632) 960 000", "+44 1632 960000", "+44 (0)1632 960000", "0800 123 4567"]
)
def test_a_uk_phone_number_is_taken_however_it_is_spaced(typed):
    assert rules.check_answers({"authority_phone": typed}) == ({"authority_phone": typed}, [])


@pytest.mark.parametrize("typed", ["01632 9600", "01632 9600000", "+33 1 23 45 67 89", "1632 960000", "01632 96000O"])
def test_a_number_that_is_not_a_uk_phone_number_is_refused(typed):
    assert rules.check_answers({"authority_phone": typed})[1] == [
        Problem("authority_phone", "Enter the CME team's phone number in the correct format, like 01632 960000")
    ]


def test_a_stored_value_that_no_longer_passes_gives_way_to_the_default():
    found = rules.merged(DEFAULTS, {"check_due_days_health": 500, "authority_la_code": 801, "gone": 1})
    assert found.due_days[CheckType.HEALTH] == 5
    assert found.authority_la_code == "999"


def test_a_continuous_absence_notice_goes_to_the_cme_team_only_where_long_absence_is_cme():
    assert routes_to_cme(NoticeKind.ABSENCE, None, None) is True
    assert routes_to_cme(NoticeKind.ABSENCE, None, None, absence_is_cme=True) is True
    assert routes_to_cme(NoticeKind.ABSENCE, None, None, absence_is_cme=False) is False
    # A removal with no known school is missing education whatever the setting.
    assert routes_to_cme(NoticeKind.LEAVER, "f", "1234567", absence_is_cme=False) is True


# The service ----------------------------------------------------------------------------------------------------------


def audit_count(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent))


def test_with_nothing_saved_the_settings_are_the_defaults_in_one_query(db):
    assert settings_service.current(db, DEFAULTS).values == DEFAULTS


def test_a_save_writes_only_what_changed_and_records_one_audit_event(db, users):
    admin = users["admin"]
    before = audit_count(db)
    saved = settings_service.save(
        db,
        admin,
        {"authority_name": "Northbridge Council", "authority_phone": "01632 960222", "check_due_days_police": "8"},
        DEFAULTS,
    )
    assert (saved.ok, saved.before, saved.after) == (
        True,
        {"authority_phone": "01632 960000", "check_due_days_police": 5},
        {"authority_phone": "01632 960222", "check_due_days_police": 8},
    )
    rows = {row.key: (row.value, row.updated_by_id) for row in db.scalars(select(Setting))}
    assert rows == {"authority_phone": ("01632 960222", admin.id), "check_due_days_police": (8, admin.id)}
    assert audit_count(db) == before + 1
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_type, event.object_id, event.actor_id) == (
        "settings.changed",
        "settings",
        None,
        admin.id,
    )
    assert (event.before, event.after) == (saved.before, saved.after)
    found = settings_service.current(db, DEFAULTS)
    assert (found.authority_phone, found.due_days[CheckType.POLICE]) == ("01632 960222", 8)

    # Back to the default: the row holds it, and the audit says from what.
    again = settings_service.save(db, admin, {"authority_phone": "01632 960000"}, DEFAULTS)
    assert (again.before, again.after) == ({"authority_phone": "01632 960222"}, {"authority_phone": "01632 960000"})
    assert settings_service.current(db, DEFAULTS).authority_phone == "01632 960000"
    assert audit_count(db) == before + 2


def test_two_admins_saving_a_setting_for_the_first_time_at_once_both_succeed(db, users):
    """The other admin's first save lands just before this one's row is written: this save then finds their row
    and saves over it, rather than failing on the duplicate key."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    landed = []

    def the_other_save_lands_first(session, flush_context, instances):
        if landed:
            return
        landed.append(True)
        with Session(db.get_bind()) as other:
            settings_service.save(other, users["lead"], {"authority_phone": "01632 960333"}, DEFAULTS)

    event.listen(db, "before_flush", the_other_save_lands_first)
    before = audit_count(db)
    try:
        saved = settings_service.save(db, users["admin"], {"authority_phone": "01632 960222"}, DEFAULTS)
    finally:
        event.remove(db, "before_flush", the_other_save_lands_first)
    assert (saved.before, saved.after) == ({"authority_phone": "01632 960333"}, {"authority_phone": "01632 960222"})
    rows = {row.key: (row.value, row.updated_by_id) for row in db.scalars(select(Setting))}
    assert rows == {"authority_phone": ("01632 960222", users["admin"].id)}
    assert audit_count(db) == before + 2


def test_a_save_with_any_problem_saves_nothing(db, users):
    before = audit_count(db)
    saved = settings_service.save(
        db, users["admin"], {"authority_phone": "01632 960222", "authority_la_code": "99"}, DEFAULTS
    )
    assert saved.problems == [Problem("authority_la_code", "Enter the local authority code as 3 digits, like 801")]
    assert db.scalar(select(func.count()).select_from(Setting)) == 0
    assert audit_count(db) == before


def test_a_save_that_changes_nothing_writes_nothing(db, users):
    before = audit_count(db)
    saved = settings_service.save(db, users["admin"], {"authority_phone": "01632 960000"}, DEFAULTS)
    assert (saved.ok, saved.after) == (True, {})
    assert db.scalar(select(func.count()).select_from(Setting)) == 0
    assert audit_count(db) == before


def test_when_the_database_cannot_be_read_the_configured_settings_are_given(tmp_path):
    from shared.db import Database

    never_migrated = Database(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert settings_service.current_or_defaults(never_migrated, DEFAULTS).values == DEFAULTS
    never_migrated.dispose()


def test_the_due_days_saved_are_what_a_new_case_gives_its_checks(db, users):
    from shared.domain.school_days import Period, SchoolCalendar
    from shared.models import Child
    from shared.services.cases import CaseSettings, open_case

    settings_service.save(
        db, users["admin"], {"check_due_days_police": "1", "check_due_days_home_visit": "3"}, DEFAULTS
    )
    due_days = settings_service.current(db, DEFAULTS).due_days
    calendar = SchoolCalendar([Period("term", date(2026, 11, 2), date(2026, 12, 18))])
    child = Child(first_name="Amira", last_name="Khan", date_of_birth=date(2015, 4, 3))
    db.add(child)
    case = open_case(
        db,
        child=child,
        actor=users["officer"],
        today=date(2026, 11, 20),  # a Friday
        settings=CaseSettings(calendar=calendar, due_days=due_days),
    )
    db.commit()
    due = {check.check_type: check.due_on for check in case.enquiries}
    assert due[CheckType.POLICE] == date(2026, 11, 23)  # the next school day, a Monday
    assert due[CheckType.HOME_VISIT] == date(2026, 11, 25)
    assert due[CheckType.HEALTH] == date(2026, 11, 27)  # 5, the default


def test_the_settings_read_a_moment_later_are_the_saved_ones(db, users):
    settings_service.save(db, users["admin"], {"long_absence_is_cme": "no"}, DEFAULTS)
    assert settings_service.current(db, DEFAULTS).long_absence_is_cme is False
    stored = db.get(Setting, "long_absence_is_cme")
    assert stored.value is False
    assert isinstance(stored.updated_at, datetime)
