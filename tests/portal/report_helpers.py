"""A reporter filling in the public report through the test client, page by page, as a browser would."""

from __future__ import annotations

from datetime import date

from shared.clock import uk_today
from shared.domain.school_age import school_year_start
from tests.conftest import csrf_token, get_page, parse


def year_6_birthday() -> date:
    """A date of birth that puts the child in Year 6 this school year, whatever today is."""
    return date(school_year_start(uk_today()) - 11, 10, 1)


def answers_for(dob: date, **changes) -> dict[str, dict]:
    """A complete, valid set of answers, page by page; `changes` replace whole pages (None leaves one out)."""
    pages = {
        "child-name": {"child_first_name": "Amira", "child_last_name": "Okafor", "child_other_names": "Mira"},
        "child-date-of-birth": {"date_of_birth": [str(dob.day), str(dob.month), str(dob.year)]},
        "child-sex": {"child_sex": "female"},
        "child-address": {
            "address_line_1": "14 Canal Row",
            "address_town": "Northbridge",
            "address_postcode": "nb1 1aa",
            "family_phone": "07700 900982",
        },
        "moved": {"moved": "yes", "new_address": "Somewhere in Leeds"},
        "last-school": {"last_school": "Millfield Primary School", "last_school_area": "Northbridge"},
        "reasons": {"reasons": ["stopped_attending", "other"], "reason_details": "Not seen at school since June"},
        "family": {"carers": "Mother, Grace Okafor", "languages": "English, Igbo", "agencies": "Health visitor"},
        "risk-groups": {"groups": ["young_carer", "new_to_country"]},
        "risk-of-harm": {"risk_of_harm": "no"},
        "anything-else": {"anything_else": "She looks after her younger brother."},
        "about-you": {"reporter_type": "professional"},
        "anonymity": {"named": "yes"},
        "your-details": {
            "reporter_name": "Jo Bloggs",
            "reporter_organisation": "Northbridge Health Visiting",
            "reporter_email": "jo.bloggs@example.com",
            "reporter_phone": "01632 960001",
            "consent_to_contact": "yes",
        },
    }
    pages.update(changes)
    return {slug: data for slug, data in pages.items() if data is not None}


ANONYMOUS = {"anonymity": {"named": "no"}, "your-details": None}


def answer(client, slug: str, data: dict, action: str = "continue", query: str = ""):
    """GET the page (for its CSRF token) and POST the answers; returns the POST's response."""
    page = get_page(client, f"/report/{slug}{query}")
    return client.post(f"/report/{slug}{query}", data={"csrf_token": csrf_token(page), "action": action, **data})


def fill_in(client, pages: dict[str, dict]) -> None:
    """Answer each of these pages in order, each answer accepted."""
    assert client.get("/report/start").status_code == 302
    for slug, data in pages.items():
        response = answer(client, slug, data)
        assert response.status_code == 302, f"{slug}: {response.status_code} {parse(response).title}"


def send(client):
    page = get_page(client, "/report/check-answers")
    return client.post("/report/check-answers", data={"csrf_token": csrf_token(page)})


def confirmation(client) -> tuple[str, str]:
    """The reference and secret phrase on the confirmation page."""
    page = get_page(client, "/report/confirmation")
    return page.select_one(".cme-reference").get_text(strip=True), page.select_one(".cme-phrase").get_text(strip=True)
