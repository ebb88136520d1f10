"""A write whose row another request deleted after this one read it (a profile deleted
while its subscription was being changed, a member taken out of a segment while being
added) loses the race: nothing of it is kept, and the request is answered 503 with
Retry-After instead of crashing with a 500."""

import pytest

from core.races import LostRace
from history.models import Event
from operations.loyalty import add_points, enrol
from operations.scenarios import engage
from operations.subscriptions import delete_subscription, update_subscription
from segments.models import Segment, SegmentMembership
from subscriptions.models import Subscription
from tests.factories import ProfileFactory
from tests.interactions.factories import ScenarioFactory
from tests.loyalty.factories import ProgramFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


def deleted_meanwhile(profile):
    """Another request deletes the profile, and with it everything that hangs on it."""
    type(profile).objects.filter(pk=profile.pk).delete()


def test_changing_a_subscription_of_a_profile_deleted_meanwhile_is_a_lost_race(profile):
    subscription = SubscriptionFactory(profile=profile)
    deleted_meanwhile(profile)
    with pytest.raises(LostRace):
        update_subscription(subscription, status="unsubscribed")
    assert not Event.objects.filter(type="subscription_status_changed").exists()


def test_deleting_a_subscription_of_a_profile_deleted_meanwhile_is_a_lost_race(profile):
    subscription = SubscriptionFactory(profile=profile)
    deleted_meanwhile(profile)
    with pytest.raises(LostRace):
        delete_subscription(subscription)


def test_a_subscription_deleted_twice_at_once_is_recorded_once(profile):
    subscription = SubscriptionFactory(profile=profile)
    stale = Subscription.objects.get(pk=subscription.pk)  # read before the first delete
    delete_subscription(subscription)
    delete_subscription(stale)
    assert stale.is_deleted
    assert Event.objects.filter(profile=profile, type="subscription_deleted").count() == 1


def test_adding_points_to_a_member_deleted_meanwhile_is_a_lost_race(database, profile):
    membership = enrol(ProgramFactory(database=database), profile, source="ui")
    deleted_meanwhile(profile)
    with pytest.raises(LostRace):
        add_points(membership, 100, source="ui")


def test_engaging_a_profile_in_a_scenario_deleted_meanwhile_is_a_lost_race(database, profile):
    scenario = ScenarioFactory(database=database)
    type(scenario).objects.filter(pk=scenario.pk).delete()
    with pytest.raises(LostRace):
        engage(scenario, profile, source="api")


def test_a_member_taken_out_while_being_added_answers_503_not_500(
    as_bob, database, profile, monkeypatch
):
    """Before: the API read the membership back with .get() and crashed (17 of 40 rounds
    of an add racing a remove in the concurrency soak)."""
    import web.segments.api

    segment = Segment.objects.create(name="VIP", database=database)
    real = web.segments.api.add_to_segment

    def added_then_taken_out(segment, profile):
        added = real(segment, profile)
        SegmentMembership.objects.filter(segment=segment, profile=profile).delete()
        return added

    monkeypatch.setattr(web.segments.api, "add_to_segment", added_then_taken_out)
    url = f"/api/v1/segments/{segment.pk}/members/"
    response = as_bob.post(url, {"profile_id": profile.profile_id}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert not SegmentMembership.objects.filter(segment=segment).exists()
    assert not Event.objects.filter(profile=profile, type="segment_entered").exists()


def test_a_relation_another_request_added_then_removed_while_adding_it_is_a_lost_race(
    database, profile, monkeypatch
):
    """The insert met the same relation another request was adding; by the time this one
    looked for it, a third had removed it: the unique conflict was re-raised, a 500."""
    from django.db import IntegrityError

    from operations.relations import add_relation
    from relations.models import Relation
    from tests.relations.factories import RelationTypeFactory

    def conflicted(self, *args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(Relation, "save", conflicted)
    other = ProfileFactory(database=database)
    with pytest.raises(LostRace):
        add_relation(profile, other, RelationTypeFactory(database=database))
