"""Every email the service sends, as a template in shared/templates/email/: one place to read and change them.

A template's first line is `Subject: ...`; the body (plain text) follows a blank line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_templates = Environment(
    loader=PackageLoader("shared", "templates/email"),
    # Plain text, never HTML: nothing is escaped, and the mail client shows the text as written.
    autoescape=select_autoescape(enabled_extensions=(), default_for_string=False, default=False),
    undefined=StrictUndefined,  # a value the caller forgot fails loudly, never an email with a gap in it
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(name: str, **values) -> tuple[str, str]:
    """The subject and body of email `name` (shared/templates/email/<name>.txt) with `values` filled in."""
    text = _templates.get_template(f"{name}.txt").render(**values)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: ") or "\n" in head:
        raise ValueError(f"email template {name!r} must start with one line 'Subject: ...' and a blank line")
    return head.removeprefix("Subject: ").strip(), body.strip() + "\n"


@dataclass(frozen=True)
class Email:
    """One email the service sends: what it is, when it goes, to whom, and values to show it with."""

    name: str  # its template: shared/templates/email/<name>.txt
    title: str
    sent_when: str
    recipients: str
    example: dict[str, Any]

    def preview(self, **values) -> tuple[str, str]:
        """Rendered with the example values, any of which `values` replaces (the authority's own name and
        address, say); a value the template does not use is left out."""
        return render(self.name, **{**self.example, **{key: values[key] for key in values if key in self.example}})


_SERVICE_URL = "https://cme.northbridge.example"

# Every email, in the order someone meets them. The admin page /admin/emails shows them, and a test checks each
# template has an entry and each entry a template. Example values are fictional.
CATALOGUE: tuple[Email, ...] = (
    Email(
        "report_saved",
        "Saved report",
        "Someone reporting a child saves their report to finish later and gives an email address.",
        "The person reporting.",
        {
            "authority_name": "Northbridge Council",
            "authority_phone": "01632 960000",
            "service_url": _SERVICE_URL,
            "token": "example-resume-token",  # nosec B105: an example shown on the admin page, not a secret
            "until": "14 November 2026",
        },
    ),
    Email(
        "report_received",
        "Report received",
        "Someone sends a report about a child and gives an email address.",
        "The person reporting.",
        {
            "authority_name": "Northbridge Council",
            "authority_phone": "01632 960000",
            "service_url": _SERVICE_URL,
            "reference": "RF-M9S3-46QV",
        },
    ),
    Email(
        "urgent_report",
        "Urgent report",
        "A report says the child may be at risk of harm.",
        "Every active CME lead, or the team's address when there is none.",
        {"service_url": _SERVICE_URL, "reference": "RF-M9S3-46QV"},
    ),
    Email(
        "notice_received",
        "Notice received",
        "A school user sends one notice.",
        "The school user who sent it.",
        {"school_name": "Northbridge Primary School", "reference": "SN-3D25-VT43", "service_url": _SERVICE_URL},
    ),
    Email(
        "notices_received",
        "Notices received",
        "A school user sends a file of notices, uploaded or through the cme import notices command.",
        "The school user who sent them.",
        {
            "school_name": "Northbridge Primary School",
            "batch": "SB-97KB-6CQG",
            "references": ["SN-3D25-VT43", "SN-F5V3-7E3S", "SN-S3E2-8JTD"],
            "service_url": _SERVICE_URL,
        },
    ),
    Email(
        "timetable_return_reminder",
        "Part-time timetable return reminder",
        "Once a term, from the set number of school days before it is due, to a school that has not made its "
        "return of part-time timetables (the daily cme schools remind-returns command).",
        "Every active user of the school.",
        {
            "school_name": "Northbridge Primary School",
            "term": "Autumn term 2026",
            "due": "18 December 2026",
            "overdue": False,
            "active": 2,
            "return_url": f"{_SERVICE_URL}/schools/part-time-timetables/return",
        },
    ),
    Email(
        "invitation",
        "Invitation",
        "An administrator adds a user, or sends them a new link; the link works once, for a limited time.",
        "The new user.",
        {
            "person": "Alex Officer",
            "role": "CME officer",
            "school": None,
            "two_factor": True,
            "invited_by": "Pat Admin",
            "link": f"{_SERVICE_URL}/invitation/example-invitation-token",
            "expires": "5pm on 19 November 2026",
            "service_url": _SERVICE_URL,
        },
    ),
    Email(
        "case_assigned",
        "Case assigned",
        "A case is assigned to an officer by someone else.",
        "The officer.",
        {"assigned_by": "Sam Lead", "reference": "CS-643D-ZVM9", "service_url": _SERVICE_URL},
    ),
    Email(
        "checks_due",
        "Checks due",
        "Each morning (the cme reminders send command), when an officer has checks due that day or overdue.",
        "The officer.",
        {
            "date": "12 November 2026",
            "overdue": 1,
            "due_today": 1,
            "checks": [
                {
                    "reference": "CS-643D-ZVM9",
                    "name": "Child health service",
                    "due_today": False,
                    "due_on": "9 November 2026",
                },
                {"reference": "CS-XXQK-FBFE", "name": "Police", "due_today": True, "due_on": "12 November 2026"},
            ],
            "service_url": _SERVICE_URL,
        },
    ),
    Email(
        "overdue_checks",
        "Overdue checks",
        "Each morning (the cme reminders send command), when any check on an open case is overdue.",
        "Every active CME lead and manager.",
        {
            "date": "12 November 2026",
            "total": 3,
            "officers": [
                {"name": "Alex Officer", "overdue": 2, "open_cases": 14},
                {"name": "Not assigned", "overdue": 1, "open_cases": 3},
            ],
            "service_url": _SERVICE_URL,
        },
    ),
)
