"""Cutting a recording into 2–12 s utterances at its pauses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["speech_regions", "split_utterances"]

MIN_PAUSE_S = 0.24
"""A gap between words at least this long may end an utterance."""
SENTENCE_PAUSE_S = 0.5
"""A gap this long is a sentence break: an utterance ends there once it is long enough."""
EDGE_S = 0.15
"""Silence kept before and after each utterance so no word onset is cut."""


def speech_regions(voiced: np.ndarray, frame_s: float) -> list[tuple[float, float]]:
    """(start, end) seconds of voiced stretches, bridging gaps shorter than ``MIN_PAUSE_S``."""
    regions: list[tuple[float, float]] = []
    indices = np.flatnonzero(voiced)
    if indices.size == 0:
        return regions
    max_gap = max(1, round(MIN_PAUSE_S / frame_s))
    start = prev = int(indices[0])
    for i in indices[1:]:
        if i - prev > max_gap:
            regions.append((start * frame_s, (prev + 1) * frame_s))
            start = int(i)
        prev = int(i)
    regions.append((start * frame_s, (prev + 1) * frame_s))
    return regions


def _cut_long(region: tuple[float, float], max_s: float) -> list[tuple[float, float]]:
    """Split a region with no usable pause into equal pieces no longer than ``max_s``."""
    start, end = region
    pieces = int(np.ceil((end - start) / max_s))
    step = (end - start) / pieces
    return [(start + k * step, start + (k + 1) * step) for k in range(pieces)]


def split_utterances(
    regions: Sequence[tuple[float, float]],
    total_s: float,
    min_s: float = 2.0,
    max_s: float = 12.0,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Group speech ``regions`` into utterances of ``min_s``..``max_s`` seconds.

    Regions are joined greedily while the utterance stays under ``max_s``; a
    sentence-length pause closes an utterance that already has ``min_s``. Each
    utterance keeps ``EDGE_S`` of context on both sides (within the recording).
    Returns (kept, too_short): pieces shorter than ``min_s`` that could not be
    joined to a neighbour are returned separately so the report can count them.
    """
    pieces: list[tuple[float, float]] = []
    for region in regions:
        if region[1] - region[0] > max_s - 2 * EDGE_S:
            pieces.extend(_cut_long(region, max_s - 2 * EDGE_S))
        else:
            pieces.append(region)
    groups: list[list[float]] = []
    for start, end in pieces:
        if groups:
            current = groups[-1]
            gap = start - current[1]
            fits = end - current[0] + 2 * EDGE_S <= max_s
            long_enough = current[1] - current[0] + 2 * EDGE_S >= min_s
            if fits and not (gap >= SENTENCE_PAUSE_S and long_enough):
                current[1] = end
                continue
        groups.append([start, end])
    kept: list[tuple[float, float]] = []
    short: list[tuple[float, float]] = []
    for start, end in groups:
        padded = (max(0.0, start - EDGE_S), min(total_s, end + EDGE_S))
        (kept if padded[1] - padded[0] >= min_s else short).append(padded)
    return kept, short
