#!/usr/bin/env bash
# What `make test` runs, after setting up: the linters and security checks, the whole suite on SQLite, again on
# PostgreSQL when TEST_DATABASE_URL is set, and the suites that depend on today's date on three awkward days.
# Each leg's wall time is printed at the end (and so far, if a leg fails).
#
#   CME_TEST_WORKERS=N   pytest-xdist workers per leg (default: one per core this process may use, nproc)
#   CME_REQUIRE_ALL_LEGS=1   the PostgreSQL and browser legs must run, not skip (CI sets it)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# Work stealing: a worker that runs out takes tests from the other, so a slow test near the end does not leave a
# core idle.
PYTEST=("$BIN/pytest" -n "${CME_TEST_WORKERS:-$(nproc)}" --dist worksteal)

# The tests that take today's date, or whose answers follow from it (deadlines in school days, ages, terms, the
# dashboard's weeks, notices' lateness), run again as if today were a leap day, the last day of a spring term in a
# leap year (the month before has no 31st) and a day of the summer holiday (no school days for weeks around it).
# The browser journeys over the same pages are left out: at several core-seconds each they would not fit.
DATE_SUITES=(
    tests/shared/test_case_details.py
    tests/shared/test_cases.py
    tests/shared/test_checks.py
    tests/shared/test_dashboard_outcomes.py
    tests/shared/test_enquiries.py
    tests/shared/test_intake.py
    tests/shared/test_invitations.py
    tests/shared/test_matching_service.py
    tests/shared/test_notices_import.py
    tests/shared/test_report_rules.py
    tests/shared/test_rules.py
    tests/shared/test_school_age.py
    tests/shared/test_school_days.py
    tests/shared/test_term_dates.py
    tests/shared/test_terms.py
    tests/shared/test_uploads.py
    tests/dashboard
    tests/portal/test_admin_settings.py
    tests/portal/test_attendance_upload.py
    tests/portal/test_cases.py
    tests/portal/test_checks.py
    tests/portal/test_closure.py
    tests/portal/test_intake.py
    tests/portal/test_intake_alerts.py
    tests/portal/test_notices.py
    tests/portal/test_school_search.py
    tests/portal/test_staff_home.py
    tests/portal/test_team.py
)
AWKWARD_DAYS=(2028-02-29 2028-03-31 2027-08-16)

names=() seconds=()
summary() {
    echo
    echo "== Wall time of each leg"
    local total=0
    for i in "${!names[@]}"; do
        printf '%-52s %5d s\n' "${names[$i]}" "${seconds[$i]}"
        total=$((total + seconds[i]))
    done
    printf '%-52s %5d s\n' "total" "$total"
}
leg() {
    local name=$1 started=$SECONDS
    shift
    echo "== $name"
    "$@"
    local status=$?
    names+=("$name") seconds+=($((SECONDS - started)))
    if [ $status -ne 0 ]; then
        summary
        echo "Failed: $name"
        exit $status
    fi
}
lint() {
    "$BIN/ruff" check . && "$BIN/ruff" format --check . &&
        "$BIN/bandit" -q -c pyproject.toml -r portal shared dashboard config.py wsgi.py &&
        "$BIN/pip-audit" --skip-editable --progress-spinner off
}
no_postgresql() {
    echo "TEST_DATABASE_URL is not set: the PostgreSQL leg must run here"
    return 1
}
awkward_days() {
    for day in "${AWKWARD_DAYS[@]}"; do
        echo "-- as if today were $day"
        env -u TEST_DATABASE_URL "${PYTEST[@]}" -q --today "$day" "${DATE_SUITES[@]}" || return 1
    done
}

leg "Lint and security (ruff, bandit, pip-audit)" lint
leg "Tests on SQLite" env -u TEST_DATABASE_URL "${PYTEST[@]}"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
    leg "Tests on PostgreSQL (those that use the database)" "${PYTEST[@]}"
elif [ "${CME_REQUIRE_ALL_LEGS:-}" = 1 ]; then
    leg "Tests on PostgreSQL" no_postgresql
else
    echo "== Tests on PostgreSQL: not run (set TEST_DATABASE_URL to run them)"
fi
leg "Date-sensitive tests on ${AWKWARD_DAYS[*]}" awkward_days
summary
