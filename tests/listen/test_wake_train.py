"""Training the «Аня» head is reproducible: a reduced data set still separates the name."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from kiosk.listen.oww import OwwFeatures, WakeHead, backbone_dir
from kiosk.listen.wake_train import (
    HELD_OUT,
    TRAIN,
    build_clips,
    dataset,
    evaluate,
    fit_head,
    label_windows,
)

pytestmark = [
    pytest.mark.skipif(backbone_dir() is None, reason="needs openwakeword==0.4.0"),
    pytest.mark.skipif(
        any(shutil.which(t) is None for t in ("festival", "espeak-ng", "sox")),
        reason="needs festival festvox-ru espeak-ng sox",
    ),
]

SMALL = dataclasses.replace(TRAIN, positives=36, near_misses=24, ordinary=12, noise_only=4)
SMALL_HELD_OUT = dataclasses.replace(HELD_OUT, positives=12, near_misses=10, ordinary=4)


def test_clips_are_deterministic_and_mark_where_the_name_is() -> None:
    recipe = dataclasses.replace(
        SMALL, positives=3, near_misses=2, ordinary=1, noise_only=1, noisy_share=0.0
    )
    first, again = build_clips(recipe), build_clips(recipe)
    assert [c.kind for c in first] == ["wake"] * 3 + ["near_miss"] * 2 + ["ordinary", "noise"]
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first, again, strict=True))
    for clip in first[:3]:
        assert clip.wake is not None
        start, end = clip.wake
        assert 0.9 < start < end and 0.2 < end - start < 0.9
        inside = clip.samples[int(start * 16000) : int(end * 16000)].astype(np.float64)
        before = clip.samples[: int(0.8 * 16000)].astype(np.float64)
        assert np.sqrt(np.mean(inside**2)) > 50 * np.sqrt(np.mean(before**2))


def test_windows_after_the_name_are_positive_and_other_clips_all_negative() -> None:
    clips = build_clips(dataclasses.replace(SMALL, positives=1, near_misses=1, ordinary=0,
                                            noise_only=0))  # fmt: skip
    features = OwwFeatures()
    _, labels, ends = label_windows(clips[0], features, 8)
    assert clips[0].wake is not None
    assert set(ends[labels == 1]) and min(ends[labels == 1]) >= clips[0].wake[1]
    assert (labels == -1).any() and (labels == 0).any()
    _, other, _ = label_windows(clips[1], features, 8)
    assert (other == 0).all()


@pytest.mark.slow
def test_a_head_retrained_on_a_reduced_set_detects_held_out_names(tmp_path: Path) -> None:
    features = OwwFeatures()
    x, y = dataset(build_clips(SMALL), features, 8)
    head = fit_head(x, y, frames=8, epochs=25)
    head.save(tmp_path / "small.npz")
    head = WakeHead.load(tmp_path / "small.npz")
    held_out = build_clips(SMALL_HELD_OUT)
    xt, yt = dataset(held_out, features, 8)
    accuracy = float(((head.score(xt) >= 0.5) == (yt == 1)).mean())
    assert accuracy >= 0.9
    metrics = evaluate(head, held_out, 0.5, features)
    assert metrics["detection_rate"] >= 0.75, metrics
    assert metrics["false_wake_rate"] <= 0.25, metrics
