"""django-tasks' database worker, which also takes up the jobs whose worker died.

It shadows ``django_tasks_db``'s command of the same name (``jobs`` comes first in
INSTALLED_APPS): before it starts, and every half of ``JOB_STALE_SECONDS`` while it runs, jobs that
report running but whose worker stopped reporting are queued again (``jobs.runner.recover``)
and resume from their last committed chunk. The same thread runs the periodic work other
apps register (``jobs.periodic``: due scenario steps, control groups to form anew).
Once loaded it freezes what it holds (``core.startup.freeze_loaded``), as a web worker
does. Several workers may run at once on PostgreSQL:
each claims a task with ``SELECT … FOR UPDATE SKIP LOCKED``, and a job with ``FOR UPDATE``.
"""

import logging
import os
import threading

from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from core.startup import freeze_loaded
from jobs import periodic
from jobs.models import stale_after
from jobs.runner import recover

logger = logging.getLogger("jobs")


def recover_now():
    try:
        recover()
    except Exception:  # a database that is away for a moment: try again next time
        logger.exception("Could not look for jobs that lost their worker")


def keep_ticking(stop, tick=1.0):
    """Every second, run the periodic work that is due (recovery every half stale time)."""
    periodic.register("recover jobs", stale_after().total_seconds() / 2, recover_now)
    while not stop.wait(tick):
        try:
            periodic.run_due()
        finally:
            close_old_connections()
    connection.close()


class Command(db_worker.Command):
    help = "Run a database background worker; take up the jobs whose worker died."

    def handle(self, *args, **options):
        if options["reload"] and not options["batch"] and not os.environ.get(DJANGO_AUTORELOAD_ENV):
            return super().handle(*args, **options)  # the reloader: its child runs the jobs
        recover_now()
        close_old_connections()
        if not options["batch"]:  # a long-running worker, not one run to empty the queue
            freeze_loaded()
        stop = threading.Event()
        threading.Thread(target=keep_ticking, args=(stop,), daemon=True).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
