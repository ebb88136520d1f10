"""The API's rate limits (a load guard against runaway clients): DRF's user and anonymous
throttles, each client counted in two numbers instead of a list.

DRF's ``SimpleRateThrottle`` keeps the time of every request of the last period and reads
and writes the whole list on each request: at the default 3,000 a minute, up to 3,000
times unpickled and pickled per call (sent over the network both ways with
``CACHE_URL``), and two processes reading the list at once each write back what they read
plus their own call, losing the other's. Here a client has one counter per period,
incremented atomically before the check (Redis' ``INCR`` with ``CACHE_URL``, under the
cache's lock in memory), so that calls made at once cannot all pass; a request is refused
when this period's count before it plus the last period's, weighted by the share of it
still within one period of now, has reached the limit: a sliding window estimated from
two fixed ones. A refused request is given back (not counted, as DRF's).
The estimate takes the last period's calls as spread evenly over it: a steady client is
held at the limit, but one that sent all its calls at a period's very end may get nearly as
many again within the rolling period after (as with fixed windows; DRF's exact list never
lets that through). For a load guard, that is the price of constant work per call.
"""

import contextlib

from rest_framework import throttling


class SlidingWindowMixin:
    """Count a SimpleRateThrottle's requests in a counter per period (see above)."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        period, into = divmod(self.timer(), self.duration)
        current, previous = f"{self.key}:{int(period)}", f"{self.key}:{int(period) - 1}"
        # The call is counted first, atomically, so that of calls made at once each sees
        # its own count and no more than the limit get through; a refused one is given back.
        # Kept two periods: the next one weighs this one.
        if self.cache.add(current, 1, 2 * self.duration):
            count = 1
        else:
            try:
                count = self.cache.incr(current)
            except ValueError:  # expired between the two: this call is its first
                self.cache.set(current, 1, 2 * self.duration)
                count = 1
        counts = count - 1, self.cache.get(previous, 0)
        self.counts, self.into = counts, into  # for wait()
        if self._estimate(*counts, into) >= self.num_requests:
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
                self.cache.decr(current)
            return self.throttle_failure()
        return True

    def _estimate(self, current, previous, into):
        return current + previous * (1 - into / self.duration)

    def wait(self):
        """Seconds until the estimate falls under the limit again."""
        current, previous = self.counts
        if current >= self.num_requests:
            # After this period ends, this period's count weighs less as the next one runs.
            return self.duration - self.into + self.duration * (1 - self.num_requests / current)
        # The previous period's share must fall until this one's calls and one more fit.
        share = (self.num_requests - current) / previous
        return max(0.0, self.duration * (1 - share) - self.into)


class UserRateThrottle(SlidingWindowMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(SlidingWindowMixin, throttling.AnonRateThrottle):
    pass
