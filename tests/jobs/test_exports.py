"""Exports of the profile list: queued as a job, followed, downloaded; bad input starts
nothing."""

import csv
import io

import pytest
from openpyxl import load_workbook

from jobs.models import Job
from tests.conftest import grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory, UserFactory

URL = "/api/v1/exports/"


def rows_of(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def people(database):
    CustomFieldFactory(database=database, name="plan", type="line")
    return [
        ProfileFactory(
            database=database,
            email="ann@example.com",
            first_name="Ann",
            custom_values={"plan": '=HYPERLINK("http://evil")'},
        ),
        ProfileFactory(
            database=database, email="bo@example.com", first_name="Bo", status="unsubscribed"
        ),
        ProfileFactory(database=database, email="cy@example.com", first_name="@Cy"),
    ]


def test_an_export_runs_as_a_job_and_downloads_the_list_as_filtered(as_bob, database, people):
    response = as_bob.post(URL, {"database": database.pk, "status": "subscribed"}, format="json")

    assert response.status_code == 202
    body = response.json()
    job = as_bob.get(f"/api/v1/jobs/{body['job']}/").json()  # the contract's {id, job}
    assert (job["kind"], job["status"]) == ("export", "succeeded")  # tests run jobs at once
    assert body["job_url"].endswith(f"/api/v1/jobs/{body['job']}/")
    export = as_bob.get(f"{URL}{body['id']}/").json()
    assert export["status"] == "succeeded"
    assert export["download_url"].endswith(f"/api/v1/exports/{body['id']}/download/")

    rows = rows_of(as_bob.get(export["download_url"]))
    header, data = rows[0], rows[1:]
    assert header[:4] == ["profile_id", "md5", "xxh", "status"]
    assert header[-1] == "fields.plan"
    emails = sorted(row[header.index("email")] for row in data)
    assert emails == ["ann@example.com", "cy@example.com"]  # Bo is unsubscribed
    by_email = {row[header.index("email")]: row for row in data}
    # Cells a spreadsheet would run as formulas are text.
    assert by_email["ann@example.com"][header.index("fields.plan")].startswith("'=")
    assert by_email["cy@example.com"][header.index("first_name")] == "'@Cy"


def test_an_export_follows_the_search(as_bob, database, people):
    body = as_bob.post(URL, {"database": database.pk, "search": "bo@"}, format="json").json()
    rows = rows_of(as_bob.get(f"{URL}{body['id']}/download/"))
    assert [row[rows[0].index("email")] for row in rows[1:]] == ["bo@example.com"]


def test_an_export_to_xlsx_holds_the_same_rows(as_bob, database, people):
    body = as_bob.post(URL, {"database": database.pk, "format": "xlsx"}, format="json").json()
    response = as_bob.get(f"{URL}{body['id']}/download/")

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert len(values) == 4  # the header and three profiles
    first_names = sorted(row[values[0].index("first_name")] for row in values[1:])
    assert first_names == ["'@Cy", "Ann", "Bo"]
    assert all(cell is None or not str(cell).startswith("=") for row in values for cell in row)


def test_an_export_of_many_rows_goes_chunk_by_chunk(as_bob, database, settings):
    settings.EXPORT_CHUNK_ROWS = 3
    ProfileFactory.create_batch(7, database=database)

    body = as_bob.post(URL, {"database": database.pk}, format="json").json()

    job = Job.objects.get(pk=body["id"])
    assert (job.status, job.done, job.total) == ("succeeded", 7, 7)
    assert job.result["rows"] == 7
    assert len(rows_of(as_bob.get(f"{URL}{job.pk}/download/"))) == 8


@pytest.mark.parametrize(
    "options",
    [
        {"search": "", "status": "", "format": "csv"},
        {"search": None, "status": None},
        {"search": "  ", "status": ["", " "]},
    ],
    ids=["empty", "null", "blank"],
)
def test_empty_or_null_options_export_as_if_left_out(as_bob, database, people, options):
    response = as_bob.post(URL, {"database": database.pk, **options}, format="json")

    assert response.status_code == 202, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.params == {"search": "", "status": [], "format": "csv"}
    rows = rows_of(as_bob.get(f"{URL}{job.pk}/download/"))
    emails = sorted(row[rows[0].index("email")] for row in rows[1:])
    assert emails == ["ann@example.com", "bo@example.com", "cy@example.com"]


def test_a_database_the_user_may_not_see_is_404_and_starts_nothing(as_bob, database):
    other = ProfileDatabaseFactory()
    for body in ({"database": other.pk}, {"database": 999999}):
        response = as_bob.post(URL, body, format="json")
        assert response.status_code == 404
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"status": "gone"}, "status"),
        ({"status": ["subscribed", 3]}, "status"),
        ({"search": "x" * 201}, "search"),
        ({"search": 5}, "search"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_400_naming_them_and_start_nothing(as_bob, database, body, field):
    response = as_bob.post(URL, {"database": database.pk, **body}, format="json")

    assert response.status_code == 400
    assert field in str(response.json())
    assert not Job.objects.exists()


def test_exporting_needs_the_export_permission(api_client, database):
    viewer = grant(UserFactory(), "view_profile")
    database.members.add(viewer)
    api_client.force_authenticate(viewer)

    assert api_client.post(URL, {"database": database.pk}, format="json").status_code == 403
    assert not Job.objects.exists()


def test_an_export_of_another_user_is_404(as_bob, alice, database, people):
    body = as_bob.post(URL, {"database": database.pk}, format="json").json()
    eve = grant(UserFactory(), "view_profile", "export_profile")
    database.members.add(eve)
    as_bob.force_authenticate(eve)

    assert as_bob.get(f"{URL}{body['id']}/").status_code == 404
    assert as_bob.get(f"{URL}{body['id']}/download/").status_code == 404
    assert as_bob.get(f"{URL}not-a-uuid/").status_code == 404


def test_a_small_selection_downloads_in_the_same_click(client, bob, database, people):
    client.force_login(bob)
    response = client.post(
        "/profiles/export/", {"database": database.pk, "status": "subscribed", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="export-')
    assert len(rows_of(response)) == 3
    assert Job.objects.get().status == "succeeded"  # recorded as any export is


def test_the_list_page_exports_what_it_shows(client, bob, database, people, settings):
    settings.EXPORT_INLINE_ROWS = 0  # any selection: a job on the worker
    client.force_login(bob)
    page = client.get("/profiles/", {"status": "subscribed"})
    assert b'action="/profiles/export/"' in page.content

    response = client.post(
        "/profiles/export/", {"database": database.pk, "status": "subscribed", "format": "csv"}
    )

    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.params == {"search": "", "status": ["subscribed"], "format": "csv"}
    follow = client.get(response["Location"])
    assert b"Download CSV (2 rows)" in follow.content
    assert b"Export of Customers started." in follow.content
    rows = rows_of(client.get(f"/jobs/{job.pk}/download/"))
    assert len(rows) == 3


def test_the_list_page_asks_for_a_database_when_it_shows_several(client, bob, database):
    ProfileDatabaseFactory(name="Partners").members.add(bob)
    client.force_login(bob)

    assert b"To export profiles, choose a database above." in client.get("/profiles/").content
    response = client.post("/profiles/export/", {"format": "csv"}, follow=True)
    assert b"Choose the database to export" in response.content
    assert not Job.objects.exists()


def test_the_list_page_refuses_bad_exports_and_starts_nothing(client, bob, database):
    client.force_login(bob)
    other = ProfileDatabaseFactory()

    assert client.post("/profiles/export/", {"database": other.pk}).status_code == 404
    assert client.post("/profiles/export/", {"database": "x"}).status_code == 404
    response = client.post(
        "/profiles/export/", {"database": database.pk, "format": "pdf"}, follow=True
    )
    assert b"Format: Choose one of: csv, xlsx." in response.content
    assert not Job.objects.exists()


def test_the_list_page_offers_no_export_without_the_permission(client, database):
    viewer = grant(UserFactory(), "view_profile")
    database.members.add(viewer)
    client.force_login(viewer)

    assert b"/profiles/export/" not in client.get("/profiles/").content
    assert client.post("/profiles/export/", {"database": database.pk}).status_code == 403
