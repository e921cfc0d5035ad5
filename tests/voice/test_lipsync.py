from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio.wav import float_to_pcm
from kiosk.voice.lipsync import VISEMES, track_from_audio, track_from_phonemes, viseme_for_phoneme


def padded(synthesis, seconds: float = 0.5) -> bytes:
    pad = bytes(int(seconds * synthesis.sample_rate) * 2)
    return pad + synthesis.pcm + pad


def test_track_is_closed_in_silence_and_open_during_speech(espeak_greeting):
    rate = espeak_greeting.sample_rate
    track = track_from_audio(padded(espeak_greeting), rate)
    values = np.array(track.openness)
    assert track.rate == 100.0
    assert track.duration == pytest.approx(espeak_greeting.duration + 1.0, abs=0.011)
    assert np.all(values[:45] == 0.0)  # leading 0.5 s of silence
    assert np.all(values[-25:] == 0.0)  # tail, after the release has decayed
    speech = values[55 : 55 + int(espeak_greeting.duration * 100) - 20]
    assert speech.max() > 0.8
    assert np.mean(speech > 0.3) > 0.4  # the mouth is open for much of the speech
    assert values.max() <= 1.0 and values.min() >= 0.0


def test_pure_silence_gives_exactly_zero():
    track = track_from_audio(bytes(16000 * 2), 16000)
    assert len(track.openness) == 100 and set(track.openness) == {0.0}


def test_empty_audio_gives_empty_track():
    assert track_from_audio(b"", 22050).openness == ()


def test_quiet_and_loud_clips_open_the_mouth_alike():
    t = np.arange(16000) / 16000
    wave = np.sin(2 * np.pi * 200 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    loud = track_from_audio(float_to_pcm(0.8 * wave), 16000)
    quiet = track_from_audio(float_to_pcm(0.05 * wave), 16000)
    assert max(loud.openness) == pytest.approx(max(quiet.openness), abs=0.05)


def test_smoothing_limits_jitter():
    rate = 16000
    noise = np.random.default_rng(0).normal(0, 0.3, rate)
    gate = np.repeat(np.tile([1.0, 0.0], 50), rate // 100)  # on/off every 10 ms
    track = track_from_audio(float_to_pcm(noise * gate), rate)
    steps = np.abs(np.diff(track.openness))
    assert steps.max() < 0.6


@pytest.mark.parametrize(
    ("phoneme", "viseme"),
    [("p", "MBP"), ("m;", "MBP"), ("A", "A"), ("V", "A"), ("u", "U"), ("tS", "SH"),
     ("ts", "SZ"), ("t", "DTN"), ("_:", "rest"), ("'o", "O"), ("@-", "E")],
)  # fmt: skip
def test_viseme_for_phoneme(phoneme, viseme):
    assert viseme_for_phoneme(phoneme) == viseme


def test_track_from_phonemes_labels_and_shapes_the_mouth():
    events = [(0.0, "_"), (0.1, "m"), (0.2, "A"), (0.4, "m"), (0.5, "A"), (0.7, "_")]
    track = track_from_phonemes(events, duration=0.8)
    assert track.viseme_at(0.3) == "A" and track.viseme_at(0.45) == "MBP"
    assert track.openness_at(0.35) > 0.8
    assert track.openness_at(0.15) < 0.1
    assert len(track.openness) == 80
    assert set(VISEMES) >= {v for _, v in track.visemes}
