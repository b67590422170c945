"""The key pages on a phone and on a desktop, in each language: they fit the screen, speak the
language throughout, and axe-core finds nothing serious or critical (WCAG 2.2 AA rules)."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from tests.e2e.conftest import PHONE_USER_AGENT, REPO
from tests.i18n.catalogs import read_catalog

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
LOCALES = ("en", "pt_BR", "zh_Hans_CN")
CURATOR = ("ana@demo.example.com", "demo-curator-pass")
#: Product images are the retailer's; everything else a first visit downloads must stay under this.
FIRST_VISIT_BUDGET_BYTES = 300 * 1024
MIN_TOUCH_TARGET_PX = 44


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    phone: bool


PHONE = Viewport("phone", 390, 844, True)
DESKTOP = Viewport("desktop", 1280, 800, False)


def open_context(chromium: Any, live_server: str, viewport: Viewport, locale: str) -> Any:
    options: dict[str, Any] = {
        "base_url": live_server, "viewport": {"width": viewport.width, "height": viewport.height},
        # axe-core is injected as an inline script, which our Content-Security-Policy rightly refuses.
        "bypass_csp": True, "locale": "en-US",
    }
    if viewport.phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2, user_agent=PHONE_USER_AGENT)
    context = chromium.new_context(**options)
    page = context.new_page()
    page.goto(f"/?lang={locale}")
    return context, page


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form.login button[type=submit], main form button[type=submit]").first.click()
    page.wait_for_load_state()


def public_paths(page: Any) -> dict[str, str]:
    """The official store's and a curator's public pages, found by following links as a visitor would."""
    page.goto("/@ana")
    look = page.locator("a[href*='/@ana/looks/']").first.get_attribute("href")
    product = page.locator("a[href^='/products/']").first.get_attribute("href")
    return {"official store": "/", "product": product, "curator shop": "/@ana", "look": look}


def fill_cart(page: Any, product_path: str) -> None:
    page.goto(product_path)
    page.locator("form[action$='/cart/add'] button[type=submit]").first.click()
    page.wait_for_load_state()


def overflow_px(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def serious_axe_violations(page: Any) -> list[str]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const run = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
            return run.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
        }"""
    )
    return list(result)


def small_touch_targets(page: Any) -> list[str]:
    """Buttons, fields and navigation links smaller than a fingertip (links inside running text are exempt)."""
    return list(page.evaluate(
        """(minimum) => {
            const selector = 'button, input:not([type=hidden]), select, textarea, nav a, a.button, .actions a';
            return [...document.querySelectorAll(selector)].filter(el => {
                const box = el.getBoundingClientRect();
                if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') return false;
                if (el.type === 'checkbox' || el.type === 'radio') {
                    const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
                    const area = label ? label.getBoundingClientRect() : box;
                    return area.height < minimum;
                }
                return box.height < minimum - 0.5 || box.width < minimum - 0.5;
            }).map(el => el.outerHTML.slice(0, 120));
        }""",
        MIN_TOUCH_TARGET_PX,
    ))


def english_source_strings(locale: str) -> list[str]:
    """Our English texts that the locale translates differently: finding one on its page means it was not translated."""
    found = set()
    for message in read_catalog(locale):
        if not message.id or not message.string:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in english:
            parts = re.split(r"%\(\w+\)[sd]|<[^>]+>", text)
            # A whole short label ("Log in") is telling; a fragment between placeholders must be longer
            # ("on the") not to match a curator's own words.
            fewest_words = 2 if len(parts) == 1 else 3
            for part in parts:
                part = part.strip(" .,:;!?—()“”\"'#")
                if len(part.split()) >= fewest_words and not any(part in other for other in translated):
                    found.add(part)
    return sorted(found, key=len, reverse=True)


@pytest.fixture(scope="module")
def english_by_locale() -> dict[str, list[str]]:
    return {locale: english_source_strings(locale) for locale in LOCALES if locale != "en"}


def untranslated_on(page: Any, english: list[str]) -> list[str]:
    text = " ".join(page.locator("body").inner_text().split())
    return [phrase for phrase in english if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text)]


def check_page(page: Any, label: str, locale: str, viewport: Viewport, english: list[str]) -> list[str]:
    problems: list[str] = []
    if (extra := overflow_px(page)) > 0:
        problems.append(f"{label}: scrolls sideways by {extra}px")
    problems += [f"{label}: axe {violation}" for violation in serious_axe_violations(page)]
    if locale != "en":
        problems += [f"{label}: untranslated {phrase!r}" for phrase in untranslated_on(page, english)]
    if viewport.phone:
        problems += [f"{label}: touch target under {MIN_TOUCH_TARGET_PX}px: {html}" for html in small_touch_targets(page)]
    return problems


@pytest.fixture(scope="module")
def paths(chromium: Any, live_server: str) -> Iterator[dict[str, str]]:
    context, page = open_context(chromium, live_server, DESKTOP, "en")
    try:
        yield public_paths(page)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda v: v.name)
@pytest.mark.parametrize("locale", LOCALES)
def test_shoppers_pages_fit_speak_the_language_and_pass_axe(
    chromium: Any, live_server: str, paths: dict[str, str], english_by_locale: dict[str, list[str]], locale: str, viewport: Viewport,
) -> None:
    context, page = open_context(chromium, live_server, viewport, locale)
    english = english_by_locale.get(locale, [])
    problems: list[str] = []
    try:
        for label, path in paths.items():
            page.goto(path)
            problems += check_page(page, label, locale, viewport, english)
        fill_cart(page, paths["product"])
        for label, path in (("cart", "/cart"), ("checkout", "/checkout")):
            page.goto(path)
            problems += check_page(page, label, locale, viewport, english)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda v: v.name)
@pytest.mark.parametrize("locale", LOCALES)
def test_curators_pages_fit_speak_the_language_and_pass_axe(
    chromium: Any, live_server: str, english_by_locale: dict[str, list[str]], locale: str, viewport: Viewport,
) -> None:
    context, page = open_context(chromium, live_server, viewport, locale)
    english = english_by_locale.get(locale, [])
    problems: list[str] = []
    try:
        log_in(page, *CURATOR)
        for label, path in (("share panel", "/me/shop/share"), ("earnings", "/me/earnings"), ("dashboard", "/me/dashboard"),
                            ("shop editor", "/me/shop")):
            page.goto(path)
            problems += check_page(page, label, locale, viewport, english)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path_label", ["official store", "product", "curator shop"])
def test_a_first_visit_downloads_under_300_kb_besides_product_images(
    chromium: Any, live_server: str, paths: dict[str, str], path_label: str,
) -> None:
    context = chromium.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, user_agent=PHONE_USER_AGENT)
    page = context.new_page()
    sizes: dict[str, int] = {}
    page.on("requestfinished", lambda request: sizes.__setitem__(request.url, request.sizes()["responseBodySize"]))
    try:
        page.goto(paths[path_label], wait_until="networkidle")
    finally:
        context.close()
    outside = {url: size for url, size in sizes.items() if "/static/products/" not in url}
    assert sum(outside.values()) < FIRST_VISIT_BUDGET_BYTES, outside
    assert all(url.startswith(live_server) for url in sizes), "every file comes from us (no CDN, no font service)"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_curator_shop_on_a_phone_is_photographed_for_the_readme(chromium: Any, live_server: str, locale: str) -> None:
    """README shows these: a small PNG of the shop's first screen on a phone, in each language."""
    context = chromium.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=1, user_agent=PHONE_USER_AGENT,
    )
    page = context.new_page()
    try:
        page.goto(f"/@ana?lang={locale}", wait_until="networkidle")
        shot = page.screenshot(animations="disabled")
    finally:
        context.close()
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"curator-shop-phone-{locale}.png"
    if not target.exists() or differs_visibly(Image.open(target).convert("RGB"), image):
        image.quantize(colors=64).save(target, optimize=True)
    assert target.stat().st_size < 120 * 1024


def differs_visibly(old: Any, new: Any) -> bool:
    """Anti-aliasing varies from run to run: rewrite the committed picture only when the page itself changed."""
    if old.size != new.size:
        return True
    changed = ImageChops.difference(old, new).convert("L").point(lambda v: 255 if v > 48 else 0).histogram()[255]
    return changed > old.size[0] * old.size[1] // 200
