"""Jobs: run chunk by chunk, followed on their page and over the API, stopped by who started
them, taken up again when their worker died."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import runner
from jobs.models import Job
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, UserFactory

from .kinds import COUNT

API = "/api/v1/jobs/"


def queued(user, database=None, **params):
    """A job that waits for a worker (created without running it)."""
    return Job.objects.create(
        kind=COUNT.slug, created_by=user, database=database, params={"to": 5, **params}
    )


def test_a_job_runs_chunk_by_chunk_to_its_result(bob, database):
    job = runner.start(COUNT.slug, user=bob, database=database, params={"to": 5, "bad": [2, 4]})

    assert job.status == "succeeded"
    assert (job.done, job.total, job.errors) == (5, 5, 2)
    assert job.error_samples == ["2: not wanted", "4: not wanted"]
    assert job.result == {"counted": 5}
    assert job.started_at <= job.finished_at
    assert job.position == {"next": 6}


def test_a_job_that_raises_fails_with_its_reason_and_keeps_its_chunks(bob, database):
    job = runner.start(COUNT.slug, user=bob, database=database, params={"to": 9, "fail_at": 5})

    assert job.status == "failed"
    assert job.failure == "RuntimeError: the counter broke"
    assert job.done == 4  # the two chunks before it committed
    assert job.finished_at is not None


def test_an_unknown_kind_fails_in_the_request(bob):
    with pytest.raises(KeyError):
        runner.start("no-such-kind", user=bob)
    assert not Job.objects.exists()


def test_a_job_resumes_from_its_last_chunk_and_never_repeats_one(bob, database):
    job = queued(bob, database, to=6)
    job.status, job.worker, job.position, job.done = "running", "dead", {"next": 5}, 4
    job.heartbeat_at = job.started_at = timezone.now() - timedelta(minutes=5)
    job.save()

    assert job.is_stale() and job.status_label() == "Interrupted"
    assert runner.recover() == 1  # queued again; the tests' backend runs it at once

    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.interruptions) == ("succeeded", 6, 6, 1)
    assert job.interrupted_at is not None


def test_a_job_with_a_live_worker_is_not_taken_from_it(bob, database):
    job = queued(bob, database)
    job.status, job.worker, job.heartbeat_at = "running", "alive", timezone.now()
    job.save()

    assert runner.recover() == 0
    runner.run(job.pk, worker="another")

    job.refresh_from_db()
    assert (job.status, job.worker, job.done) == ("running", "alive", 0)


def test_cancelling_a_queued_job_ends_it_and_a_running_one_at_its_next_chunk(bob, database):
    waiting = runner.cancel(queued(bob, database))
    assert (waiting.status, waiting.failure) == ("failed", "Cancelled.")

    running = queued(bob, database)
    runner._claim(running.pk, "w1")
    runner._step(running.pk, COUNT, "w1")
    runner.cancel(running)
    assert runner._step(running.pk, COUNT, "w1") is True  # its next chunk ends it
    running.refresh_from_db()
    assert (running.status, running.failure, running.done) == ("failed", "Cancelled.", 2)


# -- Pages ---------------------------------------------------------------------------------


def test_the_jobs_page_lists_the_users_own_jobs(client, bob, database):
    mine = runner.start(COUNT.slug, user=bob, database=database, params={"to": 3})
    queued(UserFactory(), database)
    client.force_login(bob)

    page = client.get("/jobs/")

    assert page.status_code == 200
    assert page.content.count(b'class="row-link"') == 1
    assert f"/jobs/{mine.pk}/".encode() in page.content
    assert b"Succeeded" in page.content


def test_a_job_that_left_items_in_error_does_not_read_as_all_done(client, bob, database):
    clean = queued(bob, database, to=3)
    partial = queued(bob, database, to=3)
    Job.objects.filter(pk=clean.pk).update(status="succeeded", done=3, total=3)
    Job.objects.filter(pk=partial.pk).update(status="succeeded", done=3, total=3, errors=2)
    client.force_login(bob)

    listed = client.get("/jobs/").text
    detail = client.get(f"/jobs/{partial.pk}/").text

    assert '<span class="badge job-succeeded">Succeeded</span>' in listed
    assert '<span class="badge job-partial">Done, with errors</span>' in listed
    assert '<span class="badge job-partial">Done, with errors</span>' in detail
    assert "2 errors" in detail


def test_the_job_page_shows_progress_and_polls_only_while_it_runs(client, bob, database):
    job = queued(bob, database, to=10)
    job.status, job.done, job.total, job.errors = "running", 4, 10, 1
    job.started_at = job.heartbeat_at = timezone.now()
    job.save()
    client.force_login(bob)

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "4 of 10 (40%)" in page and "1 error" in page
    assert 'hx-trigger="every 1s"' in page

    job.status, job.done, job.finished_at = "succeeded", 10, timezone.now()
    job.save()
    partial = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "10 of 10 (100%)" in partial
    assert "hx-trigger" not in partial


def test_a_job_whose_worker_died_shows_interrupted(client, bob, database):
    job = queued(bob, database)
    job.status, job.worker = "running", "gone"
    job.heartbeat_at = timezone.now() - timedelta(minutes=3)
    job.save()
    client.force_login(bob)

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Interrupted" in page and "Its worker stopped reporting" in page
    assert "Interrupted" in client.get("/jobs/").content.decode()


def test_other_users_jobs_and_unknown_ids_are_404(client, bob, database):
    other = queued(UserFactory(), database)
    client.force_login(bob)

    assert client.get(f"/jobs/{other.pk}/").status_code == 404
    assert client.post(f"/jobs/{other.pk}/cancel/").status_code == 404
    assert client.get("/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/jobs/not-a-uuid/").status_code == 404


def test_a_job_of_a_database_its_creator_no_longer_sees_is_404(client, bob, database):
    job = queued(bob, database)
    database.members.remove(bob)
    client.force_login(bob)

    assert client.get(f"/jobs/{job.pk}/").status_code == 404


def test_who_started_a_job_stops_it(client, bob, database):
    job = queued(bob, database)
    client.force_login(bob)

    response = client.post(f"/jobs/{job.pk}/cancel/", follow=True)

    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "Cancelled.")
    assert b"Counting: stopping." in response.content


def test_staff_of_the_database_follow_a_job_but_may_not_stop_it(client, bob, database):
    job = queued(bob, database)
    staff = grant(UserFactory(is_staff=True), "view_profile")
    database.members.add(staff)
    client.force_login(staff)

    assert client.get(f"/jobs/{job.pk}/").status_code == 200
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.status == "queued"


def test_the_job_pages_need_a_login(client, bob, database):
    job = queued(bob, database)
    for url in ("/jobs/", f"/jobs/{job.pk}/"):
        assert client.get(url).status_code == 302


# -- API -------------------------------------------------------------------------------------


def test_the_api_gives_a_jobs_progress_by_the_contracts_names(as_bob, bob, database):
    job = runner.start(COUNT.slug, user=bob, database=database, params={"to": 3, "bad": [1]})

    body = as_bob.get(f"{API}{job.pk}/").json()

    assert {
        "id",
        "kind",
        "status",
        "done",
        "total",
        "errors",
        "result",
        "created_at",
        "started_at",
        "finished_at",
    } <= set(body)
    assert body["id"] == str(job.pk) and body["kind"] == "test-count"
    assert (body["status"], body["done"], body["total"], body["errors"]) == ("succeeded", 3, 3, 1)
    assert body["result"] == {"counted": 3}
    assert body["error_samples"] == ["1: not wanted"]
    assert body["interrupted"] is False


def test_the_api_lists_the_users_jobs(as_bob, bob, database):
    mine = queued(bob, database)
    queued(UserFactory(), database)

    body = as_bob.get(API).json()

    assert [job["id"] for job in body["results"]] == [str(mine.pk)]
    assert "next" in body


def test_the_api_hides_other_users_jobs_and_unknown_ids(as_bob, database):
    other = queued(UserFactory(), database)

    assert as_bob.get(f"{API}{other.pk}/").status_code == 404
    assert as_bob.post(f"{API}{other.pk}/cancel/").status_code == 404
    assert as_bob.get(f"{API}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert as_bob.get(f"{API}nope/").status_code == 404


def test_the_api_stops_a_job_for_its_creator_only(api_client, bob, database):
    job = queued(bob, database)
    staff = grant(UserFactory(is_staff=True), "view_profile")
    database.members.add(staff)

    api_client.force_authenticate(staff)
    assert api_client.post(f"{API}{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.status == "queued"

    api_client.force_authenticate(bob)
    response = api_client.post(f"{API}{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "failed"
    assert api_client.post(f"{API}{job.pk}/cancel/").status_code == 409


def test_the_api_needs_authentication(api_client, bob, database):
    job = queued(bob, database)
    assert api_client.get(f"{API}{job.pk}/").status_code in (401, 403)
    assert api_client.get(API).status_code in (401, 403)


def test_the_admin_lists_every_job_for_the_superuser(client, alice, bob, database):
    queued(bob, database)
    queued(UserFactory(), ProfileDatabaseFactory())
    client.force_login(alice)

    page = client.get("/admin/jobs/job/")

    assert page.status_code == 200
    assert page.content.count(b"Counting") >= 2


def test_prune_jobs_deletes_old_finished_jobs_and_their_files(bob, database):
    from io import StringIO

    from django.core.management import call_command

    old = runner.start(COUNT.slug, user=bob, database=database, params={"to": 1})
    old.file_path("csv").parent.mkdir(parents=True, exist_ok=True)
    old.file_path("csv").write_text("x")
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))
    recent = runner.start(COUNT.slug, user=bob, database=database, params={"to": 1})
    waiting = queued(bob, database)
    out = StringIO()

    call_command("prune_jobs", "--days", "30", stdout=out)

    assert out.getvalue().strip() == "Deleted 1 finished job."
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not old.file_path("csv").exists()
