from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.audio.wav import write_wav
from kiosk.voice.base import Synthesis
from kiosk.voice.espeak import EspeakSynthesizer
from kiosk.voice.normalize import normalize_for_speech


@pytest.fixture(scope="session")
def espeak_greeting() -> Synthesis:
    """Real espeak-ng speech for a short Russian greeting (made once per run)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (sudo apt install espeak-ng)")
    return EspeakSynthesizer().synthesize("Привет! Меня зовут Аня.")


SENTENCES = [
    "Привет, меня зовут Аня.",
    "Сегодня хорошая погода.",
    "Мы пойдём гулять в парк.",
    "У меня 3 кошки.",
]


def make_tiny_dataset(folder: Path) -> Path:
    """An LJSpeech folder of espeak-ng clips, one row without audio, one corrupt WAV."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng")
    (folder / "wavs").mkdir(parents=True)
    synth = EspeakSynthesizer()
    rows = []
    for i, text in enumerate(SENTENCES):
        spoken = normalize_for_speech(text)
        speech = synth.synthesize(spoken)
        write_wav(folder / "wavs" / f"clip_{i}.wav", speech.pcm, speech.sample_rate)
        rows.append(f"clip_{i}|{text}|{spoken}")
    (folder / "wavs" / "broken.wav").write_bytes(b"RIFF not really a wav")
    rows += ["broken|Сломанный файл.|сломанный файл.", "absent|Нет записи.|нет записи."]
    (folder / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_dataset() -> Callable[[Path], Path]:
    """``make(folder) -> folder``: an LJSpeech set of 4 espeak-ng clips + 2 bad rows."""
    return make_tiny_dataset
