"""Finding a child: one search box for a name (misspelt or not), a date of birth, a UPN or a postcode, in any mix.

Searching records nothing: it reads, changes nothing, and what was searched for is never written to a log (the
access log keeps the path without its query string).
"""

from __future__ import annotations

from flask import render_template, request
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import Length, ValidationError

from portal.database import db_session
from portal.staff.routes import bp
from shared.clock import uk_today
from shared.domain.matching import parse_search
from shared.domain.roles import Area
from shared.services.matching import search_children
from webcommon.access import requires
from webcommon.forms import BaseForm

ENTER_SOMETHING = "Enter a name, date of birth, UPN or postcode"
RESULTS = 50


class SearchForm(BaseForm):
    class Meta:
        csrf = False  # a search by GET changes nothing, and its address can be bookmarked

    q = StringField(
        "Name, date of birth, UPN or postcode",
        widget=GovTextInput(),
        description="For example, Olivia Smith 3 4 2015, A999123456789 or NB1 2AB. Names can be misspelt.",
        validators=[Length(max=200, message="Search must be 200 characters or fewer")],
    )

    def validate_q(self, field):
        terms = parse_search(field.data or "")
        if terms.impossible_date:
            raise ValidationError("Date of birth must be a real date, like 27 3 2015")
        if terms.date_of_birth and terms.date_of_birth > uk_today():
            raise ValidationError("Date of birth must be today or in the past")
        if terms.is_empty:
            raise ValidationError(ENTER_SOMETHING)


@bp.route("/search")
@requires(Area.CASEWORK_READ)
def search():
    form = SearchForm(formdata=request.args)
    results = None
    if "q" in request.args and form.validate():
        results = search_children(db_session(), form.q.data, limit=RESULTS)
    return render_template("staff/search.html", form=form, results=results, most=RESULTS)
