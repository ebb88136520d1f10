"""The file import pages: upload, map the columns with a live preview, start; the job's
page then shows the counts. An upload is only its uploader's."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jobs.models import Job
from profiles.models import Profile
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import CustomFieldFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = b"email,first_name\nann@example.com,Ann\nnot-an-email,Bo\ncy@example.com,Cy\n"


def csv_file(content=CSV, name="people.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def client_bob(client, bob):
    client.force_login(bob)
    return client


def upload(client, database, content=CSV):
    response = client.post(
        "/imports/new/", {"database": database.pk, "file": csv_file(content), "header": "on"}
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def mapping_data(mode="upsert", **columns):
    data = {"mode": mode, "match": "email", "segment_name": ""}
    data.update({f"column-{n}": target for n, target in enumerate(columns.values())})
    return data


def test_the_upload_leads_to_the_mapping_page_with_proposed_targets(client_bob, database):
    mapping_url = upload(client_bob, database)

    page = client_bob.get(mapping_url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "3 rows" in html
    assert '<option value="email" selected>' in html
    assert '<option value="first_name" selected>' in html
    assert '<optgroup label="Standard fields">' in html
    assert "ann@example.com" in html  # the sample, and the first row of the preview


def test_a_refused_file_is_shown_beside_the_file_field(client_bob, database):
    response = client_bob.post("/imports/new/", {"database": database.pk, "file": csv_file(b"")})

    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()


def test_a_file_that_is_no_table_is_refused_beside_the_field_by_its_own_name(
    client_bob, database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    picture = SimpleUploadedFile("holiday photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)

    response = client_bob.post("/imports/new/", {"database": database.pk, "file": picture})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file holiday photo.txt is neither a CSV text file nor an Excel (.xlsx) file."
    ]
    assert not any(path.is_file() for path in tmp_path.rglob("*"))  # nothing kept


def test_the_preview_shows_a_bad_cell_with_the_field_it_names(client_bob, database):
    mapping_url = upload(client_bob, database)
    preview_url = mapping_url.replace("/?", "/preview/?")

    response = client_bob.post(
        preview_url, mapping_data(a="email", b="skip"), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the preview alone
    assert '<tr data-row="2" class="import-bad">' in html
    assert '<td class="import-bad-cell">not-an-email' in html
    assert "Email" in html  # the column the error is under
    assert "Bo" not in html  # the skipped column is not previewed


def test_each_preview_row_shows_its_own_values_when_a_later_row_repeats_its_email(
    client_bob, database
):
    twice = b"email,first_name\nann@example.com,Ann\nbo@example.com,Bo\nann@example.com,Annie\n"
    preview_url = upload(client_bob, database, twice).replace("/?", "/preview/?")

    response = client_bob.post(
        preview_url, mapping_data(a="email", b="first_name"), HTTP_HX_REQUEST="true"
    )

    rows = re.findall(r'<tr data-row="(\d)"[^>]*>(.*?)</tr>', response.content.decode(), re.S)
    names = {number: re.findall(r"Ann\w*|Bo", cells) for number, cells in rows}
    assert names == {"1": ["Ann"], "2": ["Bo"], "3": ["Annie"]}
    assert not Profile.objects.exists()  # a preview writes nothing


def test_starting_imports_the_profiles_and_the_job_page_shows_the_counts(client_bob, database, bob):
    ProfileFactory(database=database, email="cy@example.com", first_name="Old")
    mapping_url = upload(client_bob, database)

    response = client_bob.post(mapping_url, mapping_data(a="email", b="first_name"))

    job = Job.objects.get(kind="file_import")
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "succeeded"
    names = dict(Profile.objects.filter(database=database).values_list("email", "first_name"))
    assert names == {"ann@example.com": "Ann", "cy@example.com": "Cy"}
    page = client_bob.get(response["Location"]).content.decode()
    assert "Import of 3 rows into Customers started." in page
    assert "Created <strong>1</strong> · updated <strong>1</strong>" in page
    assert "errors <strong>1</strong>" in page
    assert "Download the report (3 rows)" in page


def test_an_error_of_the_import_is_shown_beside_its_field(client_bob, database):
    mapping_url = upload(client_bob, database)

    response = client_bob.post(
        mapping_url, {**mapping_data(a="email", b="first_name"), "match": "field:nothing"}
    )

    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert not Job.objects.exists()


def test_another_users_upload_does_not_exist_for_them(client_bob, database):
    mapping_url = upload(client_bob, database)
    other = grant(UserFactory(username="eve"), *MARKETER_PERMISSIONS)
    database.members.add(other)
    as_other = Client()
    as_other.force_login(other)

    assert as_other.get(mapping_url).status_code == 404
    preview_url = mapping_url.replace("/?", "/preview/?")
    assert as_other.post(preview_url, mapping_data(a="email")).status_code == 404


def test_a_user_who_may_not_change_profiles_is_refused(client, database):
    user = grant(UserFactory(), "view_profile", "add_profile")
    database.members.add(user)
    client.force_login(user)

    assert client.get("/imports/new/").status_code == 403


def test_a_problem_of_a_column_not_mapped_names_the_field_by_its_label(client_bob, database):
    CustomFieldFactory(database=database, name="app_version", label="App version", required=True)
    mapping_url = upload(client_bob, database)
    preview_url = mapping_url.replace("/?", "/preview/?")

    response = client_bob.post(
        preview_url, mapping_data(a="email", b="first_name"), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "App version: This field is required." in html
    assert "fields.app_version" not in html
