"""axe-core (WCAG 2 A and AA rules) finds nothing on any page, at desktop and phone width; the
profile page's tab bars work from the keyboard as the ARIA tabs pattern says."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.gates.showcase import build_showcase, log_in

pytestmark = [pytest.mark.browser, pytest.mark.gates, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


def describe(violations):
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['html'][:160] for n in v['nodes']][:3]}"
        for v in violations
    ]


@pytest.mark.parametrize("size", WIDTHS)
def test_axe_finds_no_violation_on_any_page(browser, live_server, size):
    showcase = build_showcase()
    width, height = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    axe = Axe()  # axe-core ships inside the package: nothing is downloaded
    found = {}
    for name, path in showcase.pages:
        if name == "list":
            log_in(page, live_server.url, showcase)
        else:
            page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        violations = axe.run(page, options=WCAG).response["violations"]
        if violations:
            found[f"{name} ({path})"] = describe(violations)
    context.close()
    assert found == {}, "\n".join(
        f"{page}: {problem}" for page, v in found.items() for problem in v
    )


def test_the_profile_tabs_work_with_the_arrow_keys(browser, live_server):
    showcase = build_showcase(profiles=9)
    page = browser.new_page()
    log_in(page, live_server.url, showcase)
    page.goto(f"{live_server.url}{showcase.profile.get_absolute_url()}")
    tabs = page.locator("#data-tabs [role=tablist] [role=tab]")
    labels = tabs.all_inner_texts()
    hrefs = [tabs.nth(i).get_attribute("href") for i in range(len(labels))]
    assert len(labels) > 2
    selected = page.locator("#data-tabs [role=tab][aria-selected=true]")
    # Only the selected tab is in the Tab order; the cog beside the tabs is not one of them.
    expect(page.locator("#data-tabs [role=tab][tabindex='0']")).to_have_text(labels[0])
    expect(page.locator("#data-tabs [role=tab][tabindex='-1']")).to_have_count(len(labels) - 1)
    expect(page.locator("#data-tabs [role=tablist] .tab-cog")).to_have_count(0)

    tabs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-content h2")).to_have_text(labels[1])
    expect(page).to_have_url(f"{live_server.url}{hrefs[1]}")
    expect(selected).to_have_text(labels[1])
    expect(selected).to_be_focused()  # the focus survives the swap of the tab bar
    expect(selected).to_have_attribute("tabindex", "0")
    expect(page.locator("#data-tabs [role=tab][tabindex='0']")).to_have_count(1)

    page.keyboard.press("End")
    expect(page.locator("#tab-content h2")).to_have_text(labels[-1])
    expect(selected).to_be_focused()
    page.keyboard.press("ArrowRight")  # round to the first
    expect(page.locator("#tab-content h2")).to_have_text(labels[0])
    expect(page).to_have_url(f"{live_server.url}{hrefs[0]}")
    expect(selected).to_be_focused()

    # The sections' bar: Left from the first section goes round to the last.
    sections = page.locator("#section-tabs [role=tab]")
    last_label, last_href = sections.last.inner_text(), sections.last.get_attribute("href")
    chosen = page.locator("#section-tabs [role=tab][aria-selected=true]")
    chosen.focus()
    page.keyboard.press("ArrowLeft")
    expect(chosen).to_have_text(last_label)
    expect(page).to_have_url(f"{live_server.url}{last_href}")
    expect(chosen).to_be_focused()
    page.close()
