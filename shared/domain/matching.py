"""Whether two sets of details may be the same child: the rules the CME team's matching and search use.

A report rarely spells a child's name the way the council's records do. Names are compared after normalising
(case, accents, apostrophes, hyphens and spaces), by Jaro-Winkler similarity, by sound (metaphone) and by known
short forms (Bill for William, Liz for Elizabeth); a first and last name the wrong way round are spotted. Dates of
birth match exactly, with the day and month swapped, or close; postcodes exactly or by their outward code; a UPN
exactly. `score` gives a figure from 0 to 1 with the reasons an officer reads, and a UPN match outranks any match
without one.

`child_keys` gives the sound-alike keys stored for each child (table child_name_keys), so a database can find
"Smyth" for "Smith", or "Jones" for "Smith-Jones", through an index instead of scoring every child.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

import jellyfish
from nicknames import NickNamer

from shared.domain.postcode import is_valid_postcode
from shared.domain.upn import is_temporary, normalise_upn

KEY_LENGTH = 20  # child_name_keys.key is a String(20)
PAIR = "+"  # joins a first and a last name's keys in a pair key; metaphone keys are letters and 0

# How much each detail counts when both sides have it. A UPN is not weighed with them: a same UPN puts a
# candidate above every candidate without one.
WEIGHTS = {"first": 0.25, "last": 0.25, "date_of_birth": 0.35, "postcode": 0.15}
UPN_FLOOR = 0.95  # the lowest score of a candidate with the same UPN
WITHOUT_UPN = 0.94  # the highest score of a candidate without it
DIFFERENT_UPN = 0.5  # two permanent UPNs that differ are two pupils, unless a UPN was mistyped
# A first name that is neither the same, a short form, a sound-alike nor a slip: most likely a brother or
# sister (twins share everything else), so it counts against more than its weight alone.
DIFFERENT_FIRST_NAME = 0.8

# Similarity given to each kind of name match (a plain spelling difference gets its Jaro-Winkler figure).
SAME, SHORT_FORM, PART, SOUNDS_SAME, OTHER_NAME = 1.0, 0.95, 0.9, 0.9, 0.9
SIMILAR_SPELLING = 0.88  # Jaro-Winkler at or above this is a spelling slip; below, the names differ
SWAPPED = 0.95  # names that only match the wrong way round count a little less

_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
_APOSTROPHES = re.compile(r"['’‘`´ʼ]")
_NOT_LETTERS = re.compile(r"[^a-z]+")


@dataclass(frozen=True)
class Person:
    """The details matching compares, of a child on record or of a report or notice about one. All optional."""

    upn: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    postcode: str | None = None
    middle_names: str | None = None
    other_names: str | None = None


# Names ------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def normalise_name(value: str | None) -> str:
    """Lower case ASCII letters, each part of the name separated by one space: "Zoë O'Brien-Smith" gives
    "zoe obrien smith". Apostrophes join (O'Brien is obrien); hyphens, dots and spaces separate."""
    if not value:
        return ""
    text = "".join(_LETTERS.get(char, char) for char in value.lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NOT_LETTERS.sub(" ", text).split())


def name_parts(value: str | None) -> list[str]:
    return normalise_name(value).split()


@lru_cache(maxsize=65536)
def sound_key(part: str) -> str:
    """The metaphone key of one normalised part of a name ("" for a part too short to say anything)."""
    if len(part) < 2:
        return ""
    return jellyfish.metaphone(part)[:KEY_LENGTH]


def _keys_of(value: str | None) -> set[str]:
    parts = name_parts(value)
    keys = {sound_key(part) for part in parts}
    if len(parts) > 1:  # "Mc Donald" is also kept as McDonald
        keys.add(sound_key("".join(parts)))
    keys.discard("")
    return keys


def name_keys(*names: str | None) -> set[str]:
    """The sound-alike keys of every part of the given names (first, middle, last, other): one per part, and one
    for a name of several parts written together. "Smith-Jones" gives the keys of Smith, Jones and SmithJones."""
    keys: set[str] = set()
    for name in names:
        keys |= _keys_of(name)
    return keys


def _pair(first: str, last: str) -> str:
    return f"{first[:9]}{PAIR}{last[:10]}"


def _entries(other_names: str | None) -> list[str]:
    return re.split(r"[,;/]", other_names or "")


def _other_name_keys(other_names: str | None) -> tuple[set[str], set[str]]:
    """The keys of other names as first names and as last names: "Tommy Jones" gives Tommy as a first name and
    Jones as a last name; a name of one part ("Tommy") may be either. Several are separated by , ; or /."""
    firsts: set[str] = set()
    lasts: set[str] = set()
    for entry in _entries(other_names):
        parts = name_parts(entry)
        if len(parts) == 1:
            firsts |= _keys_of(parts[0])
            lasts |= _keys_of(parts[0])
        elif parts:
            firsts |= _keys_of(" ".join(parts[:-1]))
            lasts |= _keys_of(parts[-1])
    return firsts, lasts


def child_keys(
    first_name: str | None, middle_names: str | None, last_name: str | None, other_names: str | None
) -> set[str]:
    """The keys stored for a child (child_name_keys): the sound-alike key of each part of each of their names,
    and a pair key for each first name (or middle, or other first name) with each last name (or other last
    name), such as "AMR+KHN" for Amira Khan. A pair is shared only by children whose first and last names both
    sound alike, so it finds them among 200,000 through the index, where one key (Smith) would find thousands."""
    other_firsts, other_lasts = _other_name_keys(other_names)
    firsts = name_keys(first_name, middle_names) | other_firsts
    lasts = name_keys(last_name) | other_lasts
    pairs = {_pair(first, last) for first in firsts for last in lasts}
    return name_keys(first_name, middle_names, last_name, *_entries(other_names)) | pairs


@dataclass(frozen=True)
class LookupKeys:
    """The keys to look a person up by. `names`: of each part of their names. `forms`: of the short and long forms
    of their first names (so "Bill" finds children recorded as William, and "William" those recorded as Bill).
    `pairs`: their first and last names' pair keys, short and long forms included, both ways round (so swapped
    names are found too)."""

    names: frozenset[str]
    forms: frozenset[str]
    pairs: frozenset[str]


def lookup_keys(first_name: str | None, last_name: str | None, other_names: str | None = None) -> LookupKeys:
    other_firsts, other_lasts = _other_name_keys(other_names)
    own = name_keys(first_name, last_name) | other_firsts | other_lasts
    forms = {key for part in name_parts(first_name) for form in _forms_of(part) for key in _keys_of(form)}
    firsts = name_keys(first_name) | forms | other_firsts
    lasts = name_keys(last_name) | other_lasts
    pairs = {_pair(a, b) for a in firsts for b in lasts} | {_pair(b, a) for a in firsts for b in lasts}
    return LookupKeys(frozenset(own), frozenset(forms - own), frozenset(pairs))


@cache
def _nick_namer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=16384)
def _forms_of(part: str) -> frozenset[str]:
    """The known short forms of a normalised name and the names it is a short form of."""
    namer = _nick_namer()
    return frozenset(namer.nicknames_of(part) | namer.canonicals_of(part))


def _short_form(a: str, b: str) -> tuple[str, str] | None:
    """(short, long) when one normalised name is a known short form of the other, else None. The list links
    names both ways (it gives Bill among William's canonical names too), so the shorter name is the short form."""
    if b not in _forms_of(a) and a not in _forms_of(b):
        return None
    return (a, b) if len(a) <= len(b) else (b, a)


def _shown(value: str) -> str:
    return " ".join(value.split())


@dataclass(frozen=True)
class NameMatch:
    similarity: float
    reason: str | None  # None when the name says nothing worth telling an officer


def _jaro_winkler(a: str, b: str) -> float:
    return jellyfish.jaro_winkler_similarity(a.replace(" ", ""), b.replace(" ", ""))


@lru_cache(maxsize=262144)  # names repeat: most pairs scored have been scored before
def compare_names(which: str, probe: str, candidate: str, short_forms: bool = False) -> NameMatch:
    """How alike two names are. `which` ("First name", "Last name") starts the reason."""
    a, b = normalise_name(probe), normalise_name(candidate)
    shown_a, shown_b = _shown(probe), _shown(candidate)
    if not a or not b:
        return NameMatch(0.0, None)
    if a.replace(" ", "") == b.replace(" ", ""):
        return NameMatch(SAME, f"Same {which.lower()}")
    parts_a, parts_b = a.split(), b.split()
    if short_forms:
        for part_a in parts_a:
            for part_b in parts_b:
                pair = _short_form(part_a, part_b)
                if pair is None:
                    continue
                if len(parts_a) == 1 and len(parts_b) == 1:
                    short, long = (shown_a, shown_b) if pair[0] == part_a else (shown_b, shown_a)
                else:
                    short, long = pair[0].title(), pair[1].title()
                return NameMatch(SHORT_FORM, f"{which} {short} is a short form of {long}")
    if set(parts_a) == set(parts_b):
        return NameMatch(SHORT_FORM, f"{which} has the same parts in another order: {shown_a} / {shown_b}")
    if set(parts_a) < set(parts_b) or set(parts_b) < set(parts_a):
        part, whole = (shown_a, shown_b) if len(parts_a) < len(parts_b) else (shown_b, shown_a)
        return NameMatch(PART, f"{which} {part} is part of {whole}")
    similarity = _jaro_winkler(a, b)
    if sound_key(a.replace(" ", "")) == sound_key(b.replace(" ", "")):
        return NameMatch(max(similarity, SOUNDS_SAME), f"{which} sounds the same: {shown_a} / {shown_b}")
    if similarity >= SIMILAR_SPELLING:
        return NameMatch(similarity, f"{which} spelt similarly: {shown_a} / {shown_b}")
    # A different name: Jaro-Winkler still gives unrelated names 0.5 or more, which must not count for much.
    return NameMatch(max(0.0, similarity - 0.5), f"Different {which.lower()}: {shown_a} / {shown_b}")


def _best_name(which: str, probe: str | None, candidate: Person, own: str | None, short_forms: bool) -> NameMatch:
    """The probe's name against the candidate's own (first or last) name, or failing that one of their middle
    or other names (a child known by a middle name, or by a previous surname)."""
    if not probe:
        return NameMatch(0.0, None)
    best = compare_names(which, probe, own or "", short_forms) if own else NameMatch(0.0, None)
    if best.similarity >= SAME:
        return best
    if not (candidate.middle_names or candidate.other_names):
        return best
    wanted = normalise_name(probe).replace(" ", "")
    for label, names in (("middle names", candidate.middle_names), ("other names", candidate.other_names)):
        for name in _entries(names):
            parts = name_parts(name)
            if parts and (wanted == "".join(parts) or wanted in parts) and best.similarity < OTHER_NAME:
                best = NameMatch(OTHER_NAME, f"{which} {_shown(probe)} is one of the child's {label}")
    return best


# Dates of birth, postcodes ----------------------------------------------------------------------------------------


def compare_dates_of_birth(probe: date, candidate: date) -> NameMatch:
    if probe == candidate:
        return NameMatch(1.0, "Same date of birth")
    if probe.year == candidate.year and probe.day == candidate.month and probe.month == candidate.day:
        return NameMatch(0.85, "Date of birth with day and month swapped")
    if probe.year == candidate.year and probe.month == candidate.month:
        days = abs(probe.day - candidate.day)
        return NameMatch(0.5, f"Date of birth in the same month, {days} day{'s' if days > 1 else ''} apart")
    if probe.day == candidate.day and probe.month == candidate.month and abs(probe.year - candidate.year) == 1:
        return NameMatch(0.5, "Same day and month of birth, a year apart")
    return NameMatch(0.0, "Different date of birth")


@lru_cache(maxsize=65536)
def compact_postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def outward_code(value: str | None) -> str:
    """The part of a postcode before the space (BS1 of BS1 4DJ); a postcode given as only that is itself."""
    compact = compact_postcode(value)
    return compact[:-3] if len(compact) > 4 else compact


def compare_postcodes(probe: str, candidate: str) -> NameMatch:
    a, b = compact_postcode(probe), compact_postcode(candidate)
    if not a or not b:
        return NameMatch(0.0, None)
    if a == b:
        return NameMatch(1.0, "Same postcode")
    if outward_code(a) == outward_code(b):
        # A search by outward code alone asks for exactly that; a full postcode in the same area is only near.
        return NameMatch(1.0 if len(a) <= 4 else 0.4, f"Same postcode area ({outward_code(a)})")
    return NameMatch(0.0, None)


# Scoring ----------------------------------------------------------------------------------------------------------


def _names(probe: Person, candidate: Person) -> tuple[dict[str, float], list[str]]:
    """Similarity of the first and last names, allowing for the two being swapped, and the reasons."""
    first = _best_name("First name", probe.first_name, candidate, candidate.first_name, short_forms=True)
    last = _best_name("Last name", probe.last_name, candidate, candidate.last_name, short_forms=False)
    straight = first.similarity + last.similarity
    maybe_swapped = straight < 2 * SAME - 0.2  # else swapping could not do better by enough
    if maybe_swapped and probe.first_name and probe.last_name and candidate.first_name and candidate.last_name:
        # Labelled by the candidate's field: the probe's first name against the candidate's last name.
        first_swapped = compare_names("Last name", probe.first_name, candidate.last_name)
        last_swapped = compare_names("First name", probe.last_name, candidate.first_name, short_forms=True)
        swapped = first_swapped.similarity + last_swapped.similarity
        if min(first_swapped.similarity, last_swapped.similarity) >= 0.85 and swapped > straight + 0.2:
            reasons = ["First and last names swapped"]
            reasons += [r for r in (first_swapped.reason, last_swapped.reason) if r and not r.startswith("Same")]
            sims = {"first": first_swapped.similarity * SWAPPED, "last": last_swapped.similarity * SWAPPED}
            return sims, reasons
    reasons = [match.reason for match in (first, last) if match.reason]
    return {"first": first.similarity, "last": last.similarity}, reasons


def score(probe: Person, candidate: Person) -> tuple[float, tuple[str, ...]]:
    """How likely the candidate is the child the probe describes, from 0 to 1, with the reasons, strongest
    evidence first. Only details the probe gives are weighed; a detail the candidate's record lacks counts
    against it. A same UPN scores at least 0.95; without one the most is 0.94."""
    reasons: list[str] = []
    similarity: dict[str, float] = {}
    upn_same = upn_different = first_differs = False
    if probe.upn and candidate.upn:
        a, b = normalise_upn(probe.upn), normalise_upn(candidate.upn)
        upn_same = a == b
        upn_different = not upn_same and not is_temporary(a) and not is_temporary(b)
        if upn_same:
            reasons.append("Same UPN")
        elif upn_different:
            reasons.append("Different UPN")

    if probe.first_name or probe.last_name:
        names, name_reasons = _names(probe, candidate)
        if probe.first_name:
            similarity["first"] = names["first"]
        if probe.last_name:
            similarity["last"] = names["last"]
        reasons += name_reasons
        first_differs = any(reason.startswith("Different first name") for reason in name_reasons)
    if probe.date_of_birth:
        dob = (
            compare_dates_of_birth(probe.date_of_birth, candidate.date_of_birth)
            if candidate.date_of_birth
            else NameMatch(0.0, None)
        )
        similarity["date_of_birth"] = dob.similarity
        if dob.reason:
            reasons.append(dob.reason)
    if probe.postcode:
        postcode = compare_postcodes(probe.postcode, candidate.postcode or "")
        similarity["postcode"] = postcode.similarity
        if postcode.reason:
            reasons.append(postcode.reason)

    weight = sum(WEIGHTS[field] for field in similarity)
    base = sum(WEIGHTS[field] * value for field, value in similarity.items()) / weight if weight else 0.0
    if first_differs:
        base *= DIFFERENT_FIRST_NAME
    if upn_same:
        result = UPN_FLOOR + (1 - UPN_FLOOR) * base
    else:
        result = WITHOUT_UPN * base * (DIFFERENT_UPN if upn_different else 1.0)
    return round(result, 4), tuple(_strongest_first(reasons))


def _strongest_first(reasons: list[str]) -> list[str]:
    """What agrees before what differs, each in the order found (UPN, names, date of birth, postcode)."""
    if not any(reason.startswith("Different") for reason in reasons):
        return reasons
    return sorted(reasons, key=lambda reason: reason.startswith("Different"))


# Search -----------------------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_YEAR = r"(\d{4}|\d{2})"
_DATES = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), ("year", "month", "day")),
    (re.compile(rf"(?<!\d)(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s*[/.\-]\s*{_YEAR}(?!\d)"), ("day", "month", "year")),
    (re.compile(rf"(?<!\d)(\d{{1,2}})\s+(\d{{1,2}})\s+{_YEAR}(?!\d)"), ("day", "month", "year")),
    (
        re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+([a-z]{{3,9}})\.?,?\s+{_YEAR}(?!\d)", re.IGNORECASE),
        ("day", "month", "year"),
    ),
)
_FULL_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b")
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
_UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z](?:\s?\d){11}\s?[0-9A-Za-z](?![A-Za-z0-9])")


@dataclass(frozen=True)
class SearchTerms:
    """What a search box's text asks for: names (misspelt or not), a date of birth, a UPN, a postcode or only its
    outward code, in any mix and order."""

    names: tuple[str, ...] = ()
    date_of_birth: date | None = None
    upn: str | None = None
    postcode: str | None = None  # a full postcode, as stored: "BS1 4DJ"
    outward: str | None = None  # an outward code given alone: "BS1"
    impossible_date: bool = False  # numbers written as a date of a day that does not exist (31/2/2015)

    @property
    def is_empty(self) -> bool:
        return not (self.names or self.date_of_birth or self.upn or self.postcode or self.outward)

    def people(self) -> list[Person]:
        """The ways to read the terms as a person: one name alone may be a first or a last name."""

        def person(first_name: str | None = None, last_name: str | None = None) -> Person:
            postcode = self.postcode or self.outward
            return Person(self.upn, first_name, last_name, self.date_of_birth, postcode)

        if len(self.names) == 1:
            return [person(first_name=self.names[0]), person(last_name=self.names[0])]
        if self.names:
            return [person(" ".join(self.names[:-1]), self.names[-1])]
        return [person()]


def _is_date_shape(match: re.Match, order: tuple[str, ...]) -> bool:
    month = dict(zip(order, match.groups(), strict=True))["month"]
    return month.isdigit() or month.lower() in _MONTHS


def _date(parts: dict[str, str]) -> date | None:
    month_text = parts["month"]
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    year = int(parts["year"])
    if len(parts["year"]) == 2:
        year += 2000  # children the service deals with were born this century
    try:
        return date(year, month, int(parts["day"])) if month else None
    except ValueError:
        return None


def parse_search(text: str) -> SearchTerms:
    """Read a search box: "Olivia Smyth 3/4/2015", "03 04 2015", "2015-04-03", "A123456789012", "NB1 2AB",
    "NB1". A date that does not exist (31/2/2015) is left out, as is anything that is no name, date, UPN or
    postcode. Names keep their own spelling; parts of one letter are ignored."""
    rest = " ".join((text or "").split())[:200]
    upn = None
    if match := _UPN.search(rest):  # first, as its digits could read as a date: "A999 1234 5678 9"
        upn = normalise_upn(match.group())
        rest = rest[: match.start()] + " " + rest[match.end() :]
    found_date, impossible_date = None, False
    for pattern, order in _DATES:
        match = next((m for m in pattern.finditer(rest) if _is_date_shape(m, order)), None)
        if match:
            # Taken out even when no such day exists: those numbers were meant as a date, not anything else.
            found_date = _date(dict(zip(order, match.groups(), strict=True)))
            impossible_date = found_date is None
            rest = rest[: match.start()] + " " + rest[match.end() :]
            break
    postcode = None
    upper = rest.upper()
    for match in _FULL_POSTCODE.finditer(upper):
        candidate = f"{match.group(1)} {match.group(2)}"
        if is_valid_postcode(candidate):
            postcode = candidate
            rest = rest[: match.start()] + " " + rest[match.end() :]
            break
    names: list[str] = []
    outward, surname_first = None, False
    for token in rest.split():
        bare = token.strip(".,;:").upper()
        if _OUTWARD.match(bare) and any(char.isdigit() for char in bare):
            outward = bare
        elif not any(char.isdigit() for char in token) and len(normalise_name(token).replace(" ", "")) >= 2:
            # "Smith, Olivia" is written surname first.
            surname_first = surname_first or (not names and token.endswith(","))
            names.append(token.strip(".,;:"))
    if surname_first and len(names) > 1:
        names = names[1:] + names[:1]
    return SearchTerms(tuple(names), found_date, upn, postcode, None if postcode else outward, impossible_date)
