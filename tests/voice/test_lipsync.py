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


def test_a_stop_shapes_its_closure_and_releases_into_the_vowel():
    events = [(0.0, "_"), (0.2, "p"), (0.23, "A"), (0.4, "t"), (0.43, "_")]
    track = track_from_phonemes(events, duration=0.6)
    assert track.viseme_at(0.17) == "MBP"  # the closure, before espeak's burst time
    assert track.viseme_at(0.21) == "A"  # the lips part at the release
    assert track.viseme_at(0.41) == "DTN"  # before a pause the stop keeps its burst


def rising_crossing(track, level: float = 0.5) -> float:
    times = np.arange(0.0, track.duration, 0.0005)
    values = np.array([track.openness_at(t) for t in times])
    return float(times[np.argmax(values >= level * values.max())])


@pytest.mark.parametrize("onset", [0.3, 0.304, 0.307])
def test_smoothing_does_not_delay_the_opening(onset):
    """Zero-phase: half open within a 10 ms window of the sound (a causal filter lags)."""
    rate = 16000
    t = np.arange(rate) / rate
    tone = np.where((t >= onset) & (t < 0.7), 0.5 * np.sin(2 * np.pi * 220 * t), 0.0)
    pcm = float_to_pcm(tone)
    assert -0.010 <= rising_crossing(track_from_audio(pcm, rate)) - onset <= 0.004
    events = [(0.0, "_"), (onset, "A"), (0.7, "_")]
    envelope = track_from_audio(pcm, rate, smooth=False)
    track = track_from_phonemes(events, duration=1.0, envelope=envelope)
    assert -0.010 <= rising_crossing(track) - onset <= 0.004
