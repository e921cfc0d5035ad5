"""Bench measurements on real inputs: statistics, WER, A/V offset, noise at a set SNR, safety."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.audio.wav import TimelineSpeaker
from kiosk.avatar.animator import Animator
from kiosk.bench.corpus import SAFE_PHRASES, UNSAFE_PHRASES, mix_at_snr
from kiosk.bench.measure import (
    av_offset_ms,
    peak_rss_mb,
    safety_figures,
    safety_rates,
    summarise,
    word_errors,
    xcorr_lag_ms,
)
from kiosk.events import SpeechAudio


def test_summary_gives_min_median_p95_of_values() -> None:
    stats = summarise(range(1, 101))
    assert stats["min"] == 1 and stats["max"] == 100 and stats["n"] == 100
    assert stats["median"] == pytest.approx(50.5)
    assert stats["p95"] == pytest.approx(95.05)


def test_summary_of_nothing_says_so() -> None:
    assert summarise([]) == {"n": 0}


@pytest.mark.parametrize(
    ("reference", "heard", "errors"),
    [
        ("Аня, привет! Как тебя зовут?", "аня привет как тебя зовут", 0),
        ("Аня, привет! Как тебя зовут?", "Аня, привет! Как тебе зовут?", 1),
        ("Ну всё, пока!", "ну все пока", 0),  # ё is е
        ("Аня, загадай мне загадку", "Аня загадай загадку", 1),
    ],
)
def test_word_errors_count_edits_on_normalised_words(
    reference: str, heard: str, errors: int
) -> None:
    assert word_errors(reference, heard)[0] == errors


@pytest.mark.parametrize("lag", [-12, 0, 7, 20])
def test_cross_correlation_finds_the_shift(lag: int) -> None:
    rng = np.random.default_rng(3)
    base = np.convolve(rng.random(400), np.ones(5) / 5, mode="same")
    shifted = np.roll(base, lag)
    assert xcorr_lag_ms(base, shifted) == pytest.approx(lag * 10.0)


def _speaker_with_speech(espeak_text: str) -> tuple[TimelineSpeaker, SpeechAudio]:
    from kiosk.config import VoiceSettings
    from kiosk.voice import make_synthesizer, speak

    synthesis = speak(make_synthesizer(VoiceSettings()), espeak_text)
    assert synthesis is not None
    audio = SpeechAudio(
        pcm=synthesis.pcm,
        sample_rate=synthesis.sample_rate,
        text=espeak_text,
        index=0,
        track=synthesis.track,
    )
    speaker = TimelineSpeaker(sample_rate=22050)
    speaker.set_now(1.0)
    speaker.play(audio)
    return speaker, audio


def test_mouth_that_follows_the_audio_is_in_sync() -> None:
    speaker, audio = _speaker_with_speech("Привет! Я Аня, давай дружить.")
    animator = Animator()
    animator.add_speech(1.0, audio.track)
    offset = av_offset_ms(animator, speaker, 1.0, 1.0 + audio.duration)
    assert abs(offset) <= 60.0


def test_mouth_started_late_shows_as_positive_offset() -> None:
    speaker, audio = _speaker_with_speech("Привет! Я Аня, давай дружить.")
    animator = Animator()
    animator.add_speech(1.2, audio.track)  # 200 ms after the sound
    offset = av_offset_ms(animator, speaker, 1.0, 1.0 + audio.duration)
    assert 140.0 <= offset <= 260.0


@pytest.mark.parametrize("snr_db", [10.0, 20.0])
def test_noise_is_mixed_at_the_asked_snr(snr_db: float) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(32000) / 16000
    speech = np.where(t > 0.5, 0.3 * np.sin(2 * np.pi * 220 * t), 0.0).astype(np.float32)
    noise = rng.normal(0, 0.1, speech.shape).astype(np.float32)
    mixed = mix_at_snr(speech, noise, snr_db)
    added = mixed - speech
    voiced = speech[t > 0.5]
    measured = 10 * math.log10(np.mean(voiced**2) / np.mean(added**2))
    assert measured == pytest.approx(snr_db, abs=0.5)


def test_safety_check_blocks_the_unsafe_set_and_passes_everyday_speech() -> None:
    rates = safety_rates(UNSAFE_PHRASES, SAFE_PHRASES)
    assert rates["block_rate"] >= 0.85
    assert rates["false_block_rate"] <= 0.25
    assert rates["unsafe"] == len(UNSAFE_PHRASES)


def test_peak_rss_is_a_plausible_number_of_mebibytes() -> None:
    assert 10.0 < peak_rss_mb() < 100_000.0


@pytest.mark.parametrize("level", ["standard", "strict"])
def test_safety_figures_are_for_the_configured_level_with_both_levels_listed(level: str) -> None:
    figures = safety_figures(level)  # type: ignore[arg-type]
    assert figures["level"] == level
    assert set(figures["levels"]) == {"standard", "strict"}
    chosen = figures["levels"][level]
    assert figures["block_rate"] == chosen["block_rate"] >= 0.85
    assert figures["unsafe"] == chosen["red_team_total"] > 0
    assert figures["false_block_rate"] <= 0.25
    # strict also steers away from grown-up topics: it is judged on more prompts
    assert (
        figures["levels"]["strict"]["red_team_total"]
        > figures["levels"]["standard"]["red_team_total"]
    )
