"""``kiosk voice train``: the tiny model trains, resumes and reports; errors are one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("torch")

from kiosk.cli import main  # noqa: E402
from kiosk.paths import Paths  # noqa: E402


@pytest.fixture
def runner(kiosk_env: Paths) -> CliRunner:
    return CliRunner()


def test_tiny_training_runs_resumes_and_reports_json(
    runner: CliRunner, tmp_path: Path, tiny_dataset: Callable[[Path], Path]
) -> None:
    dataset = tiny_dataset(tmp_path / "anya" / "dataset")
    args = ["voice", "train", str(dataset), "--tiny", "--json", "--checkpoint-every", "2"]
    first = runner.invoke(main, [*args, "--steps", "3"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["from_step"] == 0 and report["step"] == 3 and report["clips"] == 4
    assert Path(report["checkpoint"]) == tmp_path / "anya" / "train-tiny" / "last.pt"
    assert len(report["skipped"]) == 2 and len(report["eval_samples"]) == 2
    second = runner.invoke(main, [*args, "--steps", "4"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["from_step"] == 3


def test_enrolled_voice_without_dataset_says_how_to_enroll(runner: CliRunner) -> None:
    result = runner.invoke(main, ["voice", "train", "--name", "anya", "--tiny", "--steps", "1"])
    assert result.exit_code != 0
    assert "kiosk voice enroll" in result.output and "Traceback" not in result.output


def test_help_is_honest_about_what_a_real_run_needs(runner: CliRunner) -> None:
    result = runner.invoke(main, ["voice", "train", "--help"])
    assert result.exit_code == 0
    assert "GPU" in result.output and "--tiny" in result.output and "not a voice" in result.output
