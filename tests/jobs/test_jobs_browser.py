"""A marketer in a real browser follows a job: the progress bar moves, then stops asking
once the job has ended; an export from the list page ends with its download."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jobs.models import Job
from tests.factories import ProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_polls_while_the_job_runs_and_stops_when_it_ends(
    logged_in_page, live_server, bob, database
):
    job = Job.objects.create(
        kind="export", created_by=bob, database=database, status="running", done=2, total=8
    )
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now(), heartbeat_at=timezone.now())
    page = logged_in_page
    errors, polls = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request", lambda r: polls.append(r.url) if r.url.endswith(f"/jobs/{job.pk}/") else None
    )

    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    expect(page.locator(".job-figures")).to_contain_text("2 of 8 (25%)")

    Job.objects.filter(pk=job.pk).update(done=6, heartbeat_at=timezone.now())
    expect(page.locator(".job-figures")).to_contain_text("6 of 8 (75%)")
    expect(page.locator("progress")).to_have_attribute("value", "6")

    Job.objects.filter(pk=job.pk).update(
        status="succeeded",
        done=8,
        finished_at=timezone.now(),
        result={"format": "csv", "rows": 8, "file": "gone.csv"},
    )
    expect(page.locator(".job-progress .badge")).to_have_text("Succeeded")
    expect(page.locator(".job-figures")).to_contain_text("8 of 8 (100%)")
    asked = len(polls)
    page.wait_for_timeout(2500)  # more than two polling periods
    assert len(polls) == asked, "the finished job's progress still polls"
    assert page.locator("[hx-trigger]").count() == 0
    assert errors == []


def test_a_marketer_exports_the_list_and_downloads_it(
    logged_in_page, live_server, database, settings
):
    settings.EXPORT_INLINE_ROWS = 0  # any selection: an export on the worker
    ProfileFactory.create_batch(3, database=database)
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/profiles/")
    page.select_option("#id_export_format", "csv")
    page.click(".list-export button[type=submit]")

    page.wait_for_url("**/jobs/*/")
    expect(page.locator(".messages, [role=status]").first).to_contain_text(
        "Export of Customers started."
    )
    download_link = page.get_by_role("link", name="Download CSV (3 rows)")
    expect(download_link).to_be_visible()
    with page.expect_download() as download:
        download_link.click()
    content = Path(download.value.path()).read_text().splitlines()
    assert len(content) == 4 and content[0].startswith("profile_id,")
    assert errors == []
