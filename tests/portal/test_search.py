"""An officer finds a child by name (misspelt or not), date of birth, UPN or postcode, and sees why each matched."""

from datetime import date

import pytest
from sqlalchemy import func, select

from shared.domain.casework import CaseStatus
from shared.models import AuditEvent, Case, Child
from tests.conftest import error_summary, get_page, sign_in, text_of


@pytest.fixture
def children(db):
    olivia = Child(
        first_name="Olivia", last_name="Smith", date_of_birth=date(2015, 4, 3), postcode="NB1 2AB", upn="A999123456789"
    )
    freya = Child(first_name="Freya", last_name="Smyth", date_of_birth=date(2013, 12, 1), postcode="NB2 7XY")
    jack = Child(first_name="Jack", last_name="Green", date_of_birth=None, postcode=None)
    db.add_all([olivia, freya, jack])
    db.flush()
    db.add(Case(reference="CS-7KQ4-M9X3", child=olivia, status=CaseStatus.ENQUIRIES))
    db.add(Case(reference="CS-AAAA-AAAA", child=freya, status=CaseStatus.CLOSED))
    db.commit()
    return {"olivia": olivia, "freya": freya, "jack": jack}


def result_rows(page) -> list[list[str]]:
    table = page.find(id="results")
    return [[text_of(cell) for cell in row.find_all("td")] for row in table.tbody.find_all("tr")]


def test_an_officer_finds_a_child_by_a_misspelt_name(client, users, children):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/search?q=Smyth")
    assert page.title.get_text(strip=True).startswith("Find a child")
    assert page.find(id="q")["value"] == "Smyth"
    assert text_of(page.find(id="results").caption) == "2 children found, best match first"
    assert result_rows(page) == [
        ["Freya Smyth", "1 December 2013", "NB2 7XY", "None", "No open case", "Same last name"],
        [
            "Olivia Smith",
            "3 April 2015",
            "NB1 2AB",
            "A999123456789",
            "CS-7KQ4-M9X3",
            "Last name sounds the same: Smyth / Smith",
        ],
    ]
    links = page.find(id="results").find_all("a")
    assert [link["href"] for link in links] == [
        f"/staff/children/{children['freya'].id}",
        f"/staff/children/{children['olivia'].id}",
        "/staff/cases/CS-7KQ4-M9X3",
    ]


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("3/4/2015", [["Olivia Smith", "Same date of birth"]]),
        ("2015-03-04", [["Olivia Smith", "Date of birth with day and month swapped"]]),
        ("a999 1234 5678 9", [["Olivia Smith", "Same UPN"]]),
        ("nb27xy", [["Freya Smyth", "Same postcode"]]),
        ("NB1", [["Olivia Smith", "Same postcode area (NB1)"]]),
        ("olivia smith 03 04 2015", [["Olivia Smith", "Same first name Same last name Same date of birth"]]),
        ("Green Jak", [["Jack Green", "First and last names swapped First name sounds the same: Jak / Jack"]]),
    ],
)
def test_a_child_is_found_by_date_of_birth_upn_postcode_or_a_mix(client, users, children, query, rows):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, f"/staff/search?q={query}")
    assert [[row[0], row[-1]] for row in result_rows(page)] == rows


def test_a_manager_finds_a_child_but_never_sees_their_name(client, users, children):
    sign_in(client, "manager@northbridge.example")  # managers read cases, without children's names
    page = get_page(client, "/staff/search?q=3/4/2015")
    headers = [text_of(th) for th in page.find(id="results").find_all("th")]
    assert headers == ["Date of birth", "Postcode", "UPN", "Case", "Why it matched"]
    assert result_rows(page) == [["3 April 2015", "NB1 2AB", "A999123456789", "CS-7KQ4-M9X3", "Same date of birth"]]
    assert "Olivia" not in page.find(id="results").get_text()


def test_a_child_without_a_date_of_birth_or_postcode_shows_so(client, users, children):
    sign_in(client, "lead@northbridge.example")
    page = get_page(client, "/staff/search?q=jack+green")
    assert result_rows(page) == [
        ["Jack Green", "Not known", "Not known", "None", "No open case", "Same first name Same last name"]
    ]


def test_nothing_found(client, users, children):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/search?q=Zara+Okafor")
    assert page.find(id="results") is None
    assert text_of(page.find("h2", string="No children found").find_next("p")) == (
        "Check the spelling, or search by date of birth, UPN or postcode instead."
    )


def test_the_search_page_starts_empty(client, users, children):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/search")
    assert error_summary(page) == []
    assert page.find(id="results") is None and page.find("h2", string="No children found") is None
    assert page.find("form", role="search")["method"] == "get"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter a name, date of birth, UPN or postcode"),
        ("+++", "Enter a name, date of birth, UPN or postcode"),
        ("a", "Enter a name, date of birth, UPN or postcode"),
        ("2015", "Enter a name, date of birth, UPN or postcode"),
        ("Jo 31/2/2015", "Date of birth must be a real date, like 27 3 2015"),
        ("Jo 1/1/2099", "Date of birth must be today or in the past"),
        ("x" * 201, "Search must be 200 characters or fewer"),
    ],
)
def test_an_empty_or_unusable_search_is_explained(client, users, children, query, message):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, f"/staff/search?q={query}")
    assert page.title.get_text(strip=True).startswith("Error: Find a child")
    assert error_summary(page) == [(message, "#q")]
    assert page.find(id="results") is None


def test_control_characters_are_ignored(client, users, children):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/search?q=Smyth%00%07")
    assert [row[0] for row in result_rows(page)] == ["Freya Smyth", "Olivia Smith"]


def test_searching_records_nothing(client, db, users, children):
    sign_in(client, "officer@northbridge.example")
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    get_page(client, "/staff/search?q=Olivia+Smith")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_school_users_may_not_search(client, users, children):
    sign_in(client, "school@northbridge.example")
    assert client.get("/staff/search?q=Smith").status_code == 403


def test_signing_in_comes_first(client, users, children):
    response = client.get("/staff/search?q=Smith")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
