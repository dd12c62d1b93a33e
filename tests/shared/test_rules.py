from shared.domain.casework import OPEN_STATUSES, TRANSITIONS, CaseStatus, can_move
from shared.domain.roles import PERMISSIONS, Area, Role, may, may_see_names


def test_a_closed_case_can_only_be_reopened_into_enquiries():
    assert TRANSITIONS[CaseStatus.CLOSED] == {CaseStatus.ENQUIRIES}
    assert not can_move("closed", "monitoring")


def test_a_new_case_cannot_jump_to_monitoring():
    assert not can_move("open", "monitoring")
    assert can_move("enquiries", "monitoring")


def test_every_status_but_closed_is_open():
    assert set(CaseStatus) - OPEN_STATUSES == {CaseStatus.CLOSED}


def test_permission_matrix():
    assert {area: {role.value for role in roles} for area, roles in PERMISSIONS.items()} == {
        Area.SCHOOL_NOTICES: {"school"},
        Area.CASEWORK_READ: {"officer", "lead", "manager", "admin"},
        Area.CASEWORK_WRITE: {"officer", "lead", "admin"},
        Area.ASSIGN_CASES: {"lead", "admin"},
        Area.DASHBOARD: {"officer", "lead", "manager", "admin"},
        Area.ADMIN: {"admin"},
        Area.AUDIT: {"admin"},
    }


def test_an_unknown_role_may_do_nothing():
    assert not any(may("superuser", area) for area in Area)
    assert may(Role.SCHOOL, Area.SCHOOL_NOTICES)


def test_only_the_roles_that_work_cases_see_childrens_names():
    assert [role.value for role in Role if may_see_names(role)] == ["officer", "lead", "admin"]
    assert not may_see_names("manager") and not may_see_names("school") and not may_see_names("superuser")
