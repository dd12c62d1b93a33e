"""Rows written in bulk for the attendance import, the one place its SQL differs by database: COPY on
PostgreSQL, executemany on SQLite; a long list of values as one array parameter on PostgreSQL, batches of an
IN (...) list on SQLite. The import's statements go through these so it reads the same on either."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import MetaData, Table, any_, insert, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from shared.domain.problems import required
from shared.models import AttendancePupil

LOOKUP_BATCH = 5000  # values in one IN (...): well under the limits on bound parameters (SQLite 32,766)
WRITE_BATCH = 10_000  # rows in one executemany on SQLite


def among(session: Session, column, values: list):
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`, one parameter however many values (a long IN
    list is slow to send and parse there)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Writer:
    """Rows inserted in bulk into a table: COPY on PostgreSQL, executemany on SQLite. The rows are tuples in the
    order of `columns`, of values as the driver takes them: `value` converts one as SQLAlchemy would (a date is its
    ISO text on SQLite), `day` a date, quickly."""

    def __init__(self, session: Session):
        self.connection = session.connection()
        self.postgresql = self.connection.dialect.name == "postgresql"
        self.day: Callable[[date], Any] = (lambda value: value) if self.postgresql else date.isoformat

    def value(self, column, value: Any) -> Any:
        process = column.type._cached_bind_processor(self.connection.dialect)
        return process(value) if process is not None else value

    def insert(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        written = 0
        if self.postgresql:
            from psycopg import sql  # the driver only PostgreSQL uses

            copy_rows = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            driver = required(self.connection.connection.driver_connection)  # None only once closed
            with driver.cursor() as cursor, cursor.copy(copy_rows) as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        statement = str(insert(table).compile(dialect=self.connection.dialect, column_keys=list(columns)))
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, WRITE_BATCH)):
            self.connection.exec_driver_sql(statement, batch)
            written += len(batch)
        return written

    def set_runs(self, rows: list[tuple], now) -> None:
        """Set each pupil's last marked day and runs: rows of (last_marked_on, current_run_start,
        current_run_sessions, longest_run_start, longest_run_sessions, id), dates as `day` gives them."""
        stamp = self.value(AttendancePupil.__table__.c.updated_at, now)
        if not self.postgresql:
            for batch in chunks(rows, WRITE_BATCH):
                self.connection.exec_driver_sql(_SET_RUNS_SQLITE, [(*row[:-1], stamp, row[-1]) for row in batch])
            return
        # PostgreSQL: the rows copied into a table of this transaction, then one UPDATE from it.
        self.connection.exec_driver_sql(_RUNS_TABLE)
        self.insert(_RUNS_COPY, _RUNS_COLUMNS, rows)
        self.connection.execute(text(_SET_RUNS_POSTGRESQL), {"now": now})


_RUNS_COLUMNS = (
    "last_marked_on",
    "current_run_start",
    "current_run_sessions",
    "longest_run_start",
    "longest_run_sessions",
    "id",
)
_SET_RUNS_SQLITE = (
    "UPDATE attendance_pupils SET last_marked_on = ?, current_run_start = ?, current_run_sessions = ?, "
    "longest_run_start = ?, longest_run_sessions = ?, updated_at = ? WHERE id = ?"
)
_RUNS_TABLE = (
    "CREATE TEMPORARY TABLE attendance_runs ON COMMIT DROP AS "
    "SELECT last_marked_on, current_run_start, current_run_sessions, longest_run_start, longest_run_sessions, id "
    "FROM attendance_pupils WITH NO DATA"
)
_RUNS_COPY = Table("attendance_runs", MetaData())
_SET_RUNS_POSTGRESQL = (
    "UPDATE attendance_pupils SET last_marked_on = runs.last_marked_on, current_run_start = runs.current_run_start, "
    "current_run_sessions = runs.current_run_sessions, longest_run_start = runs.longest_run_start, "
    "longest_run_sessions = runs.longest_run_sessions, updated_at = :now "
    "FROM attendance_runs AS runs WHERE attendance_pupils.id = runs.id"
)
