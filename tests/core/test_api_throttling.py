"""The API's rate limit: a client's calls of the last period counted in two counters
(core.api.throttling), refusing the call past the limit with 429 and when to retry."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token

from core.api.throttling import AnonRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def throttle(clock, rate="3/minute"):
    made = UserRateThrottle()
    made.rate, (made.num_requests, made.duration) = rate, made.parse_rate(rate)
    made.timer = clock
    return made


def calls(throttle, count, user=7):
    request = SimpleNamespace(user=SimpleNamespace(pk=user, is_authenticated=True), META={})
    return [throttle.allow_request(request, None) for _ in range(count)]


def test_the_call_past_the_limit_is_refused_and_told_when_to_retry():
    clock = Clock(6_000_000.0)  # the start of a minute
    limit = throttle(clock)
    assert calls(limit, 4) == [True, True, True, False]
    assert limit.wait() == pytest.approx(60)  # this minute's 3 weigh nothing after the next
    assert calls(limit, 1, user=8) == [True]  # another user counts alone


def test_the_last_period_weighs_by_how_much_of_it_is_still_within_a_period():
    clock = Clock(6_000_000.0 + 50)
    limit = throttle(clock)
    assert calls(limit, 3) == [True, True, True]
    clock.now += 20  # 10 s into the next minute: the last one's 3 count as 2.5
    assert calls(limit, 2) == [True, False]
    assert limit.wait() == pytest.approx(60 * (1 - (3 - 1) / 3) - 10)
    clock.now += 10  # 20 s in: 3 x 2/3 = 2, plus this minute's 1: full
    assert calls(limit, 1) == [False]
    clock.now += 30  # 50 s in: 0.5, plus this minute's 1, then 2
    assert calls(limit, 3) == [True, True, False]
    clock.now += 120  # two periods later: nothing counts
    assert calls(limit, 3) == [True, True, True]


def test_refused_calls_are_not_counted():
    clock = Clock(6_000_000.0)
    limit = throttle(clock)
    assert calls(limit, 10) == [True] * 3 + [False] * 7
    clock.now += 60  # the next minute starts weighed by the 3 taken, not the 10 tried
    assert calls(limit, 1) == [False]
    clock.now += 30
    assert calls(limit, 1) == [True]


class RemoteCache:
    """The cache, each answer to a read taking time to come back (as Redis' over the
    network): what others write meanwhile is not in it."""

    def __init__(self, cache):
        self.cache = cache

    def __getattr__(self, name):
        return getattr(self.cache, name)

    def get(self, *args, **kwargs):
        answer = self.cache.get(*args, **kwargs)
        time.sleep(0.005)
        return answer

    def get_many(self, *args, **kwargs):
        answer = self.cache.get_many(*args, **kwargs)
        time.sleep(0.005)
        return answer


def test_calls_made_at_once_pass_no_more_than_the_limit():
    clock = Clock(6_000_030.0)
    start = threading.Barrier(16)

    def call(_):
        limit = throttle(clock, "5/minute")  # one a request, counting in the shared cache
        limit.cache = RemoteCache(limit.cache)
        start.wait()
        return calls(limit, 1)[0]

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(call, range(16)))
    assert answers.count(True) == 5
    # The 11 refused were given back, the 5 kept.
    assert calls(throttle(clock, "5/minute"), 1) == [False]


def test_anonymous_callers_are_counted_by_address():
    clock = Clock(6_000_000.0)
    limit = AnonRateThrottle()
    limit.num_requests, limit.duration, limit.timer = 2, 60, clock

    def call(address):
        request = SimpleNamespace(
            user=SimpleNamespace(is_authenticated=False), META={"REMOTE_ADDR": address}, headers={}
        )
        return limit.allow_request(request, None)

    assert [call("10.0.0.1") for _ in range(3)] == [True, True, False]
    assert call("10.0.0.2") is True


def test_the_api_answers_429_with_retry_after(api_client, bob, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    monkeypatch.setattr(UserRateThrottle, "rate", "2/minute", raising=False)
    token = Token.objects.create(user=bob)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    statuses = [api_client.get("/api/v1/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = api_client.get("/api/v1/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 120
