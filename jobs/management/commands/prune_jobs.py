"""Delete finished jobs older than some days, and the files they made (an export holds
personal data: it should not outlive its use). Run it daily, e.g. from cron or a systemd
timer, with django-tasks' own ``prune_db_task_results``."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from jobs.models import Job


class Command(BaseCommand):
    help = "Delete finished jobs (and their files) that ended more than --days days ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Keep this many days (30).")
        parser.add_argument("--dry-run", action="store_true", help="Only count them.")

    def handle(self, *, days, dry_run, **options):
        if days < 0:
            self.stderr.write("--days is a number of days from 0.")
            raise SystemExit(2)
        old = Job.objects.filter(
            status__in=Job.FINISHED, finished_at__lt=timezone.now() - timedelta(days=days)
        )
        count = 0
        for job in old.iterator():
            count += 1
            if not dry_run:
                job.delete_files()
                job.delete()
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {count} finished job{'s' if count != 1 else ''}.")
