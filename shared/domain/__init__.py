"""Pure domain rules: no Flask, no SQLAlchemy, no I/O. Dates and strings in, values out."""
