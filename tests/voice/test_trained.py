"""The "trained" engine: a real tiny checkpoint trained here speaks through the kiosk voice API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("torch")

import soundfile  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from kiosk.cli import main  # noqa: E402
from kiosk.config import VoiceSettings  # noqa: E402
from kiosk.errors import ConfigError, ModelCorrupt, ModelMissing  # noqa: E402
from kiosk.paths import Paths  # noqa: E402
from kiosk.voice import make_synthesizer, speak, uncached  # noqa: E402
from kiosk.voice.engines import engine_status  # noqa: E402
from kiosk.voice.trained import (  # noqa: E402
    TrainedSynthesizer,
    resolve_trained_checkpoint,
    trained_checkpoints,
)
from kiosk.voice.trainer import TrainOptions, train_voice  # noqa: E402

SENTENCE = "Привет! Меня зовут Аня."
LONGER = "Привет! Меня зовут Аня. У меня 2 кошки, и мы играем вместе каждый день."


def _paths(root: Path) -> Paths:
    return Paths(root, root / "models", root, root / "sock")


@pytest.fixture(scope="module")
def data_dir(
    tiny_dataset: Callable[[Path], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A data dir with one voice, ``child``, trained for 30 real steps of the tiny model."""
    root = tmp_path_factory.mktemp("data")
    voice = root / "voices" / "child"
    dataset = tiny_dataset(voice / "dataset")
    options = TrainOptions(
        steps=30, size="tiny", batch_size=4, learning_rate=3e-3, threads=1,
        checkpoint_every=1000, eval_sample=False, similarity=False,
    )  # fmt: skip
    train_voice(dataset, voice / "train-tiny", options)
    return root


@pytest.fixture(scope="module")
def synth(data_dir: Path) -> TrainedSynthesizer:
    made = uncached(make_synthesizer(VoiceSettings(engine="trained"), _paths(data_dir)))
    assert isinstance(made, TrainedSynthesizer)
    return made


def test_trained_voice_gives_audio_of_plausible_length(synth: TrainedSynthesizer) -> None:
    short, long = speak(synth, SENTENCE), speak(synth, LONGER)
    assert short is not None and long is not None
    assert synth.name == "trained:child@30" and synth.tiny
    assert short.sample_rate == 16000
    # espeak-ng says the sentence in about 1.7 s; durations are learnt from such clips
    assert 0.5 < short.duration < 6.0
    assert long.duration > 1.5 * short.duration


def test_timeline_covers_the_audio_and_opens_where_it_is_loud(
    synth: TrainedSynthesizer,
) -> None:
    import numpy as np

    speech = speak(synth, SENTENCE)
    assert speech is not None
    track = speech.track
    assert len(track.openness) == pytest.approx(speech.duration * track.rate, abs=1)
    samples = np.frombuffer(speech.pcm, dtype="<i2").astype(np.float64)
    hop = speech.sample_rate // int(track.rate)
    rms = [
        np.sqrt(np.mean(samples[i * hop : (i + 1) * hop] ** 2)) for i in range(len(track.openness))
    ]
    assert max(track.openness) > 0.5, "the mouth never opens"
    # the mouth follows the loudness of the generated audio
    assert np.corrcoef(track.openness, rms)[0, 1] > 0.3


def test_emotion_changes_the_speaking_speed(synth: TrainedSynthesizer) -> None:
    excited, sad = speak(synth, LONGER, "excited"), speak(synth, LONGER, "sad")
    assert excited is not None and sad is not None
    assert excited.duration < sad.duration


def test_text_without_letters_gives_no_audio(synth: TrainedSynthesizer) -> None:
    assert synth.synthesize("...").pcm == b""
    assert speak(synth, "😀") is None


def test_engine_status_names_the_tiny_voice_honestly(data_dir: Path) -> None:
    status = engine_status("trained", VoiceSettings(), _paths(data_dir))
    assert status.available
    assert "child" in status.detail and "не речь" in status.detail


def test_without_a_trained_voice_the_hint_names_the_training_command(tmp_path: Path) -> None:
    status = engine_status("trained", VoiceSettings(), _paths(tmp_path))
    assert not status.available and "kiosk voice train" in status.detail
    with pytest.raises(ModelMissing) as caught:
        make_synthesizer(VoiceSettings(engine="trained", checkpoint="anya"), _paths(tmp_path))
    assert "kiosk voice train --name anya" in caught.value.hint


def test_checkpoint_is_found_by_name_path_or_as_the_only_voice(data_dir: Path) -> None:
    paths = _paths(data_dir)
    expected = data_dir / "voices" / "child" / "train-tiny" / "last.pt"
    assert trained_checkpoints(paths) == {"child": expected}
    assert resolve_trained_checkpoint(paths, "") == expected
    assert resolve_trained_checkpoint(paths, "child") == expected
    assert resolve_trained_checkpoint(None, str(expected)) == expected
    with pytest.raises(ConfigError):
        resolve_trained_checkpoint(paths, "не имя!")


def test_two_trained_voices_need_a_choice(data_dir: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "data"
    shutil.copytree(data_dir / "voices", root / "voices")
    shutil.copytree(root / "voices" / "child", root / "voices" / "anya")
    with pytest.raises(ConfigError) as caught:
        resolve_trained_checkpoint(_paths(root), "")
    assert "anya" in caught.value.message and "voice.checkpoint" in caught.value.hint
    assert resolve_trained_checkpoint(_paths(root), "anya").parts[-3] == "anya"


def test_a_corrupt_checkpoint_is_refused_with_a_hint(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelCorrupt) as caught:
        TrainedSynthesizer(broken)
    assert caught.value.hint


def test_kiosk_say_speaks_with_the_trained_engine(
    kiosk_env: Paths, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_PATHS__DATA_DIR", str(data_dir))  # the module's trained voice
    out = tmp_path / "hi.wav"
    result = CliRunner().invoke(
        main,
        ["say", SENTENCE, "-o", str(out), "--timeline", "--engine", "trained", "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["engine"] == "trained:child@30"
    info = soundfile.info(out)
    assert info.samplerate == 16000 and 0.5 < info.duration < 6.0
    timeline = json.loads((tmp_path / "hi.timeline.json").read_text(encoding="utf-8"))
    assert len(timeline["openness"]) == pytest.approx(info.duration * 100, abs=1)
