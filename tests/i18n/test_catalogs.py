"""Every string people read is marked for translation, and every language translates all of them."""
from __future__ import annotations

import re

import pytest

from tests.i18n.catalogs import LOCALES, marked_messages, read_catalog
from tests.i18n.unmarked import python_paths, template_environment, template_paths, unmarked_in_python, unmarked_in_template

#: Developer documentation of the API stays in English, like the API's field names.
ENGLISH_ONLY_TEMPLATES = {"templates/api/docs.html"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_no_template_holds_text_outside_gettext() -> None:
    env = template_environment()
    found = [item for path in template_paths() for item in unmarked_in_template(env, path) if item.path not in ENGLISH_ONLY_TEMPLATES]
    assert not found, "mark these with _() or {% trans %}:\n" + "\n".join(map(str, found))


def test_no_python_message_for_people_is_left_unmarked() -> None:
    found = [item for path in python_paths() for item in unmarked_in_python(path)]
    assert not found, "mark these with _() or _l():\n" + "\n".join(map(str, found))


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_every_marked_string(locale: str) -> None:
    catalog = read_catalog(locale)
    missing = [f"{where}: {key!r}" for key, where in marked_messages().items() if catalog.get(key[0] if isinstance(key, tuple) else key) is None]
    assert not missing, f"run `make translations` and translate for {locale}:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_string(locale: str) -> None:
    catalog = read_catalog(locale)
    untranslated = [message.id for message in catalog if message.id and (
        message.fuzzy or not message.string or (isinstance(message.string, tuple) and not all(message.string)))]
    assert not untranslated, f"{locale} lacks translations for:\n" + "\n".join(map(repr, untranslated))


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(locale: str) -> None:
    catalog = read_catalog(locale)
    broken = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = set().union(*(_PLACEHOLDER.findall(text) for text in ids))
        # A plural's "one" form may name the count in words; every other placeholder must be kept.
        needed = set(_PLACEHOLDER.findall(ids[0])) - {"num"}
        for text in strings:
            used = set(_PLACEHOLDER.findall(text))
            if used - allowed or needed - used:
                broken.append(f"{ids[0]!r} -> {text!r}")
    assert not broken, "placeholders differ:\n" + "\n".join(broken)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_no_string_the_sources_dropped(locale: str) -> None:
    marked = {key[0] if isinstance(key, tuple) else key for key in marked_messages()}
    stale = [message.id for message in read_catalog(locale) if message.id and (message.id[0] if isinstance(message.id, tuple) else message.id) not in marked]
    assert not stale, "run `make translations` to drop:\n" + "\n".join(map(repr, stale))
