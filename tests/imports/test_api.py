"""File imports over the API: queued as a job, followed, its report downloaded; bad input
starts nothing."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import Job
from profiles.models import Profile
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"
CSV = b"E-mail;Name\nann@example.com;Ann\nbo@example.com;Bo\nbad;Cy\n"
MAPPING = json.dumps({"E-mail": "email", "Name": "first_name"})


def body(database, **changes):
    data = {
        "database": database.pk,
        "file": SimpleUploadedFile("people.csv", CSV, content_type="text/csv"),
        "mapping": MAPPING,
    }
    return {**data, **changes}


def test_an_import_runs_as_a_job_and_its_report_has_a_line_per_row(as_bob, database):
    response = as_bob.post(URL, body(database, segment_name="Imported"), format="multipart")

    assert response.status_code == 202, response.json()
    started = response.json()
    job = as_bob.get(f"/api/v1/jobs/{started['job']}/").json()  # the contract's {id, job}
    assert job["kind"] == "file_import"
    assert started["job_url"].endswith(f"/api/v1/jobs/{started['job']}/")
    follow = as_bob.get(f"{URL}{started['id']}/").json()
    assert follow["status"] == "succeeded"  # the tests run jobs at once
    assert (follow["total"], follow["processed"]) == (3, 3)
    assert (follow["created"], follow["updated"], follow["errors"]) == (2, 0, 1)
    assert follow["report_url"].endswith(f"/api/v1/imports/{started['id']}/report/")
    emails = set(Profile.objects.filter(database=database).values_list("email", flat=True))
    assert emails == {"ann@example.com", "bo@example.com"}

    report = as_bob.get(follow["report_url"])
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[0][:3] == ["row", "status", "profile_id"]
    assert len(rows) == 4  # the header and one line per row of the file
    assert rows[3][:2] == ["3", "error"]
    assert rows[3][3].startswith("E-mail: ")  # the file's column, not the field's name
    job = as_bob.get(f"/api/v1/jobs/{started['job']}/").json()
    assert job["error_samples"][0].startswith("Row 3: E-mail: ")


def test_empty_options_mean_their_defaults(as_bob, database):
    options = {
        "mode": "",
        "match": "",
        "segment_name": "",
        "header": "",
        "detect_location": "",
        "skip_triggers": "",
    }
    response = as_bob.post(URL, body(database, **options), format="multipart")

    assert response.status_code == 202, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.params["mode"], job.params["match"]) == ("upsert", "email")
    assert (job.params["header"], job.params["segment_name"]) == (True, "")
    follow = as_bob.get(f"{URL}{job.pk}/").json()
    assert (follow["created"], follow["errors"]) == (2, 1)


@pytest.mark.parametrize(
    "option, value",
    [("mode", "merge"), ("match", "nickname"), ("header", "maybe"), ("mode", " upsert ")],
)
def test_a_wrong_option_is_still_a_400_naming_it(as_bob, database, option, value):
    response = as_bob.post(URL, body(database, **{option: value}), format="multipart")

    assert response.status_code == 400
    assert option in response.json()
    assert not Job.objects.exists()


def test_a_mapping_that_is_not_a_json_object_is_a_400_naming_it(as_bob, database):
    response = as_bob.post(URL, body(database, mapping="email"), format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["mapping"]
    assert not Job.objects.exists()


def test_a_mapping_to_an_unknown_target_is_a_400_naming_it(as_bob, database):
    mapping = json.dumps({"E-mail": "email", "Name": "fields.nothing"})

    response = as_bob.post(URL, body(database, mapping=mapping), format="multipart")

    assert response.status_code == 400
    assert "mapping" in response.json()
    assert not Job.objects.exists()


def test_an_unknown_key_is_a_400_naming_it(as_bob, database):
    response = as_bob.post(URL, body(database, plan="gold"), format="multipart")

    assert response.status_code == 400
    assert response.json() == {"plan": ["Unknown field."]}


def test_a_database_the_user_may_not_see_is_a_404(as_bob, database):
    other = ProfileDatabaseFactory(name="Partners")

    response = as_bob.post(URL, body(other), format="multipart")

    assert response.status_code == 404
    assert not Job.objects.exists()


def test_a_user_who_may_not_change_profiles_is_refused(api_client, database):
    user = grant(UserFactory(), "view_profile", "add_profile")
    database.members.add(user)
    api_client.force_authenticate(user)

    response = api_client.post(URL, body(database), format="multipart")

    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"database": 2**70}, "database"),  # no id column holds it
        ({"match": "email\x00"}, "match"),
        ({"segment_name": "Imported\x00"}, "segment_name"),
    ],
)
def test_a_json_body_with_a_value_no_column_holds_is_a_400_naming_it(
    as_bob, database, changes, field
):
    response = as_bob.post(URL, {"database": database.pk, **changes}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Job.objects.exists()
