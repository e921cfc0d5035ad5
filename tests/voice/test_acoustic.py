"""The acoustic model's pieces: symbols, alignment search, mel features and their inverse."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from kiosk.voice.acoustic import (  # noqa: E402
    SIZES,
    VOCAB,
    MelExtractor,
    monotonic_alignment,
    text_to_ids,
)


def test_text_becomes_symbols_without_unknown_characters_or_double_spaces() -> None:
    ids = text_to_ids("Привет,  Аня!\u0301 ☺ ok")
    assert "".join(VOCAB[i] for i in ids) == "привет, аня!"
    assert text_to_ids("🙂 123") == []


def test_alignment_is_monotonic_and_gives_every_character_a_frame() -> None:
    rng = np.random.default_rng(0)
    path = monotonic_alignment(rng.normal(size=(5, 17)))
    assert path.sum(axis=0).tolist() == [1.0] * 17
    assert (path.sum(axis=1) >= 1).all()
    owners = path.argmax(axis=0)
    assert owners[0] == 0 and owners[-1] == 4 and (np.diff(owners) >= 0).all()


def test_alignment_follows_the_best_scores() -> None:
    score = np.full((3, 9), -10.0)
    score[0, :2] = score[1, 2:7] = score[2, 7:] = 0.0
    assert monotonic_alignment(score).sum(axis=1).tolist() == [2.0, 5.0, 2.0]


def test_mel_of_a_tone_peaks_in_its_band_and_griffin_lim_restores_its_pitch() -> None:
    config = SIZES["tiny"]
    extractor = MelExtractor(config)
    t = np.arange(config.sample_rate) / config.sample_rate
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    mel = extractor.mel(tone)
    assert mel.shape == (40, config.sample_rate // config.hop + 1)
    assert int(mel[:, 50].argmax()) in range(5, 12)
    audio = extractor.audio(mel, iterations=16)
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.fft.rfftfreq(audio.size, 1 / config.sample_rate)[spectrum.argmax()] - 440) < 40
