"""An admin reads every email the service sends at /admin/emails: when each goes, to whom, how it reads with the
authority's own details, and how email is sent (never the Notify key or the SMTP password); nobody else gets in."""

from __future__ import annotations

import uuid

import pytest
from bs4 import BeautifulSoup

from shared.models import Setting
from shared.services import emails
from tests.conftest import _SMTP, get_page, make_app, sign_in, text_of

NOTIFY_KEY = f"cme_live-{uuid.UUID(int=1)}-{uuid.UUID(int=2)}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


@pytest.fixture
def admin(client, users):
    sign_in(client, "admin@northbridge.example")
    return client


def rows(element) -> dict[str, str]:
    return {
        text_of(row.find("dt")): text_of(row.find("dd")) for row in element.find_all(class_="govuk-summary-list__row")
    }


def test_the_emails_page_lists_every_email_with_when_it_goes_who_gets_it_and_how_it_reads(admin):
    page = get_page(admin, "/admin/emails")
    main = page.find("main")
    assert page.title.get_text(strip=True) == "Emails - Children missing education - Northbridge Council"
    assert (
        main.find("nav", attrs={"aria-label": "Administration"})
        .find(attrs={"aria-current": "page"})
        .get_text(strip=True)
        == "Emails"
    )
    assert text_of(main.h1) == "Emails"
    assert [text_of(h2) for h2 in main.find_all("h2")] == ["How email is sent"] + [
        email.title for email in emails.CATALOGUE
    ]
    assert [text_of(h2) for h2 in main.find_all("h2")][1:] == [
        "Saved report",
        "Report received",
        "Urgent report",
        "Notice received",
        "Notices received",
        "Part-time timetable return reminder",
        "Invitation",
        "Case assigned",
        "Checks due",
        "Overdue checks",
    ]
    assert rows(main.find(id="transport")) == {
        "Sent through": f"SMTP server 127.0.0.1, port {_SMTP['port']}, without TLS",
        "From": "cme-service@northbridge.example",
    }

    urgent = main.find(id="urgent_report")
    assert rows(urgent.find_next("dl")) == {
        "When it is sent": "A report says the child may be at risk of harm.",
        "Who receives it": "Every active CME lead, or the team's address when there is none.",
        "Subject": "Urgent report RF-M9S3-46QV: child may be at risk of harm",
    }
    assert urgent.find_next("pre").get_text() == (
        "A report sent through the public portal says the child may be at risk of harm.\n\n"
        "Read it and decide what to do today:\nhttps://cme.northbridge.example/staff/referrals/RF-M9S3-46QV\n\n"
        "This email does not contain the child's details: sign in to see them.\n"
    )
    saved = main.find(id="report_saved").find_next("pre").get_text()
    assert saved.endswith("Northbridge Council Children Missing Education team\n01632 960000\n")
    previews = main.find_all("pre")
    assert [pre.get_text() for pre in previews] == [email.preview()[1] for email in emails.CATALOGUE]
    assert all("govuk-inset-text" in pre["class"] for pre in previews)


def test_the_previews_use_the_authoritys_saved_name_and_number(admin, db):
    db.add_all(
        [Setting(key="authority_name", value="Southmoor Council"), Setting(key="authority_phone", value="01632 960123")]
    )
    db.commit()
    page = get_page(admin, "/admin/emails")
    received = page.find(id="report_received")
    assert rows(received.find_next("dl"))["Subject"] == "Your report to Southmoor Council: RF-M9S3-46QV"
    assert (
        received.find_next("pre")
        .get_text()
        .endswith("Southmoor Council Children Missing Education team\n01632 960123\n")
    )


def test_with_notify_configured_the_page_says_so_and_never_shows_the_key(database_url, users):
    app = make_app(
        database_url,
        NOTIFY_API_KEY=NOTIFY_KEY,
        NOTIFY_TEMPLATE_ID=TEMPLATE_ID,
        MAIL_PASSWORD="smtp-secret-password",
    )
    try:
        client = app.test_client()
        sign_in(client, "admin@northbridge.example")
        response = client.get("/admin/emails")
        html = response.get_data(as_text=True)
    finally:
        app.extensions["cme.database"].dispose()
    assert response.status_code == 200
    page = BeautifulSoup(html, "html.parser")
    assert rows(page.find(id="transport")) == {
        "Sent through": "GOV.UK Notify",
        "Notify email template": TEMPLATE_ID,
        "Reply-to address": "Notify's default for the service",
    }
    for secret in (NOTIFY_KEY, str(uuid.UUID(int=2)), "smtp-secret-password"):
        assert secret not in html


@pytest.mark.parametrize("role", ["officer", "lead", "manager", "school"])
def test_only_admins_see_the_emails_page(client, users, role):
    sign_in(client, f"{role}@northbridge.example")
    assert client.get("/admin/emails").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/admin/emails")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
