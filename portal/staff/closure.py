"""Staff pages (being built)."""

from portal.staff.routes import bp  # noqa: F401
