"""Valid bulk files of any size, for the importers' tests and for timing them (bench/): a CSV of notices and a
Common Transfer File of leavers. They live with the tests, which CI runs, so a change that breaks them fails there.

    from tests.bulk_files import make_ctf, make_notices_csv
    make_notices_csv(10_000)  # bytes: every notice type in turn, each row valid
    make_ctf(2_000)  # bytes: leavers to one named school, each pupil with the sections a real file carries

The same size gives the same bytes. Every date is in the past (2025 and earlier) and every UPN has its right check
letter and is unique, so each file parses with no problems on any later day.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, the repository root is not on the path

from shared.domain.upn import check_letter  # noqa: E402
from shared.importers.notices_csv import CSV_COLUMNS  # noqa: E402

FORENAMES = ("Amira", "Oliver", "Lily", "Noah", "Freya", "Leo", "Isla", "Jack", "Maya", "Harry", "Zara", "Ethan")
SURNAMES = ("Khan", "Price", "Evans", "Williams", "Jones", "Turner", "Green", "Patel", "Smith", "Clarke", "Ahmed")
STREETS = ("Orchard Street", "Mill Lane", "Church Road", "High Street", "Station Road", "Park Avenue")
TOWNS = (("Bath", "BA1 1JG"), ("Bath", "BA2 6AA"), ("Keynsham", "BS31 1AA"), ("Midsomer Norton", "BA3 2AA"))
SOURCE_LEA, SOURCE_ESTAB, SOURCE_URN = "800", "2001", "109001"
DEST_LEA, DEST_ESTAB, DEST_URN = "801", "4001", "139001"


def upn(number: int) -> str:
    """The `number`th UPN (0 to 9,999,999): LA 800, a made-up establishment and year, and its check letter."""
    body = f"800{2000 + number // 1000:04d}24{number % 1000:03d}"
    return check_letter(body) + body


def _pupil(rng: random.Random, number: int) -> dict[str, str]:
    street, (town, postcode) = rng.choice(STREETS), rng.choice(TOWNS)
    surname = rng.choice(SURNAMES)
    return {
        "upn": upn(number),
        "first_name": rng.choice(FORENAMES),
        "last_name": surname,
        "date_of_birth": date(2010, 9, 1) + timedelta(days=rng.randrange(9 * 365)),
        "sex": rng.choice("FM"),
        "address": f"{rng.randrange(1, 200)} {street}, {town}",
        "house": str(rng.randrange(1, 200)),
        "street": street,
        "town": town,
        "postcode": postcode,
        "parent_forename": rng.choice(FORENAMES),
        "parent_surname": surname,
        "parent_phone": f"07700 900{rng.randrange(1000):03d}",
    }


def make_notices_csv(rows: int) -> bytes:
    """A CSV UTF-8 file (with Excel's byte order mark) of `rows` valid notices, the five types in turn."""
    rng = random.Random(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for number in range(rows):
        pupil = _pupil(rng, number)
        event = date(2025, 9, 1) + timedelta(days=rng.randrange(120))
        row = {
            "upn": pupil["upn"],
            "first_name": pupil["first_name"],
            "last_name": pupil["last_name"],
            "date_of_birth": pupil["date_of_birth"].strftime("%d/%m/%Y"),
            "sex": pupil["sex"],
            "event_date": event.strftime("%d/%m/%Y"),
        }
        kind = ("joiner", "leaver", "part_time", "absence", "independent_admission")[number % 5]
        row["kind"] = kind
        if kind in ("joiner", "independent_admission", "absence"):
            row |= {"address": pupil["address"], "postcode": pupil["postcode"]}
            row |= {"parent_name": f"{pupil['parent_forename']} {pupil['parent_surname']}"}
            row |= {"parent_phone": pupil["parent_phone"]}
        if kind == "joiner":
            row["previous_school"] = "Riverside Primary School"
        elif kind == "leaver":
            row |= {"deletion_ground": "a", "destination_laestab": f"{DEST_LEA}{DEST_ESTAB}"}
            row["destination_school"] = "Oak Hill Academy"
        elif kind == "part_time":
            row |= {"hours_per_week": str(rng.choice((10, 12.5, 15, 20))), "reason": "Phased return after illness"}
            row |= {"review_date": (event + timedelta(days=42)).strftime("%d/%m/%Y"), "agreed_with_parents": "yes"}
        elif kind == "absence":
            row["contact_attempted"] = "Phoned both parents on the second and third days; home visit on the fifth"
        writer.writerow([row.get(name, "") for name in CSV_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def make_ctf(pupils: int) -> bytes:
    """A Common Transfer File (CTF 25 layout) of `pupils` leavers from one school to one named school, each with
    basic details, an address, phones, two contacts, attendance, assessments and a school history."""
    rng = random.Random(pupils)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<CTfile>\n  <Header>\n'
        "    <DocumentName>Common Transfer File</DocumentName>\n    <CTFversion>25.0</CTFversion>\n"
        "    <DateTime>2025-07-21T16:05:00</DateTime>\n    <DocumentQualifier>partial</DocumentQualifier>\n"
        "    <SupplierID>BENCH</SupplierID>\n"
        f"    <SourceSchool>\n      <LEA>{SOURCE_LEA}</LEA>\n      <Estab>{SOURCE_ESTAB}</Estab>\n"
        f"      <URN>{SOURCE_URN}</URN>\n      <SchoolName>Riverside Primary School</SchoolName>\n"
        "      <AcademicYear>2024</AcademicYear>\n    </SourceSchool>\n"
        f"    <DestSchool>\n      <LEA>{DEST_LEA}</LEA>\n      <Estab>{DEST_ESTAB}</Estab>\n"
        f"      <URN>{DEST_URN}</URN>\n    </DestSchool>\n  </Header>\n  <CTFpupilData>\n"
    ]
    for number in range(pupils):
        parts.append(_ctf_pupil(rng, _pupil(rng, number)))
    parts.append("  </CTFpupilData>\n</CTfile>\n")
    return "".join(parts).encode("utf-8")


def _ctf_pupil(rng: random.Random, pupil: dict) -> str:
    e = {key: escape(str(value)) for key, value in pupil.items()}
    leaving = date(2025, 7, 18) - timedelta(days=rng.randrange(0, 60, 7))
    contacts = "".join(
        f"""        <Contact>
          <Order>{order}</Order>
          <Title>{title}</Title>
          <Surname>{e["parent_surname"]}</Surname>
          <Forename>{forename}</Forename>
          <Relationship>{relationship}</Relationship>
          <Responsibility>true</Responsibility>
          <AddressAsPupil>true</AddressAsPupil>
          <Phones>
            <Phone>
              <TelephoneType>M</TelephoneType>
              <PhoneNo>{phone}</PhoneNo>
            </Phone>
          </Phones>
          <Email>parent{order}@example.com</Email>
        </Contact>
"""
        for order, title, forename, relationship, phone in (
            (1, "Ms", e["parent_forename"], "PAM", e["parent_phone"]),
            (2, "Mr", escape(rng.choice(FORENAMES)), "PAF", f"07700 900{rng.randrange(1000):03d}"),
        )
    )
    marks = "".join(rng.choice("//////\\\\\\\\LNIM") for _ in range(380))
    return f"""    <Pupil>
      <UPN>{e["upn"]}</UPN>
      <Surname>{e["last_name"]}</Surname>
      <Forename>{e["first_name"]}</Forename>
      <DOB>{pupil["date_of_birth"].isoformat()}</DOB>
      <Sex>{e["sex"]}</Sex>
      <BasicDetails>
        <PreferredSurname>{e["last_name"]}</PreferredSurname>
        <PreferredForename>{e["first_name"]}</PreferredForename>
        <NCyearActual>6</NCyearActual>
        <Ethnicity>WBRI</Ethnicity>
        <EthnicitySource>P</EthnicitySource>
        <Languages>
          <Type>
            <LanguageType>F</LanguageType>
            <Language>ENG</Language>
          </Type>
        </Languages>
        <MedicalFlag>false</MedicalFlag>
        <EnrolStatus>C</EnrolStatus>
      </BasicDetails>
      <Address>
        <BS7666Address>
          <PAON>{e["house"]}</PAON>
          <Street>{e["street"]}</Street>
          <Town>{e["town"]}</Town>
        </BS7666Address>
        <PostCode>{e["postcode"]}</PostCode>
      </Address>
      <Phones>
        <Phone>
          <TelephoneType>H</TelephoneType>
          <PhoneNo>01225 {rng.randrange(100000, 999999)}</PhoneNo>
        </Phone>
      </Phones>
      <Contacts>
{contacts}      </Contacts>
      <Attendance>
        <YearData>
          <Year>2024</Year>
          <LEA>{SOURCE_LEA}</LEA>
          <Estab>{SOURCE_ESTAB}</Estab>
          <SchoolName>Riverside Primary School</SchoolName>
          <SessionsPossible>380</SessionsPossible>
          <SessionsAuthorised>{rng.randrange(20)}</SessionsAuthorised>
          <SessionsAttended>{rng.randrange(330, 360)}</SessionsAttended>
          <SessionsUnauthorised>{rng.randrange(10)}</SessionsUnauthorised>
          <AttendStartDate>2024-09-04</AttendStartDate>
          <AttendMarks>{escape(marks)}</AttendMarks>
        </YearData>
      </Attendance>
      <StageAssessments>
        <KeyStage>
          <Stage>KS2</Stage>
          <StageAssessment>
            <Locale>ENG</Locale>
            <Year>2025</Year>
            <Subject>MAT</Subject>
            <Method>TT</Method>
            <Component>SCS</Component>
            <ResultQualifier>SS</ResultQualifier>
            <Result>{rng.randrange(80, 121)}</Result>
          </StageAssessment>
          <StageAssessment>
            <Locale>ENG</Locale>
            <Year>2025</Year>
            <Subject>ENG</Subject>
            <Method>TA</Method>
            <Component>WRI</Component>
            <ResultQualifier>WA</ResultQualifier>
            <Result>EXS</Result>
          </StageAssessment>
        </KeyStage>
      </StageAssessments>
      <SchoolHistory>
        <School>
          <LEA>{SOURCE_LEA}</LEA>
          <Estab>{SOURCE_ESTAB}</Estab>
          <URN>{SOURCE_URN}</URN>
          <SchoolName>Riverside Primary School</SchoolName>
          <EntryDate>2019-09-04</EntryDate>
          <LeavingDate>{leaving.isoformat()}</LeavingDate>
        </School>
      </SchoolHistory>
    </Pupil>
"""
