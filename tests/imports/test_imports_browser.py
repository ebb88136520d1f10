"""A marketer in a real browser imports a file: uploads a CSV, changes where one column
goes (the preview follows), starts, sees the progress reach 100 % and downloads the
report."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from profiles.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "email,name,plan\nann@example.com,Ann,gold\nbo@example.com,Bo,silver\n"


def test_a_marketer_uploads_maps_imports_and_downloads_the_report(
    logged_in_page, live_server, database, tmp_path
):
    people = tmp_path / "people.csv"
    people.write_text(CSV)
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 390, "height": 800})

    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("File").set_input_files(str(people))
    page.get_by_role("button", name="Upload and map the columns").click()

    page.wait_for_url("**/imports/new/*/**")
    expect(page.get_by_label("email", exact=True)).to_have_value("email")
    preview = page.locator("#import-preview")
    expect(preview.locator("thead")).not_to_contain_text("Last name")
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.get_by_label("name", exact=True).select_option("last_name")
    expect(preview.locator("thead")).to_contain_text("Last name")
    expect(preview.locator("tbody")).to_contain_text("Ann")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows

    page.get_by_role("button", name="Start the import").click()
    page.wait_for_url("**/jobs/*/")
    expect(page.locator(".messages")).to_contain_text("Import of 2 rows into Customers started.")
    expect(page.locator(".job-figures").first).to_contain_text("2 of 2 (100%)")
    expect(page.locator(".import-summary")).to_contain_text("Created 2")
    report_link = page.get_by_role("link", name="Download the report (2 rows)")
    with page.expect_download() as download:
        report_link.click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 3 and lines[0].startswith("row,status,profile_id")
    assert sorted(Profile.objects.values_list("last_name", flat=True)) == ["Ann", "Bo"]
    assert errors == []
