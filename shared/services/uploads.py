"""A school's file of notices (a CSV, or a Common Transfer File of leavers): stored while its preview is checked,
read into that preview, and confirmed, which stores every valid notice in one transaction.

The web page and `cme import notices` use these same steps, so a file is held to the same rules however it
arrives. The file's bytes are kept (in `notice_uploads`, never in a cookie) only until it is sent: then they are
emptied, and uploads nobody confirmed are deleted after a day.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from shared.db import rows_changed
from shared.domain.notices import (
    DESTINATION_OUT_OF_SCOPE,
    DESTINATION_UNKNOWN,
    FIELD_LABELS,
    GROUNDS,
    SCHOOL_FIELDS,
    TEXT_LIMITS,
    CheckedNotice,
    routes_to_cme,
)
from shared.domain.problems import FILE, LineProblem
from shared.domain.reference import new_reference
from shared.domain.vocab import NoticeKind
from shared.importers.ctf import parse_ctf
from shared.importers.notices_csv import Preview, parse_notices_csv
from shared.models import NoticeUpload, School, SchoolNotice, User
from shared.services import audit
from shared.services.notices import Sent, send_notices
from shared.services.schools import not_in_register

CSV, CTF = "csv", "ctf"
PREVIEWED, SENT, DISCARDED = "previewed", "sent", "discarded"
KEPT_FOR = timedelta(days=1)  # an upload nobody confirmed is deleted after this
EXTENSIONS = {".csv": CSV, ".txt": CSV, ".xml": CTF}
_EXCEL = (".xlsx", ".xls", ".xlsm", ".ods")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# The grounds a Common Transfer File's leavers with no known next school may be removed under: every ground that
# needs no answer about the pupil (a and d name a school; g needs each pupil's new address), the enquiries made
# for grounds h and i being one answer for the whole file.
CTF_GROUNDS = tuple(ground for ground in GROUNDS.values() if not set(ground.needs) - {"enquiries_made"})
_NOT_A_SCHOOL = (DESTINATION_UNKNOWN, DESTINATION_OUT_OF_SCOPE)

# The notices each kind of school sends, as the one-at-a-time forms offer them.
INDEPENDENT_KINDS = (NoticeKind.INDEPENDENT_ADMISSION, NoticeKind.LEAVER, NoticeKind.ABSENCE)
MAINTAINED_KINDS = (NoticeKind.JOINER, NoticeKind.LEAVER, NoticeKind.PART_TIME, NoticeKind.ABSENCE)


class UploadRefused(Exception):
    """The file cannot be used at all: each message says why, in words the school user can act on. `field` names
    the answer at fault ("file", "ground" or "enquiries_made")."""

    def __init__(self, messages: list[str], field: str = "file"):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.field = field


class NothingToSend(Exception):
    """Every row of the file has a problem."""


class PreviewChanged(Exception):
    """The file would now send a different number of notices from the preview the user confirmed (the day has
    changed, or the schools register has): the user must look at the preview again."""


@dataclass
class UploadPreview:
    """What an upload would send, and every problem found, by line."""

    upload: NoticeUpload
    notices: list[tuple[int, CheckedNotice]]
    problems: list[LineProblem]
    absence_is_cme: bool = True  # whether continuous-absence notices go to the CME team in this authority

    @property
    def to_cme(self) -> int:
        """How many of the notices go to the CME team to act on."""
        return sum(
            routes_to_cme(
                notice.kind, notice.deletion_ground, notice.destination_laestab, absence_is_cme=self.absence_is_cme
            )
            for _, notice in self.notices
        )

    @property
    def rows_with_problems(self) -> int:
        return len({problem.line for problem in self.problems if problem.line != FILE})

    @property
    def asks_ground(self) -> bool:
        """Whether the file has leavers whose next school is not known, for whom a ground must be chosen."""
        if self.upload.file_format != CTF:
            return False
        ground_label = FIELD_LABELS["deletion_ground"]
        return any(notice.destination_laestab in _NOT_A_SCHOOL for _, notice in self.notices) or any(
            problem.field == ground_label for problem in self.problems
        )


@dataclass(frozen=True)
class UploadResult:
    """A sent upload, read back from the notices it stored."""

    batch_reference: str | None
    references: tuple[str, ...]  # the first `limit` of them, in the order they were stored
    total: int
    routed: int
    attached: int


def file_format(file_name: str, data: bytes) -> str:
    """ "csv" or "ctf", by the file's content first (XML is a Common Transfer File, whatever its name), else by its
    extension. Refuses an empty file and a type the service does not read."""
    if not data.strip():
        raise UploadRefused(["The selected file is empty"])
    extension = _extension(file_name)
    if data.lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"<":
        return CTF
    if extension in _EXCEL or data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UploadRefused(
            ["The selected file is a spreadsheet, not a CSV file: in Excel, use Save As and choose CSV UTF-8"]
        )
    if extension and extension not in EXTENSIONS:
        raise UploadRefused(["The selected file must be a CSV file (.csv) or a Common Transfer File (.xml)"])
    return EXTENSIONS.get(extension, CSV)


def _extension(file_name: str) -> str:
    base = clean_file_name(file_name)
    return base[base.rfind(".") :].lower() if "." in base else ""


def clean_file_name(file_name: str) -> str:
    """The file's own name, without a folder path or control characters, short enough to keep."""
    base = re.split(r"[\\/]", file_name or "")[-1]
    return _CONTROL.sub("", base).strip()[:255] or "file"


def ctf_options(ground: str = "", enquiries_made: str = "") -> dict[str, str]:
    """The answers applied to a Common Transfer File's leavers whose next school is not known."""
    ground = (ground or "").strip().lower()
    enquiries_made = _CONTROL.sub(" ", enquiries_made or "").strip()
    if not ground:
        return {}
    chosen = next((choice for choice in CTF_GROUNDS if choice.code == ground), None)
    if chosen is None:
        codes = ", ".join(choice.code for choice in CTF_GROUNDS)
        raise UploadRefused([f"Select the ground for removal: one of {codes}"], field="ground")
    if "enquiries_made" not in chosen.needs:
        return {"ground": ground}
    if not enquiries_made:
        message = f"Enter the enquiries made by the school and the authority: ground {ground} needs them"
        raise UploadRefused([message], field="enquiries_made")
    limit = TEXT_LIMITS["enquiries_made"]
    if len(enquiries_made) > limit:
        raise UploadRefused([f"Enquiries made must be {limit:,} characters or fewer"], field="enquiries_made")
    return {"ground": ground, "enquiries_made": enquiries_made}


def read_file(session: Session, school: School, file_format: str, data: bytes, options: dict, today: date) -> Preview:
    """The notices a file would send for this school, and every problem: the importers' checks, then this
    service's own (a CTF must be the school's own, a destination must be in the schools register, a school sends
    the kinds of notice it may)."""
    if file_format == CTF:
        answers = {"enquiries_made": options["enquiries_made"]} if options.get("enquiries_made") else None
        preview = parse_ctf(data, today, options.get("ground", ""), answers)
        if not preview.file_problems:
            refusal = _not_own_ctf(school, preview.source_laestab)
            if refusal:
                return Preview(problems=[LineProblem(FILE, None, refusal)], source_laestab=preview.source_laestab)
    else:
        preview = parse_notices_csv(data, today)
    if preview.notices:
        _refuse(preview, _kind_problems(school, preview.notices))
        _refuse(preview, _register_problems(session, preview.notices))
    return preview


def _not_own_ctf(school: School, source: str | None) -> str | None:
    if source is None:
        return (
            "The file's header does not say which school sent it (SourceSchool, with its LEA and Estab): export the "
            "CTF again from your school's system"
        )
    if school.laestab is None:
        return (
            f"{school.name} has no LAESTAB in the schools register, so a Common Transfer File cannot be checked as "
            "its own: send a CSV file instead"
        )
    if source != school.laestab:
        return (
            f"The file was sent by the school with LAESTAB {source}, not by {school.name} ({school.laestab}): "
            "upload only your own school's Common Transfer Files"
        )
    return None


def _kind_problems(school: School, notices: Iterable[tuple[int, CheckedNotice]]) -> list[LineProblem]:
    allowed = INDEPENDENT_KINDS if school.is_independent else MAINTAINED_KINDS
    label = FIELD_LABELS["kind"]
    if school.is_independent:
        message = "An independent school sends independent_admission, leaver or absence notices"
    else:
        message = "Only an independent school sends independent_admission notices: send a joiner notice instead"
    return [LineProblem(line, label, message) for line, notice in notices if notice.kind not in allowed]


def _register_problems(session: Session, notices: list[tuple[int, CheckedNotice]]) -> list[LineProblem]:
    """A school a notice names that is not in the schools register (the rule in schools.not_in_register)."""
    missing = not_in_register(session, [notice.schools() for _, notice in notices])
    return [
        LineProblem(line, SCHOOL_FIELDS[name], f"no school with LAESTAB {laestab} is in the schools register")
        for (line, _), named in zip(notices, missing, strict=True)
        for name, laestab in named.items()
    ]


def _refuse(preview: Preview, problems: list[LineProblem]) -> None:
    """Take the rows with these problems out of the notices and add the problems, in line order."""
    if not problems:
        return
    refused = {problem.line for problem in problems}
    preview.notices = [(line, notice) for line, notice in preview.notices if line not in refused]
    preview.problems = sorted([*preview.problems, *problems], key=lambda problem: problem.line)


def store_upload(
    session: Session,
    school: School,
    user: User,
    file_name: str,
    data: bytes,
    now: datetime,
    today: date,
    options: dict | None = None,
) -> NoticeUpload:
    """Keep a file for its preview, and delete uploads nobody confirmed within a day. A file that cannot be read
    at all (empty, the wrong type, not CSV or XML, another school's CTF) is refused with UploadRefused and
    nothing is kept."""
    name = clean_file_name(file_name)
    kind = file_format(name, data)
    options = dict(options or {}) if kind == CTF else {}
    preview = read_file(session, school, kind, data, options, today)
    if preview.file_problems:
        raise UploadRefused([problem.message for problem in preview.file_problems])
    purge_uploads(session, now)
    upload = NoticeUpload(
        reference=new_reference("SF"),
        school_id=school.id,
        uploaded_by_id=user.id,
        uploaded_at=now,
        file_name=name,
        file_format=kind,
        content=data,
        size=len(data),
        options=options,
        status=PREVIEWED,
    )
    session.add(upload)
    session.flush()
    audit.record(session, user, "upload", "notice_upload", upload.id, after={"format": kind, "size": len(data)})
    session.commit()
    return upload


def purge_uploads(session: Session, now: datetime) -> int:
    """Delete every school's uploads that were never sent and are more than a day old; sent ones are kept (with
    their bytes emptied) so their confirmation can be shown again."""
    return rows_changed(
        session, delete(NoticeUpload).where(NoticeUpload.status != SENT, NoticeUpload.uploaded_at < now - KEPT_FOR)
    )


def find_upload(session: Session, school_id: int, reference: str) -> NoticeUpload | None:
    """The school's own upload with this reference; another school's is as good as not there."""
    return session.scalar(
        select(NoticeUpload).where(
            NoticeUpload.reference == (reference or "").strip().upper(), NoticeUpload.school_id == school_id
        )
    )


def preview_upload(session: Session, upload: NoticeUpload, today: date, absence_is_cme: bool = True) -> UploadPreview:
    preview = read_file(session, upload.school, upload.file_format, upload.content, upload.options, today)
    return UploadPreview(upload, preview.notices, preview.problems, absence_is_cme)


def change_options(session: Session, upload: NoticeUpload, options: dict) -> None:
    """Change the ground applied to a previewed CTF's leavers whose next school is not known."""
    if upload.status != PREVIEWED or upload.file_format != CTF:
        return
    upload.options = dict(options)
    session.commit()


def discard_upload(session: Session, upload: NoticeUpload) -> None:
    """Give up an upload that will not be sent: its bytes go at once."""
    session.execute(
        update(NoticeUpload)
        .where(NoticeUpload.id == upload.id, NoticeUpload.status == PREVIEWED)
        .values(status=DISCARDED, content=b"")
    )
    session.commit()


def confirm_upload(
    session: Session,
    upload: NoticeUpload,
    user: User,
    now: datetime,
    today: date,
    add_school_days: Callable[[date, int], date],
    service_url: str,
    *,
    expected: int | None = None,
    progress: Callable[[int], None] | None = None,
    absence_is_cme: bool = True,
) -> Sent | None:
    """Send every valid notice in the upload, in one transaction with marking the upload sent (and emptying its
    bytes). The upload is claimed with a conditional update, so a second confirm (a double click, another tab)
    stores nothing and returns None: the first one's result is on the upload. `expected` is the number of notices
    the user saw in the preview; if the file would now send a different number, PreviewChanged is raised."""
    if upload.status != PREVIEWED:
        return None
    preview = read_file(session, upload.school, upload.file_format, upload.content, upload.options, today)
    notices = [notice for _, notice in preview.notices]
    if preview.file_problems or not notices:
        raise NothingToSend()
    if expected is not None and expected != len(notices):
        raise PreviewChanged()
    claimed = rows_changed(
        session,
        update(NoticeUpload)
        .where(NoticeUpload.id == upload.id, NoticeUpload.status == PREVIEWED)
        .values(status=SENT, sent_at=now, content=b"", notices_sent=len(notices)),
    )
    if not claimed:
        session.rollback()
        session.refresh(upload)
        return None

    sent = send_notices(
        session,
        upload.school,
        user,
        notices,
        now,
        today,
        add_school_days,
        service_url,
        progress=progress,
        commit=False,
        absence_is_cme=absence_is_cme,
    )
    # in the notices' own transaction: a single notice makes no batch, so the upload keeps its reference
    upload.batch_reference = sent.batch_reference or sent.references[0]
    session.commit()
    session.refresh(upload)
    return sent


def upload_result(session: Session, upload: NoticeUpload, limit: int = 500) -> UploadResult:
    """What a sent upload stored: its batch (or single notice) reference, the notices' references and counts."""
    if upload.batch_reference is None:
        return UploadResult(None, (), upload.notices_sent, 0, 0)
    condition = (
        SchoolNotice.batch_reference == upload.batch_reference
        if upload.notices_sent > 1
        else SchoolNotice.reference == upload.batch_reference
    )
    mine = (SchoolNotice.school_id == upload.school_id, condition)
    references = tuple(
        session.scalars(select(SchoolNotice.reference).where(*mine).order_by(SchoolNotice.id).limit(limit))
    )
    total, routed, attached = session.execute(
        select(
            func.count(),
            func.count().filter(SchoolNotice.routed_to_cme.is_(True)),
            func.count().filter(SchoolNotice.case_id.is_not(None)),
        ).where(*mine)
    ).one()
    batch = upload.batch_reference if upload.notices_sent > 1 else None
    return UploadResult(batch, references, total, routed, attached)
