"""The Coqui XTTS adapter as far as it runs without the weights (none can be shipped here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from kiosk.config import VoiceSettings
from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.paths import Paths
from kiosk.voice import make_synthesizer
from kiosk.voice.coqui import CoquiSynthesizer, check_xtts_dir, reference_clips


def _paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path, tmp_path / "models", tmp_path, tmp_path / "sock")


def _enrolled(tmp_path: Path, name: str = "anya") -> Path:
    voice = tmp_path / "voices" / name
    (voice / "dataset" / "wavs").mkdir(parents=True)
    clips = [
        {"id": "a_0001", "duration": 2.5, "snr_db": 60.0},
        {"id": "a_0002", "duration": 6.0, "snr_db": 30.0},
        {"id": "a_0003", "duration": 8.0, "snr_db": 45.0},
    ]
    for clip in clips:
        (voice / "dataset" / "wavs" / f"{clip['id']}.wav").write_bytes(b"RIFF")
    (voice / "dataset" / "report.json").write_text(json.dumps({"clips": clips}))
    return voice


def _xtts_dir(tmp_path: Path, model: str = "xtts") -> Path:
    folder = tmp_path / "XTTS-v2"
    folder.mkdir()
    for name in ("model.pth", "vocab.json"):
        (folder / name).write_bytes(b"x")
    (folder / "config.json").write_text(json.dumps({"model": model}))
    return folder


def test_reference_clips_prefer_clean_clips_of_4_to_12_s(tmp_path: Path) -> None:
    refs = reference_clips(_enrolled(tmp_path), count=2)
    assert [p.stem for p in refs] == ["a_0003", "a_0002"]


def test_voice_not_enrolled_says_how_to_enroll(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as caught:
        make_synthesizer(VoiceSettings(engine="coqui", voice="anya"), _paths(tmp_path))
    assert "kiosk voice enroll" in caught.value.hint


def test_missing_xtts_weights_name_the_import_command(tmp_path: Path) -> None:
    _enrolled(tmp_path)
    with pytest.raises(ModelMissing) as caught:
        make_synthesizer(VoiceSettings(engine="coqui", voice="anya"), _paths(tmp_path))
    hint = caught.value.hint
    assert "kiosk models import" in hint and "XTTS-v2" in hint
    assert all(name in hint for name in ("model.pth", "config.json", "vocab.json"))


def test_incomplete_or_foreign_checkpoint_is_refused(tmp_path: Path) -> None:
    folder = _xtts_dir(tmp_path)
    (folder / "vocab.json").unlink()
    with pytest.raises(ModelMissing, match="vocab.json"):
        check_xtts_dir(folder)
    (folder / "vocab.json").write_text("{}")
    (folder / "config.json").write_text(json.dumps({"model": "vits"}))
    with pytest.raises(ModelCorrupt, match="не модель XTTS"):
        check_xtts_dir(folder)


@pytest.mark.skipif(importlib.util.find_spec("TTS") is not None, reason="coqui-tts installed")
def test_without_coqui_tts_the_error_names_the_voice_clone_install(tmp_path: Path) -> None:
    refs = reference_clips(_enrolled(tmp_path))
    with pytest.raises(RuntimeError, match=r"install\.sh --voice-clone"):
        CoquiSynthesizer(_xtts_dir(tmp_path), refs)
