"""The service's one vocabulary for what is wrong with what someone gave it: on a form, on a line of a file, or in
what a service was asked to do. Each message is written for the person who can fix it (GOV.UK error messages:
say what happened and how to put it right)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

FILE = 0  # the line of a LineProblem about a file as a whole


@dataclass(frozen=True)
class Problem:
    """An answer that cannot be used: the form field's name ("" for the form as a whole) and what to say."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class LineProblem:
    """What is wrong on a line of a file (FILE for the file as a whole), and the column or field it is about, by the
    label people know it by (None for the whole line)."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = "The file" if self.line == FILE else f"Line {self.line}"
        return f"{where}{', ' + self.field if self.field else ''}: {self.message}"


class Refused(ValueError):
    """A service will not do what it was asked as it stands, and saved nothing: each problem names the answer to
    change. Front ends show the problems on their fields, in the GOV.UK error summary."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))


def required(value: T | None) -> T:
    """An answer the checks before have already required, for the code after them: missing, it is a fault in the
    service, not a mistake of the user's."""
    if value is None:
        raise TypeError("an answer the checks require is missing")
    return value
