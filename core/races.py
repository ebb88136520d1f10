"""Writes that lost a race with another request: nothing of them was kept, and the same
request sent again gets the answer the state after the winner calls for.

The writes take their rows in a set order and the weakest lock that serialises them
(``ProfileQuerySet.locked_for_change``), so that two of them wait for each other rather
than fail. Three ways of losing remain, and each rolls the whole transaction back:

- PostgreSQL cancels one of two transactions that wait for each other (a deadlock,
  40P01) or that it cannot order (a serialization failure, 40001);
- a row written with a reference to another (an event to its profile) is checked at
  commit, and the other was deleted after the write read it (a foreign-key violation,
  23503: every value a write refers to is looked up before, so at commit only a
  concurrent delete makes one);
- a write finds, once it holds its lock, that the row it read a moment ago is gone (it
  raises ``LostRace``).

A request that lost is answered 503 with ``Retry-After`` (``config.middleware``); a job's
step is run again (``jobs.runner``).
"""

from django.db import IntegrityError, OperationalError

LOST_RACE_SQLSTATES = {
    OperationalError: {"40P01", "40001"},
    IntegrityError: {"23503"},
}


class LostRace(Exception):
    """A row this write needed was deleted (or changed) by another request after it was
    read; the write is given up, and its transaction with it."""


def lost_race(error):
    """Whether ``error`` is a write's loss of a race, to be tried again."""
    if isinstance(error, LostRace):
        return True
    for kind, sqlstates in LOST_RACE_SQLSTATES.items():
        if isinstance(error, kind):
            return getattr(error.__cause__, "sqlstate", None) in sqlstates
    return False


def deadlocked(error):
    """Whether ``error`` is PostgreSQL's cancelling of one of two transactions that waited
    for each other: the statement's savepoint can be rolled back, and its work done again."""
    return isinstance(error, OperationalError) and (
        getattr(error.__cause__, "sqlstate", None) == "40P01"
    )


def read_again(queryset, **lookups):
    """The one row of ``queryset`` the lookups name, read again by a write (under the lock
    the queryset takes, or after the write): ``LostRace`` when another request deleted it,
    or a row it joins to, since it was first read."""
    row = queryset.filter(**lookups).first()
    if row is None:
        described = ", ".join(f"{name}={value}" for name, value in lookups.items())
        raise LostRace(f"{queryset.model._meta.object_name} {described} was deleted meanwhile.")
    return row
