"""The ``kiosk`` command shell: help, config errors become one line and an exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main

# No KIOSK_* variable or user config from the shell running the tests may change the answers.
pytestmark = pytest.mark.usefixtures("kiosk_env")


def test_help_lists_the_contract_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("run", "demo", "chat", "listen", "say", "models", "doctor", "memory", "data"):
        assert f"  {name} " in result.output


def test_bad_config_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[stt]\nbeam_size = 0\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(cfg), "config", "check"])
    assert result.exit_code == 2
    assert "stt.beam_size" in result.output
    assert "Traceback" not in result.output


def test_missing_config_file_exits_non_zero(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "config", "show"])
    assert result.exit_code == 2
    assert "не найден" in result.output


def test_config_show_json_has_every_section(tmp_path: Path) -> None:
    cfg = tmp_path / "ok.toml"
    cfg.write_text('[general]\nchild_name = "Маша"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(cfg), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert '"child_name": "Маша"' in result.output
    for section in ("stt", "brain", "voice", "avatar", "listen"):
        assert f'"{section}"' in result.output
