"""Hostile values for the property tests: what a careless spreadsheet, a confused browser or an attacker sends.

Each strategy mixes a fixed list of known payloads (drawn often, so every run meets them) with random text, so the
tests are cheap and still find the unexpected. The huge values are built once and drawn from a list: Hypothesis
never has to generate 100,000 characters itself."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

HUGE = 100_000

SCRIPTS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(document.cookie)",
    '<a href="javascript:alert(1)">click</a>',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "<iframe src=//example.com></iframe>",
    "<scr<script>ipt>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
)
SQL = (
    "'; DROP TABLE children;--",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)--",
    "Robert'); DROP TABLE cases;--",
    '"; DELETE FROM users WHERE "1"="1',
    "%' AND 1=0 UNION SELECT password_hash FROM users --",
)
FORMULAS = (
    '=HYPERLINK("http://example.com","Click")',
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
)
CONTROLS = (
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "line\rreturn",
    "line\nbreak",
    "\u2028\u2029",
    "\u202eevil\u202c",
    "\u200b\u200d\ufeff",
    "\x7f\x08\x0b\x0c",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),  # a lone surrogate, as a browser sends it
)
ODD_UNICODE = (
    "Zoë Ŝ̷̛͓̈́m̴̢̈́ı̶̱̊t̸̗̾h̷̝̆",
    "👩‍👩‍👧‍👦🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "１２３",  # fullwidth digits
    "٣",  # Arabic-Indic three
    "߁߂߃",  # NKo digits
    "²³",
    "Ⅻ",
    "ﬁ ﬀ",
    "İstanbul ß ǅ",
    "𝕬𝖒𝖎𝖗𝖆",
    "\N{COMBINING ACUTE ACCENT}" * 50,
    "نام کودک",
    "\\x00 %00 %0d%0a",
    "../../etc/passwd",
)
NUMBERS = (
    "²",  # str.isdigit() says yes, int() says no
    "①",
    "٣",
    "１２",
    "-1",
    "0",
    "1e5",
    "NaN",
    "inf",
    "0x10",
    "1_000",
    " 7 ",
    "99999999999999999999",
)
# Repeated to 100,000 characters when drawn (so a failing example's description stays short); 5,000 nines are
# more digits than int() will read.
HUGE_PATTERNS = ("A", "<script>alert(1)</script>", "é", "9", " ", "\u202e")
LONG_DIGITS = "9" * 5000
PAYLOADS = SCRIPTS + SQL + FORMULAS + CONTROLS + ODD_UNICODE + NUMBERS

# Random text from the whole of Unicode but the surrogates (a browser cannot send one; see CONTROLS for its stand-in).
_ANY = st.characters(exclude_categories=("Cs",))


def payloads() -> st.SearchStrategy[str]:
    return st.sampled_from((*PAYLOADS, "LONG_DIGITS")).map(
        lambda value: LONG_DIGITS if value == "LONG_DIGITS" else value
    )


def huge_text() -> st.SearchStrategy[str]:
    return st.sampled_from(HUGE_PATTERNS).map(lambda pattern: (pattern * HUGE)[:HUGE])


def hostile_text(huge: bool = True) -> st.SearchStrategy[str]:
    """A value for any text box: a known payload, random text, the two joined, or (if `huge`) 100k characters."""
    parts = [
        payloads(),
        payloads(),  # twice: the known payloads are drawn about half the time
        st.text(_ANY, max_size=40),
        st.builds(lambda a, b: a + b, payloads(), st.text(_ANY, max_size=10)),
        st.builds(lambda a, b: a + " " + b, st.sampled_from(SCRIPTS), st.sampled_from(SQL + FORMULAS)),
    ]
    if huge:
        parts.append(huge_text())
    return st.one_of(*parts)


def stored_payload() -> st.SearchStrategy[str]:
    """A value a form will keep (short enough for any limit, some visible text) that must come back harmless."""
    return st.one_of(
        st.sampled_from(SCRIPTS + FORMULAS + SQL),
        st.builds(lambda a, b: f"{a} {b}", st.sampled_from(SCRIPTS), st.sampled_from(ODD_UNICODE + SQL)),
    )


DATE_PARTS = (
    ("31", "2", "2015"),
    ("30", "2", "2016"),
    ("29", "2", "2015"),
    ("1", "1", "0"),
    ("1", "1", "0000"),
    ("1", "1", "99999"),
    ("1", "1", "1e5"),
    ("-1", "1", "2015"),
    ("1", "-1", "2015"),
    ("1", "1", "-2015"),
    ("0", "0", "2015"),
    ("32", "13", "2015"),
    ("٣", "٣", "٢٠١٥"),
    ("３", "３", "２０１５"),
    ("1.5", "2", "2015"),
    (" 1 ", " 2 ", " 2015 "),
    ("1", "1", "9" * 400),
    ("9" * 400, "1", "2015"),
    ("", "", "2015"),
    ("1", "", ""),
    ("\x00", "\x00", "\x00"),
    ("1", "1", "1900"),
    ("1", "1", "2999"),
    ("NaN", "inf", "1e308"),
    ("0x1", "0o2", "0b11"),
)


def date_parts() -> st.SearchStrategy[tuple[str, str, str]]:
    """Day, month and year boxes: malformed, impossible, out of range, or random."""
    small = st.text(string.digits + "-+. e", max_size=6)
    return st.one_of(
        st.sampled_from(DATE_PARTS),
        st.sampled_from(DATE_PARTS),
        st.tuples(small, small, small),
        st.tuples(hostile_text(huge=False), hostile_text(huge=False), hostile_text(huge=False)),
    )


DATES = (
    "31/02/2015",
    "2015-02-31",
    "00/00/0000",
    "01/01/0000",
    "01/01/99999",
    "1e5",
    "-1/-1/-2015",
    "٣/٣/٢٠١٥",
    "３/３/２０１５",
    "2015-13-01",
    "32-01-2015",
    "9" * 300,
    "NaN",
)


def date_text() -> st.SearchStrategy[str]:
    """A date written in one cell (CSV files, CTF elements)."""
    return st.one_of(st.sampled_from(DATES), st.sampled_from(DATES), hostile_text(huge=False))


# Cheap and reproducible: every run tries the same examples, keeps no database of failures between runs, accepts
# function-scoped fixtures (each test keeps its examples apart itself), and does not shrink a failing example (on
# a web form that takes minutes): the failure prints its blob, for @reproduce_failure.
CHEAP = {
    "deadline": None,
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "derandomize": True,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
}


def cheap(max_examples: int) -> settings:
    return settings(max_examples=max_examples, **CHEAP)
