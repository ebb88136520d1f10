"""The profile pages, one module per topic; ``profiles/urls.py`` maps them."""
