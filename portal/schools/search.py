"""(being written)"""

from portal.schools.routes import bp  # noqa: F401
