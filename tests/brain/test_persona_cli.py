"""``kiosk persona list/show/use`` through the real CLI, with a temporary config home."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.cli import main
from kiosk.paths import Paths


@pytest.fixture
def config_home(kiosk_env: Paths) -> Path:
    """The temporary ``XDG_CONFIG_HOME`` that ``kiosk_env`` points the kiosk at."""
    return Path(os.environ["XDG_CONFIG_HOME"])


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_list_marks_the_active_persona(config_home: Path) -> None:
    result = _run("persona", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.output)}
    assert {"anya", "masha", "robo"} <= set(rows)
    assert rows["anya"]["active"] and not rows["robo"]["active"]


def test_show_describes_a_persona_and_its_prompt(config_home: Path) -> None:
    result = _run("persona", "show", "robo", "--prompt")
    assert result.exit_code == 0, result.output
    assert "Робо (robo), 10" in result.output
    assert "Ты — Робо" in result.output


def test_use_switches_the_persona_in_the_config_file_and_keeps_comments(
    config_home: Path,
) -> None:
    config = config_home / "kiosk" / "kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# my settings\n[brain]\nengine = "scripted"\n', encoding="utf-8")
    result = _run("persona", "use", "robo")
    assert result.exit_code == 0, result.output
    assert "Робо" in result.output
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# my settings")
    data = tomllib.loads(text)
    assert data["general"]["persona"] == "robo" and data["brain"]["engine"] == "scripted"
    listed = json.loads(_run("persona", "list", "--json").output)
    assert [row["id"] for row in listed if row["active"]] == ["robo"]


def test_use_of_an_unknown_persona_names_the_choices_and_writes_nothing(
    config_home: Path,
) -> None:
    result = _run("persona", "use", "nobody")
    assert result.exit_code != 0
    assert "anya" in result.output and "robo" in result.output
    assert not (config_home / "kiosk" / "kiosk.toml").exists()
