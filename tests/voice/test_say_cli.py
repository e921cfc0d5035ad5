from __future__ import annotations

import json
import shutil

import pytest
import soundfile
from click.testing import CliRunner

from kiosk.cli import main

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


@pytest.fixture
def runner(kiosk_env):
    return CliRunner()


def test_say_writes_wav_and_timeline(runner, tmp_path):
    out = tmp_path / "out.wav"
    result = runner.invoke(main, ["say", "Привет! Меня зовут Аня.", "-o", str(out), "--timeline"])
    assert result.exit_code == 0, result.output
    info = soundfile.info(out)
    assert info.samplerate == 22050 and info.channels == 1 and 0.8 < info.duration < 4.0
    timeline = json.loads((tmp_path / "out.timeline.json").read_text(encoding="utf-8"))
    assert timeline["rate"] == 100
    assert len(timeline["openness"]) == pytest.approx(info.duration * 100, abs=2)
    assert max(timeline["openness"]) > 0.5
    assert all(isinstance(t, float) and isinstance(v, str) for t, v in timeline["visemes"])
    assert "out.wav" in result.output and "с" in result.output


def test_say_json_reports_files_and_spoken_text(runner, tmp_path):
    out = tmp_path / "a.wav"
    result = runner.invoke(main, ["say", "Мне 12 лет", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["output"] == str(out) and report["timeline"] is None
    assert report["engine"] == "espeak:ru+f3" and report["spoken"] == "Мне двенадцать лет"
    assert report["duration"] > 0.5
    assert not (tmp_path / "a.timeline.json").exists()


def test_say_into_missing_folder_fails_clearly(runner, tmp_path):
    result = runner.invoke(main, ["say", "Привет", "-o", str(tmp_path / "nope" / "out.wav")])
    assert result.exit_code != 0
    assert "не существует" in result.output
    assert "Traceback" not in result.output


def test_say_onto_a_folder_fails_clearly(runner, tmp_path):
    result = runner.invoke(main, ["say", "Привет", "-o", str(tmp_path)])
    assert result.exit_code != 0 and "папка" in result.output


def test_say_with_nothing_to_say_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["say", "😀", "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 2
    assert not (tmp_path / "x.wav").exists()


def test_say_with_unknown_voice_reports_model_missing(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_VOICE__VOICE", "zz-nonexistent")
    result = runner.invoke(main, ["say", "Привет", "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 4
    assert "нет голоса" in result.output
