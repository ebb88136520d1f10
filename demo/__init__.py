"""Demo data for ``make run``: ``manage.py seed_demo`` fills every app (so it sits above them)."""
