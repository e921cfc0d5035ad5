from __future__ import annotations

import shutil

import numpy as np
import pytest

from kiosk.audio.wav import pcm_to_float
from kiosk.errors import ModelMissing
from kiosk.voice.festival import FestivalSynthesizer

requires_festival = pytest.mark.skipif(shutil.which("text2wave") is None, reason="needs festival")


@requires_festival
def test_festival_speaks_russian():
    synthesis = FestivalSynthesizer().synthesize("Привет! Меня зовут Аня.")
    assert synthesis.sample_rate == 16000
    assert 0.8 <= synthesis.duration <= 5.0
    assert float(np.sqrt(np.mean(pcm_to_float(synthesis.pcm) ** 2))) > 0.02
    assert max(synthesis.track.openness) > 0.5


@requires_festival
def test_festival_unknown_voice_is_model_missing():
    with pytest.raises(ModelMissing, match="нет голоса"):
        FestivalSynthesizer("no_such_voice").synthesize("привет")


def test_festival_rejects_voice_names_that_could_inject_scheme():
    with pytest.raises(ModelMissing):
        FestivalSynthesizer('x) (system "rm"')


def test_festival_missing_binary_says_how_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ModelMissing) as err:
        FestivalSynthesizer().synthesize("привет")
    assert "festvox-ru" in err.value.hint


def test_festival_empty_text_is_empty():
    assert FestivalSynthesizer().synthesize("").pcm == b""
    assert FestivalSynthesizer().name == "festival:msu_ru_nsh_clunits"


def _median_pitch(synthesis) -> float:
    import soxr

    from kiosk.voice.enroll.audio import pitch_range

    samples = soxr.resample(pcm_to_float(synthesis.pcm), synthesis.sample_rate, 16000)
    return float(np.median(pitch_range(samples)))


@requires_festival
def test_happy_festival_speech_is_faster_and_higher_than_sad():
    synth = FestivalSynthesizer()
    text = "Сегодня мы пойдём гулять в парк."
    happy, sad = synth.synthesize(text, "happy"), synth.synthesize(text, "sad")
    assert sad.duration > happy.duration * 1.1
    assert _median_pitch(happy) > _median_pitch(sad) * 1.1
    assert happy.track.duration == pytest.approx(happy.duration, abs=0.011)
