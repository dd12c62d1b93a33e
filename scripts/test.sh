#!/usr/bin/env bash
# What `make test` runs, after setting up: the linters and security checks, the whole suite on SQLite, again on
# PostgreSQL when TEST_DATABASE_URL is set, and the suite but its browser and property tests on three awkward days.
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

# Then the suite runs again as if today were a leap day, the last day of a spring term in a leap year (the month
# before has no 31st) and a day of the summer holiday (no school days for weeks around it): every test but the
# browser journeys (several core-seconds each, over the same pages the test client requests) and the hostile-input
# properties (which draw their own values, dates included, whatever the day).
ON_ANOTHER_DAY=(tests --ignore=tests/e2e --ignore=tests/property)
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
    "$BIN/ruff" check . && "$BIN/ruff" format --check . && "$BIN/mypy" &&
        "$BIN/bandit" -q -c pyproject.toml -r portal shared dashboard webcommon config.py wsgi.py &&
        "$BIN/pip-audit" --skip-editable --progress-spinner off
}
no_postgresql() {
    echo "TEST_DATABASE_URL is not set: the PostgreSQL leg must run here"
    return 1
}
awkward_days() {
    for day in "${AWKWARD_DAYS[@]}"; do
        echo "-- as if today were $day"
        env -u TEST_DATABASE_URL "${PYTEST[@]}" -q --today "$day" "${ON_ANOTHER_DAY[@]}" || return 1
    done
}

leg "Lint, types and security (ruff, mypy, bandit, pip-audit)" lint
leg "Tests on SQLite" env -u TEST_DATABASE_URL "${PYTEST[@]}"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
    leg "Tests on PostgreSQL (those that use the database)" "${PYTEST[@]}"
elif [ "${CME_REQUIRE_ALL_LEGS:-}" = 1 ]; then
    leg "Tests on PostgreSQL" no_postgresql
else
    echo "== Tests on PostgreSQL: not run (set TEST_DATABASE_URL to run them)"
fi
leg "Tests on ${AWKWARD_DAYS[*]}" awkward_days
summary
