"""Every template is written so that what a marketer sees is what was meant."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Django's {# … #} comment is one line only: an unclosed one is printed on the page.
UNCLOSED_COMMENT = re.compile(r"\{#(?!.*#\})")


def templates():
    for folder in ("web/templates", "templates"):
        yield from sorted((ROOT / folder).rglob("*.html"))


def test_no_template_comment_spans_lines():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if UNCLOSED_COMMENT.search(line)
    ]
    assert found == [], "a {# comment #} must close on its line; use {% comment %}: " + ", ".join(
        found
    )


def test_the_templates_are_found():
    assert sum(1 for _ in templates()) > 40
