"""The file import on the worker: CSV, XLSX and ZIP through the same engine as the API, a
per-row report, a segment of the imported profiles, and a chunk that did not commit (a
killed worker) imported again without duplicates."""

import csv
import io
import signal
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from openpyxl import Workbook

from history.models import Event
from jobs import runner
from jobs.models import Job
from operations import file_imports
from operations.file_imports import preview, preview_rows, start_file_import, store_upload
from operations.list_exports import start_export
from profiles.models import Profile
from segments.models import Segment
from tests.factories import CustomFieldFactory, UserFactory
from tests.jobs.test_worker import finish, needs_a_database_server, start_worker

pytestmark = pytest.mark.django_db

CSV = (
    "E-mail;First name;Plan;Mobile\n"
    "ann@example.com;Ann;gold;+12025550179\n"
    'not-an-email;=HYPERLINK("http://evil");bronze;\n'
    "bo@example.com;Bo;silver;\n"
)


@pytest.fixture(autouse=True)
def plan(database, media_root):
    return CustomFieldFactory(
        database=database, name="plan", label="Plan", type="enum", options=["gold", "silver"]
    )


def upload(content, name="people.csv"):
    data = content.encode("cp1252") if isinstance(content, str) else content
    return store_upload(SimpleUploadedFile(name, data))


def report_lines(job):
    return list(csv.reader(io.StringIO(job.file_path("csv").read_text())))


def test_columns_are_proposed_from_their_names_and_previewed_as_stored(database):
    token = upload(CSV)
    seen = preview(database, token)
    assert seen.columns == ["E-mail", "First name", "Plan", "Mobile"]
    assert seen.proposed == {
        "E-mail": "email",
        "First name": "first_name",
        "Plan": "fields.plan",
        "Mobile": "phones",
    }
    assert (seen.total, seen.delimiter) == (3, ";")
    rows = preview_rows(database, token, seen.proposed)
    assert [row.status for row in rows] == ["created", "error", "created"]
    assert rows[0].values["phones"] == "+12025550179"
    assert set(rows[1].errors) == {"email", "fields"}
    assert not Profile.objects.exists()  # a preview writes nothing


def test_a_csv_import_reports_every_row_and_fills_a_segment(database, bob):
    token = upload(CSV)
    mapping = preview(database, token).proposed
    job = start_file_import(bob, database, token, mapping=mapping, segment_name="Spring fair")
    job.refresh_from_db()
    assert job.status == "succeeded", job.failure
    assert file_imports.import_summary(job) == {
        "status": "succeeded",
        "total": 3,
        "processed": 3,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "errors": 1,
    }
    lines = report_lines(job)
    assert lines[0] == ["row", "status", "profile_id", "errors"]
    assert [line[:2] for line in lines[1:]] == [["1", "created"], ["2", "error"], ["3", "created"]]
    # Each error names the file's column: E-mail, Plan (not email, fields.plan).
    assert lines[2][3] == "E-mail: Enter a valid email address.; Plan: Enter one of: gold, silver."
    assert job.error_samples[0].startswith("Row 2: E-mail:")
    segment = Segment.objects.get(name="Spring fair")
    assert sorted(segment.profiles.values_list("email", flat=True)) == [
        "ann@example.com",
        "bo@example.com",
    ]
    assert Event.objects.filter(type="import_file").count() == 2


def test_a_formula_is_stored_as_text_and_neutralised_when_exported(database, bob):
    token = upload('email,first_name\neve@example.com,"=HYPERLINK(""http://evil"")"\n')
    start_file_import(bob, database, token, mapping={"email": "email", "first_name": "first_name"})
    assert Profile.objects.get().first_name == '=HYPERLINK("http://evil")'
    export = start_export(bob, database)
    export.refresh_from_db()
    exported = list(csv.DictReader(io.StringIO(export.file_path("csv").read_text())))
    assert exported[0]["first_name"] == '\'=HYPERLINK("http://evil")'


def test_an_xlsx_and_a_zip_import_like_a_csv(database, bob, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["email", "plan"])
    sheet.append(["cy@example.com", "gold"])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.csv", "email,plan\ndi@example.com,gold\n")
        zipped.writestr("b.csv", "email,plan\ned@example.com,silver\n")
    for token in (upload(path.read_bytes(), "people.xlsx"), upload(archive.getvalue(), "x.zip")):
        mapping = {"email": "email", "plan": "fields.plan"}
        start_file_import(bob, database, token, mapping=mapping)
    assert dict(Profile.objects.values_list("email", "custom_values__plan")) == {
        "cy@example.com": "gold",
        "di@example.com": "gold",
        "ed@example.com": "silver",
    }


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"E-mail": "nowhere"}, "mapping"),
        ({"Fax": "email"}, "mapping"),
        ({"E-mail": "email", "Mobile": "email"}, "mapping"),
        ({"E-mail": "skip"}, "mapping"),
        ("email", "mapping"),
    ],
)
def test_a_bad_mapping_is_refused_naming_it(database, bob, mapping, field):
    with pytest.raises(ValidationError) as refused:
        start_file_import(bob, database, upload(CSV), mapping=mapping)
    assert field in refused.value.message_dict
    assert not Job.objects.exists()


def test_bad_parameters_are_refused_each_by_name(database, bob):
    with pytest.raises(ValidationError) as refused:
        start_file_import(
            bob,
            database,
            upload(CSV),
            mapping={"E-mail": "email"},
            mode="merge",
            segment_name="x" * 300,
        )
    assert set(refused.value.message_dict) == {"mode", "segment_name"}
    with pytest.raises(ValidationError) as refused:
        start_file_import(bob, database, "0" * 32, mapping={"E-mail": "email"})
    assert "file" in refused.value.message_dict


def test_a_chunk_that_did_not_commit_is_imported_again_once(database, bob, settings):
    settings.IMPORT_CHUNK_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    rows = "".join(f"p{n}@example.com,gold\n" for n in range(5))
    job = start_file_import(
        bob, database, upload("email,plan\n" + rows), mapping={"email": "email", "plan": "skip"}
    )
    kind = file_imports.FILE_IMPORT
    first = kind.step(Job.objects.get(pk=job.pk))  # chunk 1 commits…
    Job.objects.filter(pk=job.pk).update(position=first.position, done=first.done, total=3)
    with pytest.raises(RuntimeError), transaction.atomic():  # …chunk 2 dies before its commit
        kind.step(Job.objects.get(pk=job.pk))
        raise RuntimeError("worker killed")
    assert len(report_lines(job)) == 5  # its lines were appended, then the job lost
    runner.run(str(job.pk), worker="next")
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert [line[0] for line in report_lines(job)] == ["row", "1", "2", "3", "4", "5"]
    assert Profile.objects.count() == 5
    assert Event.objects.filter(type="import_file").count() == 5


@needs_a_database_server
@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_import_resumes_without_duplicates(media_root, settings, database):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = UserFactory(is_superuser=True, is_staff=True)
    rows = "".join(f"p{n}@example.com,gold\n" for n in range(300))
    mapping = {"email": "email", "plan": "fields.plan"}
    job = start_file_import(user, database, upload("email,plan\n" + rows), mapping=mapping)
    worker = start_worker(media_root, "doomed", batch=False, IMPORT_CHUNK_ROWS=1)
    deadline = time.monotonic() + 60
    while Job.objects.get(pk=job.pk).done < 40:
        assert time.monotonic() < deadline, "the worker did not get going"
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    settings.JOB_STALE_SECONDS = 0.5
    time.sleep(0.6)
    finish(start_worker(media_root, "next", IMPORT_CHUNK_ROWS=7, JOB_STALE_SECONDS=0.5))
    job.refresh_from_db()
    assert (job.status, job.done, job.interruptions) == ("succeeded", 300, 1)
    lines = report_lines(job)
    assert [int(line[0]) for line in lines[1:]] == list(range(1, 301))
    assert {line[1] for line in lines[1:]} == {"created"}
    assert Profile.objects.filter(database=database).count() == 300
    assert Event.objects.filter(type="import_file").count() == 300


def test_uploads_left_for_a_day_are_removed_unless_an_import_runs_on_them(database, bob):
    import os

    left, running = upload(CSV), upload(CSV)
    Job.objects.create(kind=file_imports.KIND, params={"token": running}, status="running")
    fresh = upload(CSV)
    day_ago = time.time() - 25 * 3600
    for token in (left, running):
        os.utime(file_imports.upload_path(token), (day_ago, day_ago))
    assert file_imports.purge_uploads() == 1
    with pytest.raises(file_imports.FileRefused):
        file_imports.upload_path(left)
    assert file_imports.upload_path(running) and file_imports.upload_path(fresh)
