"""Reading the service's answers to hostile input: no server error, and nothing stored that could run in a page or
a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from hypothesis import strategies as st
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from tests.property.strategies import date_parts, hostile_text

_NONCE = re.compile(r"'nonce-([^']+)'")
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "background")
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def no_server_error(response, what: str = "") -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"


def page_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def assert_nothing_runs(response, what: str = "") -> BeautifulSoup | None:
    """An HTML answer runs only the service's own scripts: every <script> carries this response's CSP nonce or is a
    file of the service's own, no element has an event handler attribute, and no link or source is a script URL."""
    if response.mimetype != "text/html":
        return None
    page = page_of(response)
    found = _NONCE.search(response.headers.get("Content-Security-Policy", ""))
    nonce = found.group(1) if found else None
    for script in page.find_all("script"):
        source = script.get("src")
        own_file = source is not None and source.startswith("/") and not source.startswith("//")
        assert own_file or (nonce and script.get("nonce") == nonce), f"{what}: a script not ours: {script}"[:500]
    for element in page.find_all(True):
        for attribute, value in element.attrs.items():
            assert not attribute.lower().startswith("on"), f"{what}: an event handler: {element}"[:500]
            if attribute.lower() in _URL_ATTRIBUTES and isinstance(value, str):
                plain = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not plain.startswith(_BAD_SCHEMES), f"{what}: a script URL: {element}"[:500]
    assert not page.find_all(["iframe", "object", "embed", "base"]), f"{what}: an embedded element"
    return page


def follow(client, response, what: str = "", hops: int = 3):
    """Follow redirects within the service, as a browser would, checking each answer on the way."""
    while response.status_code in (301, 302, 303, 307, 308) and hops:
        location = urlsplit(response.location)
        assert not location.netloc or location.netloc == "localhost", f"{what}: redirected off the service"
        target = location.path + (f"?{location.query}" if location.query else "")
        response = client.get(target)
        no_server_error(response, f"{what} -> {target}")
        assert_nothing_runs(response, f"{what} -> {target}")
        hops -= 1
    return response


def the_form(page: BeautifulSoup):
    """The page's main form: the POST form with the most fields (the header's sign-out form is not it)."""
    forms = [form for form in page.find_all("form") if (form.get("method") or "get").lower() == "post"]
    forms = [form for form in forms if not (form.get("action") or "").endswith("/sign-out")]
    assert forms, "no form on the page"
    return max(forms, key=lambda form: len(form.find_all(["input", "textarea", "select"])))


def hostile_answers(data, form, *, forge_hidden: bool = True, text=None) -> MultiDict:
    """Answers for every field of `form`, drawn with `data` (Hypothesis' st.data()): hostile text in text boxes,
    malformed dates in date boxes, a real option or a forged one for choices, and now and then a forged hidden field
    (never the CSRF token: that would only test the token). The honeypot stays empty."""
    text = text or hostile_text()
    answers = MultiDict()
    dates_done = set()
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        kind = (element.get("type") or "text").lower() if element.name == "input" else element.name
        if not name or kind in ("submit", "button", "file", "image", "reset"):
            continue
        if name == "csrf_token":
            answers.add(name, element.get("value", ""))
        elif name == "website":
            answers.add(name, "")
        elif kind == "hidden":
            forged = forge_hidden and data.draw(st.integers(0, 3)) == 0
            answers.add(name, data.draw(text) if forged else element.get("value", ""))
        elif kind in ("radio", "checkbox"):
            if data.draw(st.integers(0, 3)) == 0:
                answers.add(name, data.draw(text))
            elif data.draw(st.booleans()):
                answers.add(name, element.get("value", "on"))
        elif kind == "select":
            options = [option.get("value", "") for option in element.find_all("option")]
            answers.add(name, data.draw(st.sampled_from(options) | text) if options else data.draw(text))
        elif (element.get("id") or "").endswith(("-day", "-month", "-year")):
            if name not in dates_done:
                dates_done.add(name)
                for part in data.draw(date_parts()):
                    answers.add(name, part)
        else:
            answers.add(name, data.draw(text))
    buttons = [button.get("value", "") for button in form.find_all("button") if button.get("name") == "action"]
    if buttons:
        answers.setlist("action", [data.draw(st.sampled_from(buttons) | text)])
    return answers


def fill_in_hostile(client, url: str, data, *, errors_shown: bool = True, **options):
    """GET `url`, POST its main form back with hostile answers, and check the answer and where it leads. A form
    shown again (200) must show why, in the GOV.UK error summary with "Error: " in the title."""
    got = client.get(url)
    assert got.status_code == 200, f"{url}: {got.status_code}"
    form = the_form(page_of(got))
    target = form.get("action") or url
    response = client.post(target, data=hostile_answers(data, form, **options))
    no_server_error(response, f"POST {url}")
    page = assert_nothing_runs(response, f"POST {url}")
    if response.status_code == 200 and page is not None and errors_shown:
        assert page.find(class_="govuk-error-summary") is not None, f"POST {url}: shown again, no error summary"
        assert page.title.get_text(strip=True).startswith("Error: "), f"POST {url}: {page.title}"
    follow(client, response, f"POST {url}")
    return response


def csv_cells(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def xlsx_cells(body: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_no_formulas(rows: list[list], what: str = "") -> None:
    """No text cell a spreadsheet would read as a formula (a leading apostrophe shows it as text)."""
    for row in rows:
        for cell in row:
            if isinstance(cell, str):
                assert not cell.startswith(FORMULA_STARTS), f"{what}: a cell that starts a formula: {cell!r}"
