"""``core.collation``: the alphabetical order of texts on both databases, and SQLite's
collation of it (case and accents aside, stroke letters as their base letters, ties
broken by the text itself)."""

import pytest

from core.collation import Alphabetical, compare, sort_key
from profiles.models import Profile
from tests.factories import ProfileFactory

NAMES = ["Zola", "Łuszczyk", "Étienne", "Águila", "van der Veiver", "adams", "Berg"]
ALPHABETICAL = ["adams", "Águila", "Berg", "Étienne", "Łuszczyk", "van der Veiver", "Zola"]


def test_sqlites_key_ignores_case_accents_and_strokes():
    assert sorted(NAMES, key=sort_key) == ALPHABETICAL
    assert [sort_key(text)[0] for text in ["Łódź", "Øster", "Đorđe", "Straße", "ÆRØ"]] == [
        "lodz",
        "oster",
        "dorde",
        "strasse",
        "aero",
    ]


def test_sqlites_collation_is_a_total_order():
    assert compare("Berg", "berg") == -1  # equal but for case: the text decides
    assert compare("berg", "Berg") == 1
    assert compare("Berg", "Berg") == 0
    assert compare("Éva", "Eve") == -1
    assert compare("eve", "Éva") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("descending", [False, True])
def test_the_database_orders_by_it(database, descending):
    for name in NAMES:
        ProfileFactory(database=database, last_name=name)
    order = Alphabetical("last_name").desc() if descending else Alphabetical("last_name")
    ordered = list(Profile.objects.order_by(order).values_list("last_name", flat=True))
    assert ordered == (ALPHABETICAL[::-1] if descending else ALPHABETICAL)


@pytest.mark.django_db
def test_a_comparison_with_a_name_is_alphabetical(database):
    for name in NAMES:
        ProfileFactory(database=database, last_name=name)
    after = Profile.objects.annotate(name=Alphabetical("last_name")).filter(name__gt="c")
    assert sorted(after.values_list("last_name", flat=True), key=sort_key) == ALPHABETICAL[3:]
