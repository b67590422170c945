# Two commands on a fresh machine: `make run` serves the store, `make test` proves it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 2
# Threads, not sync workers: browsers open speculative connections that send nothing, and
# each one would hold a sync worker until it times out.
THREADS ?= 4
export FLASK_APP := wsgi

.PHONY: run test bench install install-dev migrate demo lint serve clean translations catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed catalogs
install-dev: $(VENV)/.installed-dev catalogs

# Translations: the .po files are the source (written by us); the compiled .mo files are built here.
TRANSLATIONS := storefront/translations
LOCALES := pt_BR zh_Hans_CN
# English is the source language: its text is the msgid, so it needs no catalog.
PO_FILES := $(foreach locale,$(LOCALES),$(TRANSLATIONS)/$(locale)/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k ngettext:1,2

catalogs: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

# Extract every marked string, merge it into each language's catalog, compile. Then translate what
# `tests/i18n` reports as missing, and run this again.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --sort-by-file \
		--project Vitrine --copyright-holder "Vitrine contributors" -o $(TRANSLATIONS)/messages.pot .
	for locale in $(LOCALES); do \
		$(BIN)/pybabel update --no-wrap --ignore-obsolete --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot \
			-d $(TRANSLATIONS) -l $$locale --init-missing; \
	done
	$(MAKE) --no-print-directory catalogs

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask catalog load-demo
	$(BIN)/flask catalog renditions
	$(BIN)/flask demo load

serve: install
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS) --worker-class gthread --threads $(THREADS) --access-logfile - wsgi:app

run: demo serve

# Browser tests drive Debian's Chromium (never a downloaded browser); install it when we can, with a
# Chinese font so that the zh_Hans_CN screenshots show characters rather than boxes.
CHROMIUM := /usr/bin/chromium
# The font the Chinese pages are measured with (touch targets of 44 px): installed with the browser, or after it.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
$(CHROMIUM) $(CJK_FONT) &:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium and a Chinese font for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
			|| echo "could not install chromium: the browser tests will be skipped"; \
	else echo "chromium or its Chinese font (fonts-wqy-microhei) is missing and cannot be installed here: the browser tests are skipped without chromium, and measure Chinese pages wrongly without the font"; fi

# The suite runs on SQLite always, then on PostgreSQL when TEST_DATABASE_URL is set.
test: install-dev $(CHROMIUM) $(CJK_FONT)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	TEST_DATABASE_URL= $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest; \
	fi

# Benchmarks run by hand, never in the test suite. They drive the servers with Debian's wrk, installed
# when missing and we can (as root); pass options with BENCH_ARGS="--backend sqlite --quick" (see --help).
BENCH_ARGS ?=
bench: install
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's wrk for the benchmarks"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
				|| { echo "could not install wrk: apt-get install wrk, then make bench again"; exit 1; }; \
		else echo "wrk is missing and cannot be installed here (not root): apt-get install wrk, then make bench again"; exit 1; fi; \
	fi
	$(BIN)/python bench/harness.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
