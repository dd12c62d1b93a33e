"""Every email the service sends, shown as it is sent."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from portal.settings import authority_settings
from shared.domain.roles import Area
from shared.services import emails, mail
from webcommon.access import requires

bp = Blueprint("admin_emails", __name__, url_prefix="/admin/emails")


@bp.route("")
@requires(Area.ADMIN)
def index():
    """Each email: when it goes, to whom, and how it reads with example values (the authority's own name, phone
    number and address in place of the examples'); and how email is sent, without the key or the password."""
    authority = authority_settings()
    own = {
        "authority_name": authority.authority_name,
        "authority_phone": authority.authority_phone,
        "service_url": current_app.config["SERVICE_URL"],
    }
    previews = [(email, *email.preview(**own)) for email in emails.CATALOGUE]
    return render_template(
        "admin/emails.html", previews=previews, mail_settings=mail.MailSettings.from_config(current_app.config)
    )
