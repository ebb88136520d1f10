"""profiles/import/ as a set-wise engine: every mode with every matching key, duplicates
inside a batch, the same batch twice, subscriptions in rows, what each write records, and
a query count that does not grow with the rows."""

import pytest

from audit.models import AuditEntry
from history.models import Event
from profiles.models import Profile
from subscriptions.models import Subscription, SuppressedAddress
from tests.factories import CustomFieldFactory, ProfileFactory
from tests.subscriptions.factories import ResourceFactory, SubscriptionFactory, channel

pytestmark = pytest.mark.django_db

URL = "/api/v1/profiles/import/"
EXPECTED = {  # mode -> statuses of [a row matching Ann, a row matching nobody]
    "upsert": ["updated", "created"],
    "insert": ["skipped", "created"],
    "update": ["updated", "skipped"],
}


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


@pytest.fixture
def resource(db):
    return ResourceFactory(name="Website")


@pytest.fixture
def ann(database, resource):
    """Ann, reachable by every key: email, phone, crm_id and three subscriptions."""
    CustomFieldFactory(database=database, name="crm_id", type="line")
    ann = ProfileFactory(
        database=database,
        email="ann@example.com",
        phones=["+12025550179"],
        custom_values={"crm_id": "C-1"},
        first_name="Ann",
    )
    for slug, contact in [
        ("email", "ann.news@example.com"),
        ("sms", "+12025550180"),
        ("push", "token-ann"),
    ]:
        SubscriptionFactory(profile=ann, resource=resource, channel=channel(slug), contact=contact)
    return ann


def keyed_rows(match, ann, resource):
    """[a row that finds Ann by ``match``, a row that finds nobody by it]."""

    def subscription(slug, contact):
        return {"subscriptions": [{"resource": resource.pk, "channel": slug, "contact": contact}]}

    return {
        "email": [{"email": "ANN@example.com"}, {"email": "new@example.com"}],
        "phone": [{"phones": ["+1 202 555 0179"]}, {"phones": ["+12025550111"]}],
        "email_or_phone": [
            {"email": "other@example.com", "phones": ["+12025550179"]},
            {"email": "new@example.com"},
        ],
        "profile_id": [{"profile_id": ann.profile_id}, {"profile_id": "f" * 24}],
        "field:crm_id": [{"fields": {"crm_id": "C-1"}}, {"fields": {"crm_id": "C-2"}}],
        "subscription_email": [
            subscription("email", "ann.news@example.com"),
            subscription("email", "new.news@example.com"),
        ],
        "subscription_phone": [
            subscription("sms", "+12025550180"),
            subscription("sms", "+12025550181"),
        ],
        "push_token": [subscription("push", "token-ann"), subscription("push", "token-new")],
    }[match]


def run(client, database, match, rows, mode=None):
    body = {"database": database.pk, "match": match, "profiles": rows}
    if mode:
        body["mode"] = mode
    response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


MATCHES = [
    "email",
    "phone",
    "email_or_phone",
    "field:crm_id",
    "subscription_email",
    "subscription_phone",
    "push_token",
]


@pytest.mark.parametrize("mode", list(EXPECTED))
@pytest.mark.parametrize("match", MATCHES)
def test_each_mode_with_each_matching_key(client, database, ann, resource, match, mode):
    rows = [{**row, "last_name": "Imported"} for row in keyed_rows(match, ann, resource)]
    results = run(client, database, match, rows, mode)
    assert [row["status"] for row in results] == EXPECTED[mode]
    ann.refresh_from_db()
    assert (ann.last_name == "Imported") == (mode != "insert")
    new_profiles = Profile.objects.filter(database=database).exclude(pk=ann.pk)
    assert new_profiles.count() == (0 if mode == "update" else 1)
    skipped = [row for row in results if row["status"] == "skipped"]
    assert all(row["errors"]["non_field_errors"] for row in skipped)  # each says why
    if mode == "insert":
        assert skipped[0]["profile_id"] == ann.profile_id


@pytest.mark.parametrize(
    ("mode", "statuses"), [("upsert", ["updated", "error"]), ("update", ["updated", "skipped"])]
)
def test_profile_id_updates_and_reports_unknown_ids_by_mode(
    client, database, ann, resource, mode, statuses
):
    results = run(client, database, "profile_id", keyed_rows("profile_id", ann, resource), mode)
    assert [row["status"] for row in results] == statuses
    assert "profile_id" in results[1]["errors"] or results[1]["errors"]["non_field_errors"]


def test_profile_id_cannot_insert(client, database):
    body = {"database": database.pk, "match": "profile_id", "mode": "insert", "profiles": [{}]}
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "update or upsert" in response.json()["match"][0]


def test_rows_of_one_key_in_a_batch_run_in_order_and_are_reported(client, database):
    rows = [
        {"email": "bo@example.com", "first_name": "Bo"},
        {"email": "cy@example.com"},
        {"email": "BO@example.com", "last_name": "Lee"},
        {"email": "bo@example.com", "first_name": "Bob"},
    ]
    results = run(client, database, "email", rows)
    assert [row["status"] for row in results] == ["created", "created", "updated", "updated"]
    assert [row.get("duplicate_of") for row in results] == [None, None, 0, 2]
    assert results[2]["profile_id"] == results[0]["profile_id"]
    bo = Profile.objects.get(email="bo@example.com")
    assert (bo.first_name, bo.last_name) == ("Bob", "Lee")
    assert Profile.objects.count() == 2


def test_the_same_batch_twice_updates_and_duplicates_nothing(client, database, resource):
    rows = [
        {
            "email": f"p{n}@example.com",
            "phones": [f"+1202555{n:04d}"],
            "subscriptions": [
                {"resource": resource.pk, "channel": "email", "contact": f"p{n}@example.com"}
            ],
        }
        for n in range(5)
    ]
    first = run(client, database, "email", rows)
    second = run(client, database, "email", rows)
    assert {row["status"] for row in first} == {"created"}
    assert {row["status"] for row in second} == {"updated"}
    assert [r["profile_id"] for r in first] == [r["profile_id"] for r in second]
    assert Profile.objects.count() == 5
    assert Subscription.objects.count() == 5
    assert Event.objects.filter(type="import_api").count() == 5
    assert Event.objects.filter(type="subscribed").count() == 5


def test_a_bad_subscription_is_an_error_naming_it_and_writes_nothing(client, database, resource):
    resource.channels.set([channel("email")])
    rows = [
        {
            "email": "ann@example.com",
            "subscriptions": [
                {"resource": resource.pk, "channel": "sms", "contact": "+12025550179"}
            ],
        },
        {
            "email": "bo@example.com",
            "subscriptions": [
                {"resource": resource.pk, "channel": "email", "contact": "not an address"}
            ],
        },
        {
            "email": "cy@example.com",
            "subscriptions": [
                {"resource": 999999, "channel": "email", "contact": "cy@example.com"}
            ],
        },
    ]
    results = run(client, database, "email", rows)
    assert [row["status"] for row in results] == ["error"] * 3
    assert "channel" in results[0]["errors"]["subscriptions"]["0"]
    assert "contact" in results[1]["errors"]["subscriptions"]["0"]
    assert "resource" in results[2]["errors"]["subscriptions"]["0"]
    assert not Profile.objects.exists()


def test_an_email_another_profile_holds_is_an_error_naming_email(client, database, ann):
    ProfileFactory(database=database, phones=["+12025550111"]).save()
    results = run(
        client, database, "phone", [{"phones": ["+12025550111"], "email": "ann@example.com"}]
    )
    assert results[0]["status"] == "error"
    assert "ann@example.com" in results[0]["errors"]["email"][0]


def test_created_and_updated_profiles_are_recorded_as_single_writes_are(client, database, ann):
    results = run(
        client,
        database,
        "email",
        [
            {"email": "ann@example.com", "status": "hard_bounced", "first_name": "Anna"},
            {"email": "bo@example.com", "first_name": "Bo", "phones": ["+12025550112"]},
        ],
    )
    bo = Profile.objects.get(profile_id=results[1]["profile_id"])
    assert bo.md5 and bo.xxh and bo.created_at
    assert list(bo.phone_index.values_list("number", flat=True)) == ["+12025550112"]
    created = AuditEntry.objects.get(profile_id=bo.profile_id)
    assert (created.action, created.channel, created.actor_name) == ("create", "import", "bob")
    assert created.changes["first_name"] == [None, "Bo"]
    assert bo.events.filter(type="import_api").exists()
    changed = AuditEntry.objects.get(profile_id=ann.profile_id, action="update")
    assert changed.changes["first_name"] == ["Ann", "Anna"]
    assert ann.events.filter(type="status_changed", data__to="hard_bounced").exists()
    assert SuppressedAddress.objects.filter(address="ann@example.com").exists()


def test_the_query_count_does_not_grow_with_the_rows(
    client, database, django_assert_max_num_queries
):
    CustomFieldFactory(database=database, name="plan", type="line")

    def rows(tag, count):
        return [
            {
                "email": f"{tag}{n}@example.com",
                "phones": [f"+1202555{n:04d}"],
                "fields": {"plan": "gold"},
            }
            for n in range(count)
        ]

    run(client, database, "email", rows("warm", 3))  # first-use lookups (channels, cache)
    with django_assert_max_num_queries(40) as small:
        run(client, database, "email", rows("a", 5))
    # 20 rows: within one insert statement even on SQLite (999 parameters a statement).
    with django_assert_max_num_queries(len(small.captured_queries)):
        run(client, database, "email", rows("b", 20))
    assert Profile.objects.count() == 28


def test_a_row_with_more_subscriptions_than_the_limit_is_refused_naming_it(
    client, database, resource
):
    subscriptions = [
        {"resource": resource.pk, "channel": "email", "contact": f"a{n}@example.com"}
        for n in range(21)
    ]
    results = run(
        client, database, "email", [{"email": "a@example.com", "subscriptions": subscriptions}]
    )
    assert results[0]["status"] == "error"
    assert "at most 20" in results[0]["errors"]["subscriptions"][0]
    assert not Profile.objects.exists()
