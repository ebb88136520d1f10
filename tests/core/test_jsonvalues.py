"""How deep a JSON value nests: the limit every stored and parsed value is checked against."""

import pytest

from core.jsonvalues import depth


def nested(levels):
    value = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 0),
        ("text", 0),
        ([], 1),
        ({}, 1),
        ({"a": [1, {"b": 2}]}, 3),
        ([{"a": 1}, [[2]]], 3),
    ],
)
def test_depth_counts_levels_of_objects_and_lists(value, expected):
    assert depth(value) == expected


def test_a_value_thousands_of_levels_deep_is_measured_not_a_recursion_error():
    assert depth(nested(5000)) == 5000


def test_with_a_limit_the_walk_stops_past_it():
    assert depth(nested(5000), limit=10) == 11
    assert depth(nested(10), limit=10) == 10
