"""The reasons matching gives an officer (shared.domain.matching), said without the names they compare, for a role
that may not see children's names (shared.domain.roles.may_see_names): "Different first name: Amelia / Amy" is
"Different first name", "First name Bill is a short form of William" is "First name is a short form of the other"."""

from __future__ import annotations

import re

_WHICH = r"(First name|Last name)"
_SAID_WITHOUT_NAMES = (
    (re.compile(rf"^{_WHICH} .+ is a short form of .+$"), r"\1 is a short form of the other"),
    (re.compile(rf"^{_WHICH} .+ is part of .+$"), r"\1 is part of the other"),
    (re.compile(rf"^{_WHICH} .+ is one of the child's (middle names|other names)$"), r"\1 is one of the child's \2"),
    # "First name sounds the same: …", "… spelt similarly: …", "… has the same parts in another order: …",
    # "Different last name: …": the names follow the colon.
    (re.compile(r"^(.*(?:[Ff]irst|[Ll]ast) name[^:]*): .+$"), r"\1"),
)


def without_names(reason: str) -> str:
    """The reason as said to someone who may not see the names it compares; a reason that names nobody (the same
    date of birth, postcode or UPN) is said as it is."""
    for pattern, said in _SAID_WITHOUT_NAMES:
        if pattern.match(reason):
            return pattern.sub(said, reason)
    return reason
