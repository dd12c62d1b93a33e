"""A subject access request: everything the service holds about one child, and nothing about another."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from shared.db import Database
from shared.models import AttendancePupil, AuditEvent, Child, SchoolNotice
from shared.services import audit, sar
from tests.shared.test_retention import NOW, a_pupil, a_week, build_world

MADE = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    with database.session() as session:
        yield session
    database.engine.dispose()


@pytest.fixture
def world(db, school):
    made = build_world(db, school)
    amy = db.get(Child, made["amy"])
    # A notice about Amy by her UPN that nobody linked to her, and marks at her new school.
    db.add(
        SchoolNotice(
            reference="SN-UPN",
            school=school,
            kind="joiner",
            status="received",
            submitted_at=datetime(2021, 1, 4, tzinfo=UTC),
            upn="A123456789012",
            pupil_first_name="Amy",
            pupil_last_name="Whitcombe",
            pupil_date_of_birth=date(2010, 3, 14),
            event_date=date(2021, 1, 4),
        )
    )
    audit.record(db, None, "child.details_changed", "child", amy.id, after={"phone": "07700 900123"})
    audit.record(db, None, "case.closed", "case", amy.cases[0].id, after={"status": "closed"})
    audit.record(db, None, "child.details_changed", "child", made["ben"], after={"phone": "07700 900999"})
    db.commit()
    return made


def test_everything_about_amy_and_nothing_about_ben(db, world):
    made = sar.export(db, db.get(Child, world["amy"]), MADE)
    data = made.data
    assert data["export"] == {"child_id": world["amy"], "made_at": "2026-12-03T14:30:00+00:00"}
    assert (data["child"]["first_name"], data["child"]["upn"], data["child"]["date_of_birth"]) == (
        "Amy",
        "A123456789012",
        "2010-03-14",
    )
    assert [carer["name"] for carer in data["carers"]] == ["Jo Whitcombe", "Sam Whitcombe"]
    [case] = data["cases"]
    assert (case["reference"], case["closed_at"]) == ("CS-AMY", "2020-12-02T12:00:00+00:00")
    assert [note["text"] for note in case["notes"]] == ["Mother says Amy is staying with her aunt at 4 New Street"]
    assert [event["kind"] for event in case["events"]] == ["opened", "closed", "details"]
    assert [check["answer"] for check in case["enquiries"]] == ["Registered at Mill Lane surgery, 12 Mill Lane"]
    [referral] = data["referrals"]
    assert (referral["reference"], referral["reporter_name"]) == ("RF-AMY", "Pat Neighbour")
    assert "secret_phrase_hash" not in referral and "submission_key" not in referral
    assert [addition["text"] for addition in referral["additions"]] == ["Her aunt lives at 4 New Street"]
    assert [notice["reference"] for notice in data["school_notices"]] == ["SN-AMY", "SN-UPN"]
    assert [timetable["reason"] for timetable in data["part_time_timetables"]] == ["Anxiety after her father left"]
    [stated] = data["part_time_timetables_in_returns"]  # the school's termly return, Amy's entry only
    assert (stated["term"], stated["timetable"]["notice"], stated["timetable"]["reason"]) == (
        "2020-autumn",
        "SN-AMY",
        "Anxiety after her father left",
    )
    assert [pupil["upn"] for pupil in data["attendance"]["pupils"]] == ["A123456789012"]
    assert [week["week_start"] for week in data["attendance"]["weeks"]] == ["2023-11-27"]
    assert [alert["reference"] for alert in data["attendance"]["alerts"]] == ["AA-AMY"]
    assert [(event["action"], event["after"]) for event in data["audit_events"]] == [
        ("child.details_changed", {"phone": "07700 900123"}),
        ("case.closed", {"status": "closed"}),
    ]
    assert "Ben" not in made.json() and "B123456789012" not in made.json()


def test_the_counts_and_the_file_are_the_same_each_time(db, world):
    amy = db.get(Child, world["amy"])
    first, second = sar.export(db, amy, MADE), sar.export(db, amy, MADE)
    assert first.json() == second.json()
    assert json.loads(first.json()) == first.data
    assert first.counts == {
        "attendance_alerts": 1,
        "attendance_pupils": 1,
        "attendance_weeks": 1,
        "audit_events": 2,
        "carers": 2,
        "case_enquiries": 1,
        "case_events": 3,
        "case_notes": 1,
        "cases": 1,
        "part_time_timetables": 1,
        "part_time_timetables_in_returns": 1,
        "referral_additions": 1,
        "referrals": 1,
        "school_notices": 2,
    }


def test_the_export_is_audited_with_counts_only(db, world):
    made = sar.export(db, db.get(Child, world["amy"]), MADE)
    sar.record_export(db, made)
    db.commit()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "sar_export"))
    assert (event.object_type, event.object_id, event.actor_label, event.after) == (
        "child",
        world["amy"],
        "command line",
        made.counts,
    )


def test_a_child_is_found_by_upn_in_any_case_and_unknown_ones_are_named(db, world):
    assert sar.find_child(db, upn=" a123456789012 ").id == world["amy"]
    with pytest.raises(sar.UnknownChild, match=r"^No child with id 999 is held by the service$"):
        sar.find_child(db, child_id=999)
    with pytest.raises(sar.UnknownChild, match=r"^No child with UPN Z999999999999 is held by the service$"):
        sar.find_child(db, upn="Z999999999999")


def test_two_children_with_one_upn_need_an_id(db, world):
    db.add(Child(first_name="Amy", last_name="Whitcombe", upn="A123456789012"))
    db.commit()
    second = db.scalar(select(Child.id).order_by(Child.id.desc()).limit(1))
    message = f"2 children have UPN A123456789012 (ids {world['amy']}, {second}): give one with --child"
    with pytest.raises(sar.UnknownChild) as raised:
        sar.find_child(db, upn="A123456789012")
    assert str(raised.value) == message


def test_an_anonymised_child_s_export_holds_only_what_is_left(db, world):
    from shared.services import retention
    from tests.shared.test_retention import PERIODS, TODAY

    retention.run(db, PERIODS, NOW, TODAY)
    data = sar.export(db, db.get(Child, world["amy"]), MADE).data
    assert (data["child"]["last_name"], data["child"]["upn"], data["carers"]) == ("Anonymised", None, [])
    assert data["attendance"]["pupils"] == []  # unlinked, and then anonymised itself


def test_marks_matched_only_by_upn_are_included(db, world, school):
    pupil = a_pupil("B123456789012", school)
    db.add(pupil)
    db.flush()
    db.add(a_week(pupil, school, date(2026, 11, 30)))
    db.commit()
    data = sar.export(db, db.get(Child, world["ben"]), MADE).data
    assert [p["upn"] for p in data["attendance"]["pupils"]] == ["B123456789012"]
    assert [week["week_start"] for week in data["attendance"]["weeks"]] == ["2026-11-30"]
    assert db.scalar(select(AttendancePupil.child_id).where(AttendancePupil.upn == "B123456789012")) is None
