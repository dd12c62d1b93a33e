"""A Common Transfer File (CTF) of leavers, read into removal notices for a preview: nothing here touches the
database.

The file is the DfE's XML: root `CTfile`, a `Header` (with `SourceSchool` and `DestSchool`, each an LA code and an
establishment number) and `CTFpupilData` holding one `Pupil` each. A pupil gives the name, date of birth and sex,
and in its optional sections the address (`Address`: a `BS7666Address` or `AddressLines`, then `PostCode`), the
parents (`Contacts/Contact`, each with `Order`, `Forename`, `Surname`, `Responsibility` and `Phones/Phone/PhoneNo`)
and its schools (`SchoolHistory/School`, each with `LEA`, `Estab`, `URN`, `EntryDate` and `LeavingDate`). Every
other element (basic details, attendance, assessments, anything a later version adds) is passed over.

The file is parsed with defusedxml, which refuses entity declarations: that stops external entities (a file that
would read the server's files or the network) and entity-expansion bombs before any expansion. Pupils are read one
at a time and let go, so a large file does not build its whole tree in memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from xml.etree.ElementTree import Element, ParseError, TreeBuilder  # nosec B405 # types only: defusedxml parses

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from shared.domain.notices import DESTINATION_OUT_OF_SCOPE, DESTINATION_UNKNOWN, parse_date
from shared.domain.problems import FILE, LineProblem
from shared.domain.vocab import NoticeKind
from shared.importers.notices_csv import MAX_ROWS, Preview, check_rows

REGISTERED_ELSEWHERE = "a"  # reg 9(1)(a): the ground for a pupil whose next school is named
_HEADER = ("CTfile", "Header")
_PUPIL = ("CTfile", "CTFpupilData", "Pupil")
_LAESTAB = re.compile(r"^\d{7}$")
_NOT_A_SCHOOL = {
    "XXXXXXX": DESTINATION_UNKNOWN,
    "MMMMMMM": DESTINATION_OUT_OF_SCOPE,
}


class _Refused(Exception):
    """Stop reading: the file is not one to import."""


class _Reader:
    """The parser's target: builds the header as a tree, and each pupil as a tree that is turned into answers and
    let go when it ends, with the line its `<Pupil>` tag starts on."""

    def __init__(self):
        self._builder = TreeBuilder()
        self._path: list[str] = []
        self._pupil_line = 0
        self.line = lambda: 0  # set once the parser exists
        self.header: Element | None = None
        self.pupils: list[tuple[int, Element]] = []

    def start(self, tag: str, attrs: Mapping[str, str]) -> Element:
        name = tag.rpartition("}")[2]  # no namespace: suppliers' files differ
        if not self._path and name != "CTfile":
            raise _Refused(f"The file is not a Common Transfer File: it starts with <{name}>, not <CTfile>")
        self._path.append(name)
        if tuple(self._path) == _PUPIL:
            if len(self.pupils) == MAX_ROWS:
                raise _Refused(f"The file has more than {MAX_ROWS:,} pupils: split it into smaller files")
            self._pupil_line = self.line()
        return self._builder.start(name, {})

    def data(self, text: str) -> None:
        self._builder.data(text)

    def end(self, tag: str) -> Element:
        element = self._builder.end(tag.rpartition("}")[2])
        path = tuple(self._path)
        if path == _HEADER:
            self.header = element
        elif path == _PUPIL:
            self.pupils.append((self._pupil_line, _pupil(element)))
            element.clear()
        self._path.pop()
        return element

    def close(self) -> Element:
        return self._builder.close()


def parse_ctf(
    data: bytes, today: date, default_ground: str = "", default_answers: Mapping[str, str] | None = None
) -> Preview:
    """Read a whole Common Transfer File and check each pupil as a removal notice.

    A pupil whose next school is named (the header's DestSchool is a real LAESTAB) is removed under ground a
    (registered at another school). For a destination that is not known (XXXXXXX) or outside England's maintained
    schools (MMMMMMM) the file cannot say the ground: `default_ground` is used, with `default_answers` for the
    questions that ground needs (such as enquiries_made for grounds h and i); without it each such pupil is reported
    as needing a ground. The removal date is the pupil's leaving date from the sending school in its school history,
    else the date the file was made. `source_laestab` in the preview is the sending school's, for the caller to check
    against the school uploading it."""
    reader = _Reader()
    parser = DefusedXMLParser(target=reader)
    reader.line = lambda: parser.parser.CurrentLineNumber
    try:
        parser.feed(data)
        parser.close()
    except _Refused as refused:
        return _refused(str(refused))
    except (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden):
        return _refused(
            "The file declares XML entities or refers to other files, which a Common Transfer File never does. It "
            "was not read, to keep the service safe: export the CTF again from your school's system"
        )
    except ParseError as error:
        return _refused(_parse_error_message(data, error))

    header = reader.header
    if header is None:
        return _refused("The file has no Header: it is not a complete Common Transfer File")
    destination = _destination(header)
    if destination is None:
        return _refused("The file's Header has no DestSchool with an LEA and an Estab: export the CTF again")
    if not reader.pupils:
        return _refused("The file has no pupils in it", source_laestab(header))

    source = source_laestab(header)
    created = parse_date(_text(header, "DateTime")[:10])
    rows = []
    for line, pupil in reader.pupils:
        answers = dict(pupil.attrib)
        leaving = _leaving_date(pupil, header)
        answers["event_date"] = leaving or (created.isoformat() if created else "")
        answers["destination_laestab"] = destination
        if _LAESTAB.match(destination):
            answers["deletion_ground"] = REGISTERED_ELSEWHERE
        else:
            answers |= dict(default_answers or {})
            answers["deletion_ground"] = default_ground
        rows.append((line, answers))
    preview = check_rows(rows, today)
    preview.source_laestab = source
    return preview


def source_laestab(header: Element | None) -> str | None:
    """The sending school's LAESTAB (LA code and establishment number), or None if the header does not give it."""
    if header is None:
        return None
    laestab = _text(header, "SourceSchool/LEA") + _text(header, "SourceSchool/Estab")
    return laestab if _LAESTAB.match(laestab) else None


def _refused(message: str, source: str | None = None) -> Preview:
    return Preview(problems=[LineProblem(FILE, None, message)], source_laestab=source)


def _parse_error_message(data: bytes, error: ParseError) -> str:
    line, column = error.position
    if not data.strip():
        return "The file is empty"
    declared = re.match(rb"""\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)""", data.lstrip(b"\xef\xbb\xbf"))
    if not declared or declared.group(1).lower() in (b"utf-8", b"utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            bad_line = data[: bad.start].count(b"\n") + 1
            return (
                f"The file is not UTF-8 text, as a Common Transfer File must be (see line {bad_line}): "
                "export the CTF again from your school's system"
            )
    if line == 1 and column == 0:
        return "The file is not a Common Transfer File: it is not XML"
    reason = str(error).split(":")[0]
    return (
        f"The file is not well-formed XML ({reason} at line {line}, column {column + 1}): "
        "export the CTF again from your school's system"
    )


def _text(element: Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _destination(header: Element) -> str | None:
    lea, estab = _text(header, "DestSchool/LEA").upper(), _text(header, "DestSchool/Estab").upper()
    if not lea or not estab:
        return None
    laestab = lea + estab
    if laestab in _NOT_A_SCHOOL:
        return _NOT_A_SCHOOL[laestab]
    if estab == "LLLL":
        # Sent to the local authority rather than to a school (*unverified convention*): no school is named.
        return DESTINATION_UNKNOWN
    return laestab  # anything else is checked as a LAESTAB, and reported if it is not one


def _pupil(element: Element) -> Element:
    """The answers one `<Pupil>` gives, kept as a small element (its attributes) with its school history, so that
    the header, which may be read later, can be applied once the file is read."""
    answers = {
        "kind": NoticeKind.LEAVER.value,
        "upn": _text(element, "UPN"),
        "first_name": _text(element, "Forename"),
        "last_name": _text(element, "Surname"),
        "date_of_birth": _text(element, "DOB"),
        "sex": _text(element, "Sex") or _text(element, "Gender"),  # Gender before CTF 2020
    }
    address, postcode = _address(element.find("Address"))
    answers["address"], answers["postcode"] = address, postcode
    answers["parent_name"], answers["parent_phone"] = _parents(element)
    kept = Element("Pupil", {key: value for key, value in answers.items() if value})
    history = element.find("SchoolHistory")
    if history is not None:
        kept.append(history)
    return kept


def _address(address: Element | None) -> tuple[str, str]:
    if address is None:
        return "", ""
    parts: list[str] = []
    bs7666 = address.find("BS7666Address")
    if bs7666 is not None:
        paon, street = _text(bs7666, "PAON"), _text(bs7666, "Street")
        building = f"{paon} {street}" if paon[:1].isdigit() and street else ", ".join(p for p in (paon, street) if p)
        parts += [_text(bs7666, "SAON"), building]
        parts += [_text(bs7666, name) for name in ("Locality", "Town", "PostTown", "AdministrativeArea")]
    lines = address.find("AddressLines")
    if lines is not None:
        parts += [(line.text or "").strip() for line in lines]
    seen: dict[str, str] = {}
    for part in parts:
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    postcode = _text(address, "PostCode") or _text(address, "Postcode")
    return ", ".join(seen.values()), postcode


def _parents(pupil: Element) -> tuple[str, str]:
    """The contacts with parental responsibility (else the first contact), in the file's order: up to two names,
    and the first phone number among them (else the pupil's own)."""
    contacts = pupil.findall("Contacts/Contact")

    def order(contact: Element) -> int:
        value = _text(contact, "Order")
        # ASCII and short: str.isdigit() also accepts "²", and int() refuses more than 4,300 digits.
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 99

    contacts.sort(key=order)
    responsible = [c for c in contacts if _text(c, "Responsibility").lower() in ("true", "1", "yes")]
    chosen = (responsible or contacts)[:2]
    names = [" ".join(p for p in (_text(c, "Forename"), _text(c, "Surname")) if p) for c in chosen]
    phones = [_text(c, "Phones/Phone/PhoneNo") for c in chosen] + [_text(pupil, "Phones/Phone/PhoneNo")]
    return "; ".join(name for name in names if name), next((phone for phone in phones if phone), "")


def _leaving_date(pupil: Element, header: Element) -> str:
    """The pupil's leaving date from the sending school, found in the school history by LAESTAB or URN."""
    lea, estab, urn = (_text(header, f"SourceSchool/{name}") for name in ("LEA", "Estab", "URN"))
    for school in pupil.findall("SchoolHistory/School"):
        same_laestab = lea and estab and (_text(school, "LEA"), _text(school, "Estab")) == (lea, estab)
        same_urn = urn and _text(school, "URN") == urn
        if (same_laestab or same_urn) and _text(school, "LeavingDate"):
            return _text(school, "LeavingDate")[:10]
    return ""
