"""``kiosk doctor``: it says what is there and what to do, and exits non-zero on real errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import main
from kiosk.paths import Paths


def doctor() -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["doctor", "--json"])
    return result.exit_code, json.loads(result.output)


def by_area(report: dict, area: str) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in report["checks"] if c["area"] == area]


def test_missing_stt_model_is_an_error_with_the_fix(kiosk_env: Paths) -> None:
    code, report = doctor()
    assert code == 1
    assert not report["ok"]
    stt = by_area(report, "stt")[0]
    assert stt["level"] == "error"
    assert "install.sh" in stt["fix"] or "models" in stt["fix"]


def test_after_install_defaults_it_is_ready_and_honest_about_the_brain(kiosk_env: Paths) -> None:
    installed = CliRunner().invoke(main, ["models", "install-defaults"])
    assert installed.exit_code == 0, installed.output
    code, report = doctor()
    errors = [c for c in report["checks"] if c["level"] == "error"]
    assert code == 0, errors
    brain = by_area(report, "brain")[0]
    assert brain["level"] == "warn"
    assert "сценарные" in brain["message"]
    assert "kiosk models import" in brain["fix"]
    # No display, no sound card here: said so, not treated as errors.
    assert by_area(report, "display")[0]["level"] == "info"
    assert all(c["level"] in ("ok", "warn") for c in by_area(report, "audio"))
    assert by_area(report, "gpu")[0]["level"] in ("ok", "info")


def test_bad_config_is_reported_not_raised(kiosk_env: Paths, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[voice]\npitch = 500\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(cfg), "doctor", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["checks"][0]["area"] == "config"
    assert "voice.pitch" in report["checks"][0]["message"]


def test_plain_output_marks_problems_with_fixes(kiosk_env: Paths) -> None:
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 1
    assert "✘" in result.output
    assert "→" in result.output
