"""Checks the browser tests share: labels on form controls, horizontal overflow, timings."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

#: Every visible input, select and textarea without an accessible label: a <label> ancestor, a
#: label[for=id], a non-empty aria-label or an aria-labelledby naming an element on the page.
UNLABELLED_JS = """
() => {
  const out = [];
  const controls = document.querySelectorAll('input, select, textarea');
  for (const el of controls) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden'
        || (box.width === 0 && box.height === 0)) continue;
    const aria = (el.getAttribute('aria-label') || '').trim();
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    const byIds = ids.some(id => {
      const ref = document.getElementById(id);
      return ref && ref.textContent.trim();
    });
    const wrapped = el.closest('label');
    const forLabel = el.id
      && [...document.querySelectorAll('label[for]')].some(
        l => l.htmlFor === el.id && l.textContent.trim());
    if (!(aria || byIds || (wrapped && wrapped.textContent.trim()) || forLabel)) {
      const form = el.closest('form');
      out.push(`${el.tagName.toLowerCase()}[name=${el.name || '?'}][id=${el.id || '?'}]`
               + ` in form ${form ? form.getAttribute('action') : '(none)'}`);
    }
  }
  return out;
}
"""

#: Controls counted by the label check, to prove it looked at something.
CONTROL_COUNT_JS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !['hidden', 'submit', 'button'].includes((el.type || '').toLowerCase()))
  .length
"""

#: The page's own horizontal scroll (tables may scroll inside their wrapper; the page may not).
OVERFLOW_JS = """
() => ({scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth})
"""

NAV_TIMING_JS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav) return null;
  return {
    response_ms: nav.responseEnd - nav.requestStart,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd - nav.startTime,
    load_ms: nav.loadEventEnd - nav.startTime,
    transfer_bytes: nav.transferSize,
    status: nav.responseStatus === undefined ? null : nav.responseStatus,
  };
}
"""


def unlabelled(page: Page) -> list[str]:
    """The visible form controls of the page that have no accessible label."""
    found: list[str] = page.evaluate(UNLABELLED_JS)
    return found


def control_count(page: Page) -> int:
    count: int = page.evaluate(CONTROL_COUNT_JS)
    return count


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    sizes: dict[str, int] = page.evaluate(OVERFLOW_JS)
    return max(0, sizes["scrollWidth"] - sizes["clientWidth"])


def navigation_timing(page: Page) -> dict[str, Any] | None:
    """The Navigation Timing entry of the page now shown (after its load event)."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n && n.loadEventEnd > 0; }")
    timing: dict[str, Any] | None = page.evaluate(NAV_TIMING_JS)
    return timing
