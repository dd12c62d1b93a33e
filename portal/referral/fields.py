"""The report pages' base form: the service's base form with a honeypot, and the page's answers as the draft keeps
them."""

from __future__ import annotations

from datetime import date

from wtforms import StringField

from webcommon.forms import BaseForm


class ReportForm(BaseForm):
    """Every report page's form: a field people never see catches bots that fill in everything (`website`, hidden
    by the stylesheet, so screen readers and keyboards skip it too)."""

    website = StringField("Leave this field empty")

    def answers(self) -> dict:
        """This page's answers as they are kept in the draft: dates as ISO strings, empty text as None."""
        kept = {}
        for name, field in self._fields.items():
            if name in ("csrf_token", "website"):
                continue
            value = field.data
            if isinstance(value, date):
                value = value.isoformat()
            elif value == "":
                value = None
            kept[name] = value
        return kept

    def caught_a_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def typed_anything(self) -> bool:
        for name, field in self._fields.items():
            if name in ("csrf_token", "website"):
                continue
            raw = field.raw_data or []
            if any(str(value).strip() for value in raw):
                return True
        return False
