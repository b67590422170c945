"""The translation catalogs as the tests see them: what the sources mark, what each language translates."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "storefront" / "translations"
LOCALES = ("pt_BR", "zh_Hans_CN")
#: The same keywords `make translations` extracts with (Makefile: BABEL_KEYWORDS).
KEYWORDS = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None, lazy_ngettext=(1, 2), ngettext=(1, 2))


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


@cache
def marked_messages() -> dict[str | tuple[str, ...], str]:
    """Every msgid the sources mark (as `make translations` extracts them), with where it was first seen."""
    found: dict[str | tuple[str, ...], str] = {}
    method_map = [("storefront/**.py", "python"), ("share/**.py", "python"), ("commissions/**.py", "python"),
                  ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    options = {"templates/**.html": {"trimmed": "true"}, "templates/**.txt": {"trimmed": "true"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(REPO), method_map, options, keywords=KEYWORDS):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, f"{filename}:{lineno}")
    return found


def compile_stale_catalogs() -> None:
    """Build each .mo from its .po when it is missing or older, as `make catalogs` does."""
    for locale in LOCALES:
        source = po_path(locale)
        target = source.with_suffix(".mo")
        if source.exists() and (not target.exists() or target.stat().st_mtime < source.stat().st_mtime):
            catalog = read_catalog(locale)
            with target.open("wb") as handle:
                write_mo(handle, catalog)
