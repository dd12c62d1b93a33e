"""Matching and search against the database: the children proposed for a referral or notice, best first with the
reasons, the children a search finds, and the name keys that let the database find them."""

from datetime import date

import pytest
from sqlalchemy import insert, select, text

from shared.domain.casework import CaseStatus
from shared.domain.reference import new_reference
from shared.models import Case, Child, ChildNameKey, Referral, SchoolNotice
from shared.services.matching import Probe, find_candidates, rebuild_name_keys, search_children

BORN = date(2015, 4, 3)


def keys_of(db, child) -> set[str]:
    return set(db.scalars(select(ChildNameKey.key).where(ChildNameKey.child_id == child.id)))


def a_child(db, first, last, born=BORN, postcode="NB1 2AB", upn=None, **more) -> Child:
    child = Child(first_name=first, last_name=last, date_of_birth=born, postcode=postcode, upn=upn, **more)
    db.add(child)
    db.flush()
    return child


def open_case(db, child, status=CaseStatus.ENQUIRIES) -> Case:
    case = Case(reference=new_reference("CS"), child=child, status=status)
    db.add(case)
    db.flush()
    return case


def described(candidates) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(c.child.full_name, c.score, c.reasons) for c in candidates]


# Name keys ---------------------------------------------------------------------------------------------------------


def test_a_new_child_gets_the_keys_of_all_their_names(db):
    child = a_child(db, "Zoë", "O'Brien-Smith", middle_names="Anne", other_names="Zoe Kelly")
    db.commit()
    assert keys_of(db, child) == {
        *("S", "AN", "OBRN", "SM0", "OBRNSM0", "KL", "SKL"),
        *("S+OBRN", "S+SM0", "S+OBRNSM0", "S+KL", "AN+OBRN", "AN+SM0", "AN+OBRNSM0", "AN+KL"),
    }


def test_renaming_a_child_rewrites_their_keys_and_leaves_the_rest(db):
    child = a_child(db, "Amira", "Khan")
    db.commit()
    assert keys_of(db, child) == {"AMR", "KHN", "AMR+KHN"}

    child.last_name = "Smith-Jones"
    db.commit()
    assert keys_of(db, child) == {"AMR", "SM0", "JNS", "SM0JNS", "AMR+SM0", "AMR+JNS", "AMR+SM0JNS"}
    kept = db.scalar(select(ChildNameKey.id).where(ChildNameKey.child_id == child.id, ChildNameKey.key == "AMR"))

    child.first_name = "Amyra"  # sounds the same: the key row stays as it was
    child.postcode = "NB9 9ZZ"
    db.commit()
    assert keys_of(db, child) == {"AMR", "SM0", "JNS", "SM0JNS", "AMR+SM0", "AMR+JNS", "AMR+SM0JNS"}
    assert (
        db.scalar(select(ChildNameKey.id).where(ChildNameKey.child_id == child.id, ChildNameKey.key == "AMR")) == kept
    )

    child.other_names = "Mira"
    db.commit()
    assert keys_of(db, child) == {
        *("AMR", "SM0", "JNS", "SM0JNS", "MR"),
        *("AMR+SM0", "AMR+JNS", "AMR+SM0JNS", "AMR+MR", "MR+SM0", "MR+JNS", "MR+SM0JNS", "MR+MR"),
    }

    # Found by the new name, no longer by the old one.
    assert [c.child.id for c in search_children(db, "Amira Smith-Jones")] == [child.id]
    assert search_children(db, "Amira Khan") == []


def test_keys_are_rebuilt_for_children_stored_without_the_orm(db):
    db.execute(
        insert(Child),
        [
            {"first_name": "Leo", "last_name": "Price", "date_of_birth": BORN},
            {"first_name": "Isla", "last_name": "Turner-Green", "date_of_birth": BORN},
        ],
    )
    leo, isla = db.scalars(select(Child).order_by(Child.id)).all()
    assert keys_of(db, leo) == set()

    assert rebuild_name_keys(db, batch=1) == 3 + 7
    db.commit()
    assert keys_of(db, leo) == {"L", "PRS", "L+PRS"}
    isla_keys = {"ISL", "TRNR", "KRN", "TRNRKRN", "ISL+TRNR", "ISL+KRN", "ISL+TRNRKRN"}
    assert keys_of(db, isla) == isla_keys

    assert rebuild_name_keys(db, [isla.id]) == 7  # rewriting leaves no duplicates
    db.commit()
    assert keys_of(db, isla) == isla_keys


def test_the_migration_gives_children_already_stored_their_keys(database_url):
    from alembic import command

    from portal.schema import alembic_config
    from shared.db import make_engine

    config = alembic_config(database_url)
    command.downgrade(config, "0003")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO children (first_name, last_name, sex, looked_after, send_status, vulnerable_groups, "
                "created_at, updated_at) VALUES ('Freya', 'Smyth', 'unknown', false, 'unknown', '[]', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert set(connection.execute(text("SELECT key FROM child_name_keys")).scalars()) == {"FRY", "SM0", "FRY+SM0"}
    engine.dispose()


# Matching ----------------------------------------------------------------------------------------------------------


def test_twins_are_two_candidates_and_the_right_one_comes_first(db):
    amelia = a_child(db, "Amelia", "Khan")
    aisha = a_child(db, "Aisha", "Khan")
    case = open_case(db, aisha)
    a_child(db, "Amelia", "Khan", born=date(2009, 1, 20), postcode="NB7 1AA")  # a cousin, six years older
    db.commit()

    found = find_candidates(db, Probe(first_name="Amelia", last_name="Khan", date_of_birth=BORN, postcode="NB1 2AB"))
    assert described(found) == [
        ("Amelia Khan", 0.94, ("Same first name", "Same last name", "Same date of birth", "Same postcode")),
        (
            "Aisha Khan",
            0.5786,
            ("Same last name", "Same date of birth", "Same postcode", "Different first name: Amelia / Aisha"),
        ),
    ]
    assert [c.child.id for c in found[:2]] == [amelia.id, aisha.id]
    assert (found[0].open_case, found[1].open_case) == (None, case)


def test_a_same_upn_comes_before_everything(db):
    same_details = a_child(db, "Jon", "Smyth", upn=None)
    by_upn = a_child(db, "Jonathan", "Smith", born=date(2014, 9, 9), postcode="NB5 5AA", upn="A999123456789")
    db.commit()

    found = find_candidates(db, Probe(upn="a999 1234 5678 9", first_name="Jon", last_name="Smyth", date_of_birth=BORN))
    assert [c.child.id for c in found] == [by_upn.id, same_details.id]
    assert described(found)[0] == (
        "Jonathan Smith",
        0.9772,
        (
            "Same UPN",
            "First name Jon is a short form of Jonathan",
            "Last name sounds the same: Smyth / Smith",
            "Different date of birth",
        ),
    )


def test_nicknames_misspellings_hyphens_swaps_and_transposed_dates_are_found(db):
    william = a_child(db, "William", "Smith")
    isla = a_child(db, "Isla", "Turner-Green", born=date(2012, 11, 5), postcode="NB2 3CD")
    amira = a_child(db, "Amira", "Ahmed", born=date(2011, 6, 9), postcode="NB3 4EF")
    noah = a_child(db, "Noah", "Evans", born=date(2016, 2, 7), postcode="NB4 5GH")
    db.commit()

    found = find_candidates(db, Probe(first_name="Bill", last_name="Smyth", date_of_birth=BORN))
    assert described(found) == [
        (
            "William Smith",
            0.8985,
            (
                "First name Bill is a short form of William",
                "Last name sounds the same: Smyth / Smith",
                "Same date of birth",
            ),
        )
    ]
    assert found[0].child.id == william.id

    # No date of birth and no postcode: found by name keys alone.
    found = find_candidates(db, Probe(first_name="Isla", last_name="Green"))
    assert [(c.child.id, c.reasons) for c in found] == [
        (isla.id, ("Same first name", "Last name Green is part of Turner-Green"))
    ]

    found = find_candidates(db, Probe(first_name="Ahmed", last_name="Amira", date_of_birth=date(2011, 6, 9)))
    assert [(c.child.id, c.reasons) for c in found] == [
        (amira.id, ("First and last names swapped", "Same date of birth"))
    ]

    # Day and month swapped, and a first name nobody could match: the date and the surname are enough to ask.
    found = find_candidates(db, Probe(first_name="Nathan", last_name="Evans", date_of_birth=date(2016, 7, 2)))
    assert [(c.child.id, c.reasons) for c in found] == [
        (noah.id, ("Same last name", "Date of birth with day and month swapped", "Different first name: Nathan / Noah"))
    ]


def test_a_child_nobody_knows_has_no_candidates(db):
    a_child(db, "William", "Smith")
    a_child(db, "Amelia", "Khan")
    db.commit()
    assert find_candidates(db, Probe(first_name="Zara", last_name="Okafor", date_of_birth=date(2013, 8, 30))) == []
    assert find_candidates(db, Probe()) == []


def test_the_limit_and_threshold(db):
    for first in ("Leo", "Lee", "Leon"):
        a_child(db, first, "Price")
    db.commit()
    probe = Probe(first_name="Leo", last_name="Price", date_of_birth=BORN)
    assert [c.child.first_name for c in find_candidates(db, probe)] == ["Leo", "Leon", "Lee"]
    assert [c.child.first_name for c in find_candidates(db, probe, limit=1)] == ["Leo"]
    assert [c.child.first_name for c in find_candidates(db, probe, threshold=0.93)] == ["Leo"]


def test_probes_for_a_referral_and_a_notice():
    referral = Referral(
        child_first_name="Bill",
        child_last_name="Smith",
        child_date_of_birth=BORN,
        child_postcode="NB1 2AB",
        answers={"child_other_names": "Billy Jones"},
    )
    assert Probe.for_referral(referral) == Probe(
        first_name="Bill", last_name="Smith", date_of_birth=BORN, postcode="NB1 2AB", other_names="Billy Jones"
    )
    notice = SchoolNotice(
        upn="a999123456789",
        pupil_first_name="William",
        pupil_last_name="Smith",
        pupil_date_of_birth=BORN,
        pupil_postcode=None,
    )
    assert Probe.for_notice(notice) == Probe(
        upn="A999123456789", first_name="William", last_name="Smith", date_of_birth=BORN
    )


def test_a_referral_is_matched_to_the_child_it_is_about(db):
    william = a_child(db, "William", "Smith", other_names="Tommy Jones")
    db.commit()
    referral = Referral(
        reference="RF-TEST-0001",
        source="public",
        child_first_name="Tommy",
        child_last_name="Jones",
        child_date_of_birth=None,
        answers={},
    )
    found = find_candidates(db, Probe.for_referral(referral))
    assert [(c.child.id, c.reasons) for c in found] == [
        (
            william.id,
            ("First name Tommy is one of the child's other names", "Last name Jones is one of the child's other names"),
        )
    ]


# Search ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def register(db):
    made = {
        "olivia": a_child(db, "Olivia", "Smith", upn="A999123456789"),
        "oliver": a_child(db, "Oliver", "Smith"),
        "freya": a_child(db, "Freya", "Smyth", born=date(2013, 12, 1), postcode="NB2 7XY"),
        "jack": a_child(db, "Jack", "Green", born=date(2012, 3, 4), postcode="NB9 1AA"),
    }
    open_case(db, made["jack"])
    db.commit()
    return made


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("olivia smyth", [("Olivia Smith", ("Same first name", "Last name sounds the same: smyth / Smith"))]),
        (
            "Smith",
            [
                ("Oliver Smith", ("Same last name",)),
                ("Olivia Smith", ("Same last name",)),
                ("Freya Smyth", ("Last name sounds the same: Smith / Smyth",)),
            ],
        ),
        (
            "03 04 2015",
            [("Oliver Smith", ("Same date of birth",)), ("Olivia Smith", ("Same date of birth",))],
        ),
        ("2012-04-03", [("Jack Green", ("Date of birth with day and month swapped",))]),
        ("A999 1234 5678 9", [("Olivia Smith", ("Same UPN",))]),
        ("a999123456789", [("Olivia Smith", ("Same UPN",))]),
        ("nb27xy", [("Freya Smyth", ("Same postcode",))]),
        ("NB9", [("Jack Green", ("Same postcode area (NB9)",))]),
        ("Green, Jak", [("Jack Green", ("First name sounds the same: Jak / Jack", "Same last name"))]),
        ("Zara", []),
    ],
)
def test_search(db, register, text, expected):
    assert [(c.child.full_name, c.reasons) for c in search_children(db, text)] == expected


def test_search_results_carry_the_open_case(db, register):
    (found,) = search_children(db, "jack green 4/3/2012")
    assert found.open_case.child_id == register["jack"].id
    assert found.score == 0.94


def test_a_child_anonymised_by_the_retention_run_is_never_proposed(db):
    from shared.clock import utcnow

    kept = a_child(db, "Amy", "Anonymised", born=date(2015, 9, 1), postcode="NB1")
    gone = a_child(db, None, "Anonymised", born=date(2015, 9, 1), postcode="NB1", anonymised_at=utcnow())
    db.commit()
    found = find_candidates(db, Probe(first_name="Amy", last_name="Anonymised", date_of_birth=date(2015, 9, 1)))
    assert [candidate.child.id for candidate in found] == [kept.id]
    assert gone.id != kept.id
