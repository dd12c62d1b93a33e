"""Every email the service sends, as a template in shared/templates/email/: one place to read and change them.

A template's first line is `Subject: ...`; the body (plain text) follows a blank line."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_templates = Environment(
    loader=PackageLoader("shared", "templates/email"),
    # Plain text, never HTML: nothing is escaped, and the mail client shows the text as written.
    autoescape=select_autoescape(enabled_extensions=(), default_for_string=False, default=False),
    undefined=StrictUndefined,  # a value the caller forgot fails loudly, never an email with a gap in it
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(name: str, **values) -> tuple[str, str]:
    """The subject and body of email `name` (shared/templates/email/<name>.txt) with `values` filled in."""
    text = _templates.get_template(f"{name}.txt").render(**values)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: ") or "\n" in head:
        raise ValueError(f"email template {name!r} must start with one line 'Subject: ...' and a blank line")
    return head.removeprefix("Subject: ").strip(), body.strip() + "\n"
