"""Web pieces both front ends use (the portal's pages and the staff dashboard): form widgets, fields and the base
form, the form-token check, the authority's settings as the pages show them, and the staff sign-in and role check.

Flask-only: it may import `shared` (the domain and data layer) and Flask's libraries, never `portal` or
`dashboard`, which both import it.
"""
