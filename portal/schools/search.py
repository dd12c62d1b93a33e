"""The school search behind every notice form's school picker: the register's public facts as JSON, for the
autocomplete to fetch as people type."""

from __future__ import annotations

import re

from flask import jsonify, request

from portal.database import db_session
from portal.schools.routes import bp
from shared.domain.roles import Area
from shared.models import School
from shared.queries import search_schools
from shared.services.schools import schools_with_laestab
from webcommon.access import requires

RESULTS = 20
MAX_QUERY = 100  # characters: longer than any school's name people would type, short enough to stay cheap
# A LAESTAB as people write it: 8014001, 801 4001 or 801/4001.
_LAESTAB = re.compile(r"(\d{3})\s*/?\s*(\d{4})")


def school_facts(school: School) -> dict:
    """What the register says publicly about a school (GIAS publishes all of it): nothing else ever leaves."""
    return {
        "name": school.name,
        "urn": school.urn,
        "laestab": school.laestab,
        "town": school.town,
        "postcode": school.postcode,
        "status": school.status,
    }


def find_schools(session, text: str) -> list[School]:
    """The schools with the LAESTAB typed, or those the register's search finds by URN, name or town. A LAESTAB
    is looked up alone: it is no school's name or town, nor a URN (six digits), and the lookup is far cheaper than
    the search's scan of every name (about 5 ms against 100 to 175 ms with the national register's 51,000)."""
    text = text.strip()[:MAX_QUERY]
    laestab = _LAESTAB.fullmatch(text)
    if laestab:
        return schools_with_laestab(session, "".join(laestab.groups()))[:RESULTS]
    return search_schools(session, text, RESULTS)


@bp.route("/school-search")
@requires(Area.SCHOOL_NOTICES)
def school_search():
    response = jsonify(
        schools=[school_facts(school) for school in find_schools(db_session(), request.args.get("q", ""))]
    )
    # The register changes when it is imported (weekly, say): a browser may reuse an answer for a few minutes.
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
