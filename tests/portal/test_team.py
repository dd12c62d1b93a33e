"""Assignment by the CME lead, the workload page, an officer's own cases, the reminder digests and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from shared.clock import uk_today
from shared.models import AuditEvent, CaseEvent, Enquiry, OutboxMessage, ReminderSend
from shared.services.reminders import send_reminders
from tests.conftest import csrf_token, error_summary, get_page, parse, sign_in, text_of
from tests.portal.test_cases import a_case

TODAY = uk_today()


@pytest.fixture
def case(app, db, users, school):
    found = a_case(app, db, users)
    db.commit()
    return found


def version_of(client, url):
    return get_page(client, url).find("input", {"name": "version"})["value"]


def assign_to(client, case, officer_value, version=None):
    url = f"/staff/cases/{case.reference}/assign"
    page = get_page(client, url)
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "officer": officer_value,
            "version": version or page.find("input", {"name": "version"})["value"],
        },
    )


def test_the_lead_assigns_a_case_and_the_officer_is_emailed_without_the_childs_details(
    client, db, users, case, mailbox
):
    sign_in(client, "lead@northbridge.example")
    response = assign_to(client, case, str(users["officer"].id))
    assert response.headers["Location"] == f"/staff/cases/{case.reference}"
    db.expire_all()
    assert case.assigned_to_id == users["officer"].id
    event = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "assigned")).one()
    assert event.summary == "Assigned to Test Officer"
    # Sent just after the answer (and then gone from the outbox): read as the officer's mail server got it.
    mailbox.wait_for(1)
    [email] = mailbox.to("officer@northbridge.example")
    body = email.get_content().replace("\r\n", "\n")
    assert email["Subject"] == f"Case {case.reference} is assigned to you"
    assert body == (
        f"Test Lead has assigned case {case.reference} to you.\n\n"
        f"Open it: https://cme.northbridge.example/staff/cases/{case.reference}\n\n"
        "This email does not include the child's details: sign in to see them.\n"
    )
    assert "Ellie" not in body and "Whitcombe" not in body
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.assigned")).one()
    assert (audit.before["assigned_to_id"], audit.after["assigned_to_id"]) == (None, users["officer"].id)

    assign_to(client, case, str(users["lead"].id))
    db.expire_all()
    summaries = db.scalars(
        select(CaseEvent.summary)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "assigned")
        .order_by(CaseEvent.id)
    ).all()
    assert summaries == ["Assigned to Test Officer", "Reassigned from Test Officer to Test Lead"]


def test_an_assignment_from_an_older_page_is_refused(client, db, users, case):
    sign_in(client, "lead@northbridge.example")
    old = version_of(client, f"/staff/cases/{case.reference}/assign")
    assign_to(client, case, str(users["officer"].id))
    page = parse(assign_to(client, case, str(users["lead"].id), version=old))
    assert [message for message, _ in error_summary(page)] == [
        "Someone else changed this case while you were editing it. Nothing you entered has been saved: check the "
        "case as it is now and make your change again"
    ]
    db.expire_all()
    assert case.assigned_to_id == users["officer"].id


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_only_the_lead_and_admins_assign(client, users, case, role):
    sign_in(client, f"{role}@northbridge.example")
    assert client.get(f"/staff/cases/{case.reference}/assign").status_code == 403


def test_workload_and_my_cases_count_open_cases_and_overdue_checks(client, db, users, case):
    case.assigned_to = users["officer"]
    checks = db.scalars(select(Enquiry).where(Enquiry.case_id == case.id).order_by(Enquiry.id)).all()
    checks[0].due_on = TODAY - timedelta(days=3)
    checks[1].due_on = TODAY - timedelta(days=1)
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/workload")
    rows = {
        text_of(row.th): [text_of(cell) for cell in row.find_all("td")] for row in page.select("#workload tbody tr")
    }
    assert rows["Test Officer"][0] == "1"
    assert rows["Test Officer"][-2] == "2"
    assert rows["Not assigned"][0] == "0"
    mine = get_page(client, "/staff/my-cases")
    cells = [text_of(cell) for cell in mine.select("#my-cases tbody tr td")]
    assert cells[0] == case.reference
    assert cells[-1] == "2 overdue"


def test_reminders_go_once_a_day_with_references_not_names(app, db, users, case):
    case.assigned_to = users["officer"]
    checks = db.scalars(select(Enquiry).where(Enquiry.case_id == case.id).order_by(Enquiry.id)).all()
    checks[0].due_on = TODAY - timedelta(days=2)
    checks[1].due_on = TODAY
    db.commit()
    sent = send_reminders(db, TODAY, "https://cme.northbridge.example")
    assert (sent.officer_digests, sent.overdue_summaries, sent.already_sent) == (1, 2, 0)  # the lead and the manager
    again = send_reminders(db, TODAY, "https://cme.northbridge.example")
    assert (again.officer_digests, again.overdue_summaries, again.already_sent) == (0, 0, 3)
    digest = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "officer@northbridge.example")).one()
    assert digest.subject == "CME checks: 1 overdue, 1 due today"
    day = f"{TODAY.day} {TODAY:%B %Y}"
    overdue_day = TODAY - timedelta(days=2)
    assert digest.body.splitlines()[:4] == [
        f"Your checks on {day}:",
        "",
        f"- {case.reference}: Child health service, overdue since {overdue_day.day} {overdue_day:%B %Y}",
        f"- {case.reference}: Children's social care, due today",
    ]
    assert "Whitcombe" not in digest.body
    summary = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "lead@northbridge.example")).one()
    assert summary.body.splitlines()[:3] == [
        f"Overdue checks on open cases on {day}: 1",
        "",
        "- Test Officer: 1 overdue on 1 open case(s)",
    ]
    assert db.scalar(select(text("count(*)")).select_from(ReminderSend)) == 3


def test_cme_reminders_send_says_what_it_sent(app, db, users, case):
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Sent 0 officer digest(s) and 0 overdue summary(ies); 2 officer(s) had nothing due; 0 already sent today."
    )


def test_admins_read_a_cases_audit_trail_and_reading_it_is_recorded(app, client, db, users, case):
    sign_in(client, "admin@northbridge.example")
    page = get_page(client, f"/staff/audit/case/{case.id}")
    rows = [[text_of(cell) for cell in row.find_all("td")] for row in page.select("#audit-trail tbody tr")]
    assert rows[0][1:3] == ["lead@northbridge.example", "case.opened"]
    assert "Status: (none) → open" in rows[0][3]
    db.expire_all()
    assert db.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first() == "audit.viewed"
    lead = app.test_client()
    sign_in(lead, "lead@northbridge.example")
    assert lead.get(f"/staff/audit/case/{case.id}").status_code == 403
