"""Use cases: validate with the domain, write, commit; one transaction each. Callers pass the session."""
