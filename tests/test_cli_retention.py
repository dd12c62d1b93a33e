"""`cme retention run` and `cme sar export` as an operator (or a timer) runs them."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import func, select

from shared.models import AuditEvent, Child
from tests.shared.test_retention import NOW, build_world
from tests.test_cli import run

PERIODS = (
    "Periods: children 6 years after their last case closed; reports, notices and alerts without a case 2 years "
    "after the decision; attendance marks 3 years; uploaded files 365 days; unsent email 90 days."
)
TABLE = [
    "Records                                 {heading:>8}",
    "Children anonymised (all cases closed)         1",
    "Carers deleted                                 2",
    "Reports anonymised                             2",
    "Reporters' additions deleted                   1",
    "School notices anonymised                      1",
    "Attendance alerts anonymised                   1",
    "Expired report drafts deleted                  1",
    "Pupils' attendance weeks deleted               3",
    "Attendance pupils deleted                      1",
    "Attendance pupils anonymised                   1",
    "Uploaded notice files emptied                  1",
    "Attendance files emptied                       1",
    "Unsent emails deleted                          1",
    "Total                                         17",
]


@pytest.fixture
def world(db, school, clock):
    clock.set(NOW)
    return build_world(db, school)


def test_a_dry_run_says_what_would_go_and_changes_nothing(app, db, world):
    result = run(app, "retention", "run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        PERIODS,
        "Dry run: nothing was changed. A run now would anonymise or delete these records:",
        TABLE[0].format(heading="Would be"),
        *TABLE[1:],
    ]
    db.expire_all()
    assert db.get(Child, world["amy"]).first_name == "Amy"
    assert db.scalar(select(func.count()).where(AuditEvent.action == "retention_run")) == 0


def test_a_run_reports_what_it_did_and_a_second_run_says_there_was_nothing(app, db, world):
    result = run(app, "retention", "run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        PERIODS,
        "Anonymised or deleted these records:",
        TABLE[0].format(heading="Done"),
        *TABLE[1:],
    ]
    again = run(app, "retention", "run")
    assert again.output.splitlines() == [PERIODS, "Nothing is past its retention period: nothing was changed."]
    db.expire_all()
    assert db.get(Child, world["amy"]).full_name == "Anonymised"
    assert db.scalar(select(func.count()).where(AuditEvent.action == "retention_run")) == 2


def test_the_periods_come_from_the_settings(app, db, world):
    app.config.update(RETENTION_CLOSED_CASE_YEARS=7, RETENTION_KEEP_UNTIL_AGE=25)
    result = run(app, "retention", "run", "--dry-run")
    assert result.output.splitlines()[0] == PERIODS.replace(
        "6 years after their last case closed", "7 years after their last case closed, and not before the child is 25"
    )
    assert "Children anonymised (all cases closed)         0" in result.output.splitlines()


def test_sar_export_writes_a_new_file_only_its_owner_can_read(app, db, world, tmp_path):
    out = tmp_path / "amy.json"
    result = run(app, "sar", "export", "--upn", "A123456789012", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Wrote child {world['amy']}'s records to {out}: 1 case(s), 1 report(s), 1 school notice(s), "
        "1 attendance week(s), 0 audit event(s). Review it before disclosure: it names other people too.\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["child"]["first_name"], [case["reference"] for case in data["cases"]]) == ("Amy", ["CS-AMY"])
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "sar_export"))
    assert (event.object_type, event.object_id, event.after["cases"], event.after["carers"]) == (
        "child",
        world["amy"],
        1,
        2,
    )


def test_sar_export_never_overwrites_a_file(app, db, world, tmp_path):
    out = tmp_path / "amy.json"
    out.write_text("kept")
    result = run(app, "sar", "export", "--child", str(world["amy"]), "--out", str(out))
    assert (result.exit_code, result.output) == (1, f"Error: {out} already exists: an export never overwrites a file\n")
    assert out.read_text() == "kept"
    assert db.scalar(select(func.count()).where(AuditEvent.action == "sar_export")) == 0


def test_sar_export_of_an_unknown_child_says_so_and_writes_nothing(app, world, tmp_path):
    out = tmp_path / "nobody.json"
    result = run(app, "sar", "export", "--child", "999", "--out", str(out))
    assert (result.exit_code, result.output) == (1, "Error: No child with id 999 is held by the service\n")
    assert not out.exists()


def test_sar_export_needs_one_way_of_naming_the_child(app, tmp_path):
    result = run(app, "sar", "export", "--out", str(tmp_path / "x.json"))
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: Give the child's --child id or their --upn, one of them"
