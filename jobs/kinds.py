"""The kinds of job, each registered by the module that knows how to run it.

A kind names what a chunk of its work does: ``step(job)`` runs the next chunk from
``job.position`` inside the runner's transaction (so its writes commit with the job's new
position, or not at all) and returns a ``Chunk``. A kind's module registers it when it is
imported (``operations`` imports its kinds when the apps are ready).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

_kinds = {}


@dataclass(frozen=True)
class Chunk:
    """What one chunk did, and where the next one starts."""

    position: object  # where the next chunk starts
    done: int = 0  # items handled in this chunk
    errors: list = field(default_factory=list)  # one message per item that failed
    total: int | None = None  # how many items in all, once known
    result: dict | None = None  # the job's result, with its last chunk
    last: bool = False  # this chunk ended the job


@dataclass(frozen=True)
class JobKind:
    slug: str
    label: str
    step: Callable  # step(job) -> Chunk
    permission: str = ""  # needed to start a job of this kind, and to download what it made


def register(kind):
    """Make a kind of job runnable (by the worker) and known (to the pages and the API)."""
    _kinds[kind.slug] = kind
    return kind


def registered_kinds():
    """Every kind registered, in the order of registration."""
    return list(_kinds.values())


def get_kind(slug):
    return _kinds[slug]


def label_of(slug):
    kind = _kinds.get(slug)
    return kind.label if kind else slug
