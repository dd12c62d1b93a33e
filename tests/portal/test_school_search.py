"""The school picker on notice forms: a search of the schools register for every form that asks for a school,
with a plain list when JavaScript is off, and LAESTABs checked against the register."""

from __future__ import annotations

from shared.models import School
from shared.services import schools as school_service
from tests.conftest import a_school


def a_closed_school(urn: int, establishment_number: str, name: str) -> School:
    closed = a_school(urn, establishment_number, name, "NB9 9ZZ")
    closed.status = "Closed"
    return closed


def test_an_empty_register_blocks_no_laestab(db):
    assert school_service.unknown_laestabs(db, ["9992101", "8881234"]) == set()


def test_laestabs_not_in_the_register_are_named(db, school):
    assert school_service.unknown_laestabs(db, ["9992101", "9992102", "9992103", "8882101"]) == {
        "9992103",
        "8882101",
    }


def test_only_seven_digit_laestabs_are_looked_up(db, school):
    assert school_service.unknown_laestabs(db, ["", "XXXXXXX", "MMMMMMM", "999210", "99921011", "9992101"]) == set()


def test_many_laestabs_are_looked_up_in_batches(db, school):
    laestabs = [f"999{number:04d}" for number in range(1, 1201)]
    assert school_service.unknown_laestabs(db, laestabs) == set(laestabs) - {"9992101", "9992102"}


def test_a_reused_laestab_finds_the_open_school(db, school):
    db.add(a_closed_school(990001, "2101", "Old Millfield School"))
    db.commit()
    assert school_service.school_with_laestab(db, "9992101").name == "Millfield Primary School"
    assert school_service.school_with_laestab(db, "9992109") is None
    assert school_service.school_with_laestab(db, "XXXXXXX") is None
