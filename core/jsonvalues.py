"""JSON values people and integrations send: how deep and how big they are, and how a page
shows one without ever rendering it whole.

Every API body may nest at most ``MAX_DEPTH`` levels (events' data less, see
``history.types``); a value stored before a limit existed is shown truncated, and one too
deep to encode is named as such instead of failing the page.
"""

import json

MAX_DEPTH = 32
# The longest text a page shows of a value people did not choose to see whole.
SHOWN_CHARACTERS = 2_000


def depth(value, limit=None):
    """Return how many levels of objects and lists ``value`` nests (0 for a plain value).

    Iterative: a value nested thousands of levels deep is measured, not a RecursionError.
    With ``limit``, it stops as soon as the value nests deeper than that and returns the
    depth reached (more than ``limit``): a parser checking every body need not walk a
    hostile one to its end.
    """
    if not isinstance(value, dict | list):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if limit is not None and deepest > limit:
                return deepest
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return deepest


def encoded_size(value):
    """Return the size in bytes of ``value`` as compact JSON (UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


TOO_DEEP = "This value nests too deeply to send; it is kept as stored."


class TolerantDecoder(json.JSONDecoder):
    """Decode stored JSON; a value nested too deeply to decode in a request becomes a note
    (a row stored before the limits stays readable, and so does every page showing it)."""

    def decode(self, s, *args, **kwargs):
        try:
            return super().decode(s, *args, **kwargs)
        except RecursionError:
            return {"unshown": TOO_DEEP}


def encodable(value):
    """Return ``value``, or a note in its place when it nests too deeply to encode (a value
    stored before the limits: answers and exports still work, and say so)."""
    return value if depth(value) <= MAX_DEPTH else {"unshown": TOO_DEEP}


def truncated(text, limit=SHOWN_CHARACTERS):
    """Return ``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def shown(value, limit=SHOWN_CHARACTERS, **dumps):
    """Return ``value`` as JSON for people: truncated past ``limit`` characters, and a note
    instead of the value when it nests too deeply to encode."""
    if depth(value) > MAX_DEPTH:
        return f"(nested {depth(value)} levels deep: too deep to show)"
    return truncated(json.dumps(value, ensure_ascii=False, **dumps), limit)
