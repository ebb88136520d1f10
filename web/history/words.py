"""Words for the ids and slugs in events' data, as a history row shows them.

An event keeps what was reported: a segment's id, a subscription's public id, a channel's
slug. People read names: the app that owns each thing names it, by registering a namer
for a data key from its ``sections`` module (history knows no app above it):

    register("segment", name_segments)

A namer takes the profile and the set of values of that key on a page of events (text)
and returns ``{value: {key: words}}``; it may name several keys at once (a subscription
gives its contact, and its resource and channel where the event does not say them). It
is called once per page, so a page costs one query per registered key, and it must only
name what belongs to the profile (an integration may report any id).
"""

from collections import defaultdict

_namers = {}


def register(key, namer):
    """Name the values of ``key`` in events' data with ``namer(profile, values)``."""
    _namers[key] = namer
    return namer


def _shown(value):
    return value is not None and value != "" and not isinstance(value, dict | list | bool)


def words_for(profile, events):
    """Return, for each event in order, ``{key: words}`` for the data it names."""
    wanted = defaultdict(set)
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        for key in _namers:
            if _shown(data.get(key)):
                wanted[key].add(str(data[key]))
    named = {key: _namers[key](profile, values) for key, values in wanted.items()}
    found = []
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        words = {}
        for key, by_value in named.items():
            if _shown(data.get(key)):
                for word_key, text in by_value.get(str(data[key]), {}).items():
                    # The event's own key wins over what another key's namer adds.
                    if word_key == key or word_key not in words:
                        words[word_key] = text
        found.append(words)
    return found
