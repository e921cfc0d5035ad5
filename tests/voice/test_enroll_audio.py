"""Enrollment's signal pieces: clipping, pitch, loudness, pause splitting, voice names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.errors import ConfigError
from kiosk.paths import Paths
from kiosk.voice.enroll import voice_dir
from kiosk.voice.enroll.audio import clipped_fraction, loudness_gain, pitch_range
from kiosk.voice.enroll.segment import speech_regions, split_utterances

RATE = 16000


def _tone(freq: float, seconds: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    # A few harmonics, like a voice, so the fundamental is not the only peak.
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (amplitude * wave / 1.8).astype(np.float32)


def test_a_lone_peak_is_not_clipping_but_a_flat_top_is() -> None:
    samples = _tone(150, 1.0)
    samples[100] = 1.0
    assert clipped_fraction(samples) == 0.0
    squashed = np.clip(samples * 20, -1.0, 1.0)
    assert clipped_fraction(squashed) > 0.3


@pytest.mark.parametrize("freq", [110.0, 220.0, 330.0])
def test_pitch_of_a_periodic_sound_is_its_fundamental(freq: float) -> None:
    f0 = pitch_range(_tone(freq, 1.0))
    assert f0 and np.median(f0) == pytest.approx(freq, rel=0.03)


def test_noise_has_no_pitch() -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, RATE).astype(np.float32)
    assert len(pitch_range(noise)) < 5


def test_loudness_gain_reaches_the_target_without_exceeding_the_peak_limit() -> None:
    import pyloudnorm

    quiet = _tone(200, 2.0, amplitude=0.01)
    gain, before = loudness_gain(quiet, RATE, -23.0)
    after = pyloudnorm.Meter(RATE).integrated_loudness((quiet * gain).astype(np.float64))
    assert before < -40 and after == pytest.approx(-23.0, abs=0.5)
    spiky = _tone(200, 2.0, amplitude=0.01)
    spiky[1000] = 0.9
    gain, _ = loudness_gain(spiky, RATE, -10.0)
    assert np.max(np.abs(spiky * gain)) <= 0.891


def test_too_short_audio_is_left_at_unit_gain() -> None:
    assert loudness_gain(_tone(200, 0.2), RATE, -23.0)[0] == 1.0


def _voiced(pattern: list[tuple[float, bool]], frame_s: float = 0.03) -> np.ndarray:
    return np.concatenate([np.full(round(s / frame_s), v) for s, v in pattern])


def test_short_gaps_inside_a_phrase_are_bridged() -> None:
    voiced = _voiced([(0.3, False), (1.0, True), (0.12, False), (1.5, True), (0.6, False)])
    regions = speech_regions(voiced, 0.03)
    assert len(regions) == 1
    assert regions[0][0] == pytest.approx(0.3, abs=0.03)


def test_sentences_become_utterances_and_a_long_monologue_is_cut_under_12_s() -> None:
    voiced = _voiced([(0.3, False), (3.0, True), (0.7, False), (3.0, True), (0.7, False)])
    kept, short = split_utterances(speech_regions(voiced, 0.03), total_s=7.7)
    assert len(kept) == 2 and not short
    monologue = _voiced([(0.2, False), (30.0, True), (0.2, False)])
    kept, _ = split_utterances(speech_regions(monologue, 0.03), total_s=30.4)
    assert len(kept) == 3 and all(end - start <= 12.0 for start, end in kept)


def test_close_phrases_are_joined_and_a_lone_word_is_reported_short() -> None:
    voiced = _voiced([(0.3, False), (1.0, True), (0.3, False), (1.2, True), (2.0, False),
                      (0.4, True), (0.5, False)])  # fmt: skip
    kept, short = split_utterances(speech_regions(voiced, 0.03), total_s=5.7)
    assert len(kept) == 1 and kept[0][1] - kept[0][0] > 2.5
    assert len(short) == 1


@pytest.mark.parametrize("bad", ["", "../etc", "a b", "speakers", "x" * 41])
def test_unsafe_or_reserved_voice_names_are_refused(bad: str, tmp_path: Path) -> None:
    paths = Paths(tmp_path, tmp_path / "models", tmp_path, tmp_path / "sock")
    with pytest.raises(ConfigError):
        voice_dir(paths, bad)
    assert voice_dir(paths, "аня-2") == tmp_path / "voices" / "аня-2"
