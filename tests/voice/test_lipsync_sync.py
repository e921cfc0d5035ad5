"""The espeak-ng lip-sync timeline is in time with its own audio (no lag from filtering)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from kiosk.avatar.sync import onsets, xcorr_lag_ms
from kiosk.voice.base import Synthesis
from kiosk.voice.espeak import EspeakSynthesizer

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

RATE = 200
"""Envelope samples per second, as kiosk.avatar.sync compares a clip."""
LEAD_S = 0.3
"""Silence before the speech, so the first sound is an onset after a quiet gap."""

SENTENCES = [
    "Привет! Меня зовут Аня.",
    "Мама, папа и я пойдём в парк.",
    "Давай поиграем в загадки? Я загадаю животное.",
    "Сегодня хорошая погода, пошли гулять!",
    "Как дела в школе? Что было интересного?",
    "Ура! У нас всё получилось.",
    "Знаешь, кошки спят почти весь день.",
    "Ты молодец. Я тобой горжусь!",
    "Спокойной ночи, до завтра.",
]


def sound_and_mouth(speech: Synthesis) -> tuple[np.ndarray, np.ndarray]:
    """RMS envelope of the audio and the timeline's openness, both at ``RATE`` per second."""
    samples = np.frombuffer(speech.pcm, dtype="<i2").astype(np.float64) / 32768.0
    samples = np.concatenate([np.zeros(round(LEAD_S * speech.sample_rate)), samples])
    hop = speech.sample_rate // RATE
    n = len(samples) // hop
    envelope = np.sqrt((samples[: n * hop].reshape(-1, hop) ** 2).mean(axis=1))
    # Bin i holds [i, i+1) / RATE: read the timeline at the bin's centre.
    mouth = np.array([speech.track.openness_at((i + 0.5) / RATE - LEAD_S) for i in range(n)])
    return envelope, mouth


def onset_offsets_ms(envelope: np.ndarray, mouth: np.ndarray) -> list[float]:
    """Per loudness onset, the nearest mouth-opening onset minus it (as the clip check does)."""
    loudness = np.maximum(20.0 * np.log10(envelope + 1e-9), -55.0)
    sound = [t + 0.5 / RATE for t in onsets(loudness, RATE, 0.5)]
    opening = [t + 0.5 / RATE for t in onsets(mouth, RATE)]
    out = []
    for t in sound:
        near = min(opening, key=lambda m: abs(m - t), default=None)
        if near is not None and abs(near - t) < 0.3:
            out.append((near - t) * 1000.0)
    return out


@pytest.fixture(scope="module")
def spoken() -> list[Synthesis]:
    synth = EspeakSynthesizer()
    speeches = [synth.synthesize(text) for text in SENTENCES]
    if not speeches[0].track.visemes:
        pytest.skip("libespeak-ng did not load: no phoneme timeline")
    return speeches


def test_mouth_openings_meet_the_loudness_onsets(spoken):
    offsets = [ms for s in spoken for ms in onset_offsets_ms(*sound_and_mouth(s))]
    assert len(offsets) >= 12
    assert float(np.median(np.abs(offsets))) <= 15.0


def test_timeline_does_not_lag_its_audio(spoken):
    lags = [xcorr_lag_ms(*sound_and_mouth(s), RATE) for s in spoken]
    assert abs(float(np.median(lags))) <= 10.0


@pytest.mark.parametrize(
    "text", ["Привет!", "Папа пришёл.", "Бабушка пришла.", "Пойдём гулять.", "Кто там?"]
)
def test_mouth_opens_at_a_stops_release(text):
    """espeak-ng times a stop from its burst: the lips part there, not at the vowel."""
    speech = EspeakSynthesizer().synthesize(text)
    assert speech.track.visemes
    envelope, mouth = sound_and_mouth(speech)
    first = onset_offsets_ms(envelope, mouth)[0]
    assert -20.0 <= first <= 15.0
