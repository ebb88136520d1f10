"""The profile list's search (part of an email, phone prefix, ID prefix, MD5/XXH, a
subscription's contact, ``field:value``), its orders, keyset pages and estimated total."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.keyset import about
from profiles.models import Profile
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory
from tests.subscriptions.factories import SubscriptionFactory, channel
from web.profiles.views.listing import PAGE_SIZE

pytestmark = pytest.mark.django_db
URL = reverse("profiles:list")


def emails(response):
    return [profile.email for profile in response.context["profiles"]]


def found(client, search):
    return sorted(emails(client.get(URL, {"search": search})))


@pytest.fixture
def people(database):
    """Three profiles of bob's database, and one of a database he is not a member of."""
    return {
        "ada": ProfileFactory(
            database=database,
            email="ada@example.com",
            first_name="Ada",
            last_name="Lovelace",
            phones=["+33612345678"],
        ),
        "grace": ProfileFactory(
            database=database,
            email="grace@navy.mil",
            first_name="Grace",
            last_name="Hopper",
            phones=["+33712345678"],
        ),
        "alan": ProfileFactory(
            database=database,
            email="alan@bletchley.example.org",
            first_name="Alan",
            last_name="Turing",
            phones=["+14155550123"],
        ),
        "other": ProfileFactory(email="stranger@example.com", phones=["+33612000000"]),
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("example.com", ["ada@example.com"]),  # part of an email: the domain
        ("EXAMPLE.ORG", ["alan@bletchley.example.org"]),  # any case
        ("bletchley", ["alan@bletchley.example.org"]),
        ("+33612", ["ada@example.com"]),  # the start of a phone
        ("+33 6 12", ["ada@example.com"]),  # typed with spaces
        ("+33", []),  # too short a start to mean one profile's phone: matches no phone
        ("+1 415 555 0123", ["alan@bletchley.example.org"]),  # a whole phone
        ("Grace Hopper", ["grace@navy.mil"]),
        ("lovelace", ["ada@example.com"]),
    ],
)
def test_it_finds_by_part_of_an_email_a_phone_start_and_a_name(
    client, bob, people, search, expected
):
    client.force_login(bob)
    assert found(client, search) == expected


def test_it_finds_by_the_start_of_a_profile_id(client, bob, people):
    client.force_login(bob)
    ada = people["ada"]
    prefix = ada.profile_id[:8]
    assert not Profile.objects.exclude(pk=ada.pk).filter(profile_id__startswith=prefix).exists()
    assert found(client, prefix) == [ada.email]
    assert found(client, ada.profile_id.upper()) == [ada.email]


def test_it_finds_by_a_whole_md5_or_xxh(client, bob, people):
    client.force_login(bob)
    grace = people["grace"]
    assert found(client, grace.md5) == [grace.email]
    assert found(client, grace.xxh) == [grace.email]
    assert found(client, grace.md5[:31] + "x") == []


def test_it_finds_by_a_subscriptions_contact(client, bob, people):
    SubscriptionFactory(profile=people["alan"], contact="enigma@codebreakers.net")
    SubscriptionFactory(profile=people["other"], contact="enigma@codebreakers.net")
    client.force_login(bob)
    assert found(client, "enigma@codebreakers.net") == [people["alan"].email]
    assert found(client, "Enigma@Codebreakers.net") == [people["alan"].email]


def test_it_finds_a_subscriptions_phone_contact_typed_another_way(client, bob, people):
    SubscriptionFactory(profile=people["grace"], channel=channel("sms"), contact="+442071234567")
    client.force_login(bob)
    assert found(client, "+44 20 7123 4567") == [people["grace"].email]


def test_it_leaves_out_a_deleted_subscriptions_contact(client, bob, people):
    from django.utils import timezone

    SubscriptionFactory(profile=people["ada"], contact="gone@old.net", deleted_at=timezone.now())
    client.force_login(bob)
    assert found(client, "gone@old.net") == []


def test_it_finds_by_a_custom_fields_value(client, bob, database, people):
    CustomFieldFactory(database=database, name="plan", type="enum", options=["gold", "silver"])
    CustomFieldFactory(database=database, name="crm_id", type="line")
    CustomFieldFactory(database=database, name="score", type="number")
    Profile.objects.filter(pk=people["ada"].pk).update(
        custom_values={"plan": "gold", "crm_id": "C-1", "score": 5}
    )
    Profile.objects.filter(pk=people["grace"].pk).update(
        custom_values={"plan": "silver", "crm_id": "C-10", "score": 50}
    )
    client.force_login(bob)
    assert found(client, "plan:gold") == ["ada@example.com"]
    assert found(client, "plan: silver") == ["grace@navy.mil"]
    assert found(client, "crm_id:C-1") == ["ada@example.com"]
    assert found(client, "score:50") == ["grace@navy.mil"]
    assert found(client, "score:many") == []  # not a number: no profile holds it
    assert found(client, "plan:bronze") == []


def test_a_field_search_looks_only_in_the_databases_with_that_field(client, alice, database):
    CustomFieldFactory(database=database, name="plan", type="line")
    other = ProfileDatabaseFactory(name="Partners")
    CustomFieldFactory(database=other, name="tier", type="line")
    mine = ProfileFactory(database=database, custom_values={"plan": "gold"})
    ProfileFactory(database=other, custom_values={"plan": "gold", "tier": "gold"})
    client.force_login(alice)
    assert found(client, "plan:gold") == [mine.email]


def test_text_with_a_colon_but_no_such_field_is_searched_as_text(client, bob, database):
    wanted = ProfileFactory(database=database, email="nope:x@example.com")
    client.force_login(bob)
    assert found(client, "nope:x") == [wanted.email]


def test_the_api_searches_the_same_way(client, bob, people):
    client.force_login(bob)
    response = client.get(reverse("api:profile-list"), {"search": "example.com"})
    assert [row["email"] for row in response.json()["results"]] == ["ada@example.com"]


def test_the_search_is_a_url_that_can_be_shared(client, bob, people):
    client.force_login(bob)
    html = client.get(URL, {"search": "+33612", "sort": "email"}).content.decode()
    assert 'value="+33612"' in html
    assert re.search(r'<option value="email" selected>', html)
    assert "ada@example.com" in html and "grace@navy.mil" not in html


@pytest.mark.parametrize("rows", [5, 60])
def test_a_search_takes_as_many_queries_whatever_the_rows(
    client, bob, database, django_assert_max_num_queries, rows
):
    for n in range(rows):
        ProfileFactory(database=database, email=f"p{n}@example.com", phones=[f"+3361234{n:04d}"])
    client.force_login(bob)
    # Session, user, 2 permissions, phone owners, contact owners, custom fields, the rows,
    # the estimated total, databases, segments.
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"search": "+336123"})
    assert len(response.context["profiles"]) == min(rows, PAGE_SIZE)


# -- Orders, keyset pages, the total --------------------------------------------------------


@pytest.fixture
def named(database):
    names = ["Zoe Adams", "Yann Brown", "Xena Brown", "Will Clark", "Vera Davis", "Uma Evans"]
    return [
        ProfileFactory(
            database=database,
            first_name=name.split()[0],
            last_name=name.split()[1],
            email=f"{name.split()[0].lower()}@example.com",
            status=status,
        )
        for name, status in zip(names, ["unsubscribed", "subscribed", "invalid"] * 2, strict=True)
    ]


def test_it_lists_the_newest_first_and_says_so(client, bob, named):
    client.force_login(bob)
    response = client.get(URL)
    assert emails(response) == [profile.email for profile in reversed(named)]
    html = response.content.decode()
    assert "sorted by <strong>newest first</strong>" in html
    assert re.search(r'<th scope="col" aria-sort="descending"><a [^>]*>Created', html)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["zoe", "xena", "yann", "will", "vera", "uma"]),
        ("-name", ["uma", "vera", "will", "yann", "xena", "zoe"]),
        ("email", ["uma", "vera", "will", "xena", "yann", "zoe"]),
        ("-email", ["zoe", "yann", "xena", "will", "vera", "uma"]),
        ("status", ["xena", "uma", "yann", "vera", "zoe", "will"]),
        ("created", ["zoe", "yann", "xena", "will", "vera", "uma"]),
    ],
)
def test_it_sorts_by_a_column(client, bob, named, sort, expected):
    client.force_login(bob)
    response = client.get(URL, {"sort": sort})
    assert [email.split("@")[0] for email in emails(response)] == expected


def test_a_columns_header_sorts_by_it_and_then_the_other_way(client, bob, named):
    client.force_login(bob)
    html = client.get(URL, {"status": "subscribed"}).content.decode()
    assert 'href="/profiles/?status=subscribed&amp;sort=email"' in html
    html = client.get(URL, {"status": "subscribed", "sort": "email"}).content.decode()
    assert 'href="/profiles/?status=subscribed&amp;sort=-email"' in html
    assert re.search(r'aria-sort="ascending"><a [^>]*>Email <span aria-hidden="true">▲', html)
    assert "sorted by <strong>email, A to Z</strong>" in html


def test_an_unknown_order_is_the_default_one(client, bob, named):
    client.force_login(bob)
    response = client.get(URL, {"sort": "password"})
    assert response.status_code == 200
    assert response.context["sort"] == "-created"


ORDERS = {
    "-created": ["-id"],
    "name": ["last_name", "first_name", "id"],
    "-name": ["-last_name", "-first_name", "-id"],
    "email": ["email", "id"],
    "status": ["status", "id"],
    "-status": ["-status", "-id"],
}


def walk(client, params, direction, cursor):
    """Follow "Next" (or "Previous") links from a page to the end; return every page's rows."""
    pages = []
    while cursor:
        response = client.get(URL, {**params, direction: cursor})
        pages.append(emails(response))
        page = response.context["page"]
        more = page.has_next if direction == "after" else page.has_previous
        cursor = (page.last_cursor if direction == "after" else page.first_cursor) if more else ""
    return pages


@pytest.mark.parametrize("sort", ["-created", "name", "-name", "email", "status", "-status"])
def test_next_and_previous_pages_go_through_every_row_once(client, bob, database, sort):
    for n in range(PAGE_SIZE * 2 + 5):
        ProfileFactory(
            database=database,
            email=f"p{n:03d}@example.com",
            last_name=["Smith", "Jones", ""][n % 3],  # ties: the id decides
            first_name=["Ann", "Bob"][n % 2],
            status=["subscribed", "invalid"][n % 2],
        )
    client.force_login(bob)
    params = {"sort": sort}
    first = client.get(URL, params)
    assert first.context["has_previous"] is False
    forward = [emails(first), *walk(client, params, "after", first.context["page"].last_cursor)]
    assert [len(rows) for rows in forward] == [PAGE_SIZE, PAGE_SIZE, 5]
    every = [email for rows in forward for email in rows]
    assert len(set(every)) == PAGE_SIZE * 2 + 5
    # The same order as one query of the whole list gives.
    assert every == list(Profile.objects.order_by(*ORDERS[sort]).values_list("email", flat=True))
    last = client.get(URL, {**params, "after": first.context["page"].last_cursor})
    last = client.get(URL, {**params, "after": last.context["page"].last_cursor})
    backward = walk(client, params, "before", last.context["page"].first_cursor)
    assert backward == forward[:2][::-1]


def test_a_page_says_how_many_profiles_there_are(client, bob, database):
    ProfileFactory.create_batch(PAGE_SIZE + 3, database=database)
    client.force_login(bob)
    assert f"<strong>{PAGE_SIZE + 3} profiles</strong>" in client.get(URL).content.decode()
    response = client.get(URL, {"search": ProfileFactory(database=database).email})
    assert "<strong>1 profile</strong>" in response.content.decode()


def test_past_a_thousand_it_says_about_how_many(client, bob, database, monkeypatch):
    monkeypatch.setattr("web.profiles.views.listing.EXACT_TOTAL_MAX", 10)
    ProfileFactory.create_batch(PAGE_SIZE + 10, database=database)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE profiles_profile")
    client.force_login(bob)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL).content.decode()
    sqls = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "postgresql":  # the planner's estimate, no count over the table
        assert re.search(r"<strong>About \d+ profiles</strong>", html)
        assert any(sql.startswith("EXPLAIN") for sql in sqls)
        assert not any(re.match(r"SELECT COUNT\(\*\) FROM .profiles_profile.", sql) for sql in sqls)
    else:  # SQLite counts (small databases)
        assert f"<strong>{PAGE_SIZE + 10} profiles</strong>" in html


def test_about_rounds_for_people():
    assert [about(n) for n in (7, 183, 12_345, 1_234_567)] == ["7", "180", "12,300", "1.2 M"]


def test_it_marks_the_control_group_and_the_avatar(client, bob, database):
    ProfileFactory(database=database, first_name="Ada", last_name="L", in_control_group=True)
    ProfileFactory(database=database, first_name="Bo", last_name="M", avatar="avatars/x/a.png")
    client.force_login(bob)
    html = client.get(URL).content.decode()
    assert html.count('class="badge control-group-mark"') == 1
    assert html.count('class="list-avatar"') == 1  # the photo
    assert '<span class="list-avatar list-avatar-initials" aria-hidden="true">AL</span>' in html


def test_its_columns_do_not_wrap(client, bob, database):
    database.name = "Mobile app"
    database.save()
    ProfileFactory(database=database)
    client.force_login(bob)
    html = client.get(URL).content.decode()
    assert '<td class="nowrap" data-label="Database">Mobile app</td>' in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_on_postgresql_an_email_substring_search_reads_the_trigram_index(database):
    ProfileFactory.create_batch(20, database=database)
    queryset = Profile.objects.search("example.com").order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "profile_email_trgm" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
@pytest.mark.parametrize(
    ("search", "index"),
    # Profile IDs: Django's varchar_pattern_ops index of the unique field (profiles 0007).
    [("+33612", "profile_phone_prefix"), ("a1b2c3d4", r"profiles_profile_profile_id_\w+_like")],
)
def test_on_postgresql_a_prefix_search_reads_its_index(database, search, index):
    from profiles.models import ProfilePhone

    ProfileFactory.create_batch(20, database=database)
    if search.startswith("+"):
        queryset = ProfilePhone.objects.filter(number__startswith="+33612").values("pk")
    else:
        queryset = Profile.objects.filter(profile_id__startswith=search).values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(index, plan), plan
