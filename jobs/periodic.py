"""Work the worker does every little while, registered by the module that knows it.

``register("scenario steps", 1, advance_due)`` has every worker call ``advance_due()`` about
once a second (``manage.py db_worker`` ticks them on a thread of its own); what one does
must be safe to run on several workers at once (row locks, SKIP LOCKED).
"""

import logging
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class Periodic:
    name: str
    every: float  # seconds
    function: object
    last: float = field(default=float("-inf"))


_registry = {}


def register(name, every, function):
    _registry[name] = Periodic(name, every, function)


def registered():
    return list(_registry.values())


def run_due(clock=time.monotonic):
    """Call each registered function whose interval has passed; a failure is logged and
    tried again next time, the others still run."""
    for periodic in registered():
        now = clock()
        if now - periodic.last < periodic.every:
            continue
        periodic.last = now
        try:
            periodic.function()
        except Exception:
            logger.exception("Periodic work %r failed", periodic.name)
