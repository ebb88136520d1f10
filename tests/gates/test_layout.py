"""Every page fits the window at 1440 px and at 390 px: nothing scrolls sideways and nothing
sticks out of its card (tables become stacked rows on a phone)."""

import pytest

from tests.gates.showcase import build_showcase, log_in

pytestmark = [pytest.mark.browser, pytest.mark.gates, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}

# What sticks out: the page's own width, and each visible element of a card that reaches
# past the card's edges (scrolling boxes inside a card count: their content is cut off).
OVERFLOW = """() => {
  const found = [];
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  // Each visible element, and each piece of text (a long word overflows its element).
  const boxes = function* (root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      if (el.closest('.visually-hidden')) continue;
      if (!el.checkVisibility({visibilityProperty: true})) continue;
      let box;
      if (node.nodeType === Node.TEXT_NODE) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        box = range.getBoundingClientRect();
      } else {
        box = node.getBoundingClientRect();
      }
      if (box.width === 0 || box.height === 0) continue;
      yield [node.nodeType === Node.TEXT_NODE ? `text in ${name(el)}` : name(el), box];
    }
  };
  for (const card of document.querySelectorAll('.card')) {
    const edge = card.getBoundingClientRect();
    for (const [what, box] of boxes(card)) {
      if (box.right > edge.right + 1 || box.left < edge.left - 1) {
        found.push(`${what} ${Math.round(box.left)}..${Math.round(box.right)} `
          + `outside ${name(card)} ${Math.round(edge.left)}..${Math.round(edge.right)}`);
      }
    }
  }
  const wide = [];
  if (page > width) {
    for (const [what, box] of boxes(document.body)) {
      if (box.right > width + 1) wide.push(`${what} reaches ${Math.round(box.right)}`);
    }
  }
  return {page, width, cards: document.querySelectorAll('.card').length, found, wide};
}"""


@pytest.mark.parametrize("size", WIDTHS)
def test_every_page_fits_the_window(browser, live_server, size):
    showcase = build_showcase()
    width, height = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = []
    for name, path in showcase.pages:
        if name == "list":
            log_in(page, live_server.url, showcase)
        else:
            page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        seen = page.evaluate(OVERFLOW)
        assert seen["cards"], f"{name}: no card on {path} (an error page?)"
        if seen["page"] > seen["width"]:
            problems.append(
                f"{name} ({path}): the page is {seen['page']} px wide ({seen['wide'][:3]})"
            )
        problems += [f"{name} ({path}): {element}" for element in seen["found"][:5]]
    context.close()
    assert problems == [], f"at {width} px:\n" + "\n".join(problems)
