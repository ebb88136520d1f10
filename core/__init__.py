"""The project's shared library: every app may import it, and it imports no app.

Field types and the one checker of custom values, the seven statuses, text normalisers,
scoping to the profile databases a user may see, the htmx answer helper, and the strict
pieces of the REST API (``core.api``) and of the admin (``core.admin``).
"""
