"""The deploy examples name only commands the app has."""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click
import pytest

CRONTAB = Path(__file__).resolve().parents[2] / "deploy" / "crontab.example"


def cron_commands() -> list[list[str]]:
    """Each cron line's `vitrine-task` arguments: the flask command group and its command, then their options."""
    found = []
    for line in CRONTAB.read_text().splitlines():
        words = shlex.split(line, comments=False) if line.strip() and not line.lstrip().startswith("#") else []
        if "$TASK" in words:
            found.append(words[words.index("$TASK") + 1:])
    return found


def test_the_crontab_example_runs_commands() -> None:
    assert len(cron_commands()) >= 10


@pytest.mark.parametrize("arguments", cron_commands(), ids=lambda arguments: " ".join(arguments[:2]))
def test_each_cron_line_names_a_command_and_its_options(app: Any, arguments: list[str]) -> None:
    group = app.cli.commands.get(arguments[0]) or pytest.fail(f"no `flask {arguments[0]}`")
    assert isinstance(group, click.Group)
    command = group.commands.get(arguments[1]) or pytest.fail(f"no `flask {arguments[0]} {arguments[1]}`")
    options = {name for parameter in command.params for name in getattr(parameter, "opts", [])}
    assert {word for word in arguments[2:] if word.startswith("--")} <= options
