"""Lip-sync tracks: how open the mouth is along a piece of speech.

``track_from_audio`` works for every engine (it only needs the samples);
``track_from_phonemes`` adds viseme labels where an engine reports phoneme timings.
The whole sentence is known before it plays, so every filter here is zero-phase:
value ``i`` shows the sound at ``i / rate`` seconds, neither earlier nor later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from kiosk.events import LipSyncTrack

__all__ = ["VISEMES", "track_from_audio", "track_from_phonemes", "viseme_for_phoneme"]

GATE_DBFS = -50.0
"""Windows quieter than this (dB re full scale) are silence: the mouth is shut."""
DYNAMIC_RANGE_DB = 30.0
"""Windows this far below the clip's loud level count as closed."""
KNEE = 0.35
"""Soft-knee strength: higher compresses loud syllables more (mouth less often wide open)."""
ATTACK_S = 0.02
"""Half-width of the zero-phase edge smoothing, seconds (short: plosives open at once)."""
RELEASE_S = 0.03
"""Time constant of closing, seconds (held open briefly so the mouth doesn't flutter).

Longer holds read as lag: the animator's coarticulation window already smooths.
"""
CLOSED_BELOW = 0.02
"""Openness under this after smoothing is written as exactly 0."""
STOP_CLOSURE_S = 0.04
"""How long a stop's closure lasts before its release, seconds (espeak-ng: 20–45 ms)."""

VISEMES: dict[str, float] = {
    "rest": 0.0,
    "MBP": 0.0,
    "FV": 0.2,
    "TH": 0.3,
    "DTN": 0.35,
    "SZ": 0.25,
    "SH": 0.35,
    "KG": 0.4,
    "L": 0.4,
    "R": 0.4,
    "I": 0.45,
    "E": 0.6,
    "A": 1.0,
    "O": 0.75,
    "U": 0.45,
}
"""Viseme labels and how open each leaves the mouth (0..1)."""

# espeak-ng phoneme mnemonics (Russian and common ones) by first letter(s).
_PHONEME_VISEMES = (
    (("_", ""), "rest"),
    (("m", "b", "p"), "MBP"),
    (("f", "v"), "FV"),
    (("T", "D"), "TH"),
    (("d", "t", "n"), "DTN"),
    (("s", "z", "ts"), "SZ"),
    (("S", "Z", "tS", "dZ", "C", "x"), "SH"),
    (("k", "g", "j", "N"), "KG"),
    (("l", "L"), "L"),
    (("r", "R"), "R"),
    (("i", "I", "y", "1"), "I"),
    (("e", "E", "@"), "E"),
    (("a", "A", "V", "0"), "A"),
    (("o", "O"), "O"),
    (("u", "U", "w"), "U"),
)


def viseme_for_phoneme(phoneme: str) -> str:
    """The viseme label for an espeak-ng phoneme mnemonic (``rest`` for pauses/unknown)."""
    name = phoneme.strip().lstrip("'\",%=")
    for prefixes, viseme in sorted(_PHONEME_VISEMES, key=lambda p: -max(map(len, p[0]))):
        if any(prefix and name.startswith(prefix) for prefix in prefixes):
            return viseme
    return "rest"


def _smooth(target: np.ndarray, rate: float) -> np.ndarray:
    """Zero-phase smoothing of a per-window openness target.

    The whole sentence is known before playback, so nothing here is causal: a
    release hold keeps the mouth from snapping shut between syllables (it only
    lengthens closings), then a centred Hann window of ``2 * ATTACK_S`` rounds
    both edges without moving them in time. A causal attack filter would make
    every opening late by about its time constant.
    """
    release = 1.0 - math.exp(-1.0 / (RELEASE_S * rate))
    held = np.empty_like(target)
    level = 0.0
    for i, value in enumerate(target):
        level = value if value >= level else level + release * (value - level)
        held[i] = level
    half = max(1, round(ATTACK_S * rate))
    kernel = np.hanning(2 * half + 1)
    out = np.convolve(held, kernel / kernel.sum(), mode="same")
    out[out < CLOSED_BELOW] = 0.0
    return np.clip(out, 0.0, 1.0)


def _loudness_target(pcm: bytes, sample_rate: int, rate: float) -> np.ndarray:
    """Unsmoothed openness (0..1) from loudness, one value per 1/``rate`` s.

    Value ``i`` is the RMS of the window centred on ``i / rate`` seconds, the time
    ``LipSyncTrack.openness_at`` gives it (a window starting there would put every
    onset half a window early).
    """
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    hop = sample_rate / rate
    count = math.ceil(len(samples) / hop) if len(samples) else 0
    if count == 0:
        return np.zeros(0)
    edges = np.round((np.arange(count + 1) - 0.5) * hop).astype(int).clip(0, len(samples))
    squares = np.concatenate(([0.0], np.cumsum(samples**2)))
    sizes = np.maximum(edges[1:] - edges[:-1], 1)
    rms = np.sqrt(np.maximum(squares[edges[1:]] - squares[edges[:-1]], 0.0) / sizes)
    db = 20.0 * np.log10(rms + 1e-12)
    voiced = db > GATE_DBFS
    if not voiced.any():
        return np.zeros(count)
    loud = float(np.percentile(db[voiced], 90))
    floor = max(GATE_DBFS, loud - DYNAMIC_RANGE_DB)
    x = np.clip((db - floor) / max(loud - floor, 1e-6), 0.0, None)
    # Soft knee: linear near the floor, saturating towards 1 at the clip's loud level.
    target = np.clip(x * (1.0 + KNEE) / (x + KNEE), 0.0, 1.0)
    target[~voiced] = 0.0
    return target


def track_from_audio(
    pcm: bytes, sample_rate: int, rate: float = 100.0, *, smooth: bool = True
) -> LipSyncTrack:
    """Mouth openness from the loudness of 16-bit mono ``pcm``, ``rate`` values per second.

    RMS per window → dB; a noise gate closes the mouth in silence; openness is the level
    relative to the clip's own loud level through a soft knee; zero-phase smoothing
    (``smooth``) keeps the mouth from jittering without delaying it. Silence gives
    exactly 0. ``smooth=False`` gives the raw loudness, for ``track_from_phonemes``.
    """
    target = _loudness_target(pcm, sample_rate, rate)
    openness = _smooth(target, rate) if smooth and len(target) else target
    return LipSyncTrack(rate=rate, openness=tuple(float(round(v, 4)) for v in openness))


def _is_stop(phoneme: str) -> bool:
    """Whether ``phoneme`` is a plosive (p b t d k g, palatalised too), not an affricate."""
    name = phoneme.strip().lstrip("'\",%=")
    return name[:1] in ("p", "b", "t", "d", "k", "g") and name[:2] not in ("ts", "tS", "dZ")


def _viseme_spans(phonemes: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """(start seconds, viseme) per change of mouth shape, with stops moved onto their closure.

    espeak-ng times a stop from its release (the burst), leaving the silent closure
    at the end of the phoneme before. The lips and tongue part at the release, so
    the shape of the sound that follows starts there, and the stop's own shape
    covers the ``STOP_CLOSURE_S`` before it. Before a pause the stop keeps its
    burst (nothing follows it to open towards).
    """
    events = [(max(0.0, float(start)), phoneme) for start, phoneme in sorted(phonemes)]
    starts = [start for start, _ in events]
    labels = [viseme_for_phoneme(phoneme) for _, phoneme in events]
    for i in range(len(events) - 1):
        if _is_stop(events[i][1]) and labels[i + 1] != "rest":
            release = events[i][0]
            before = starts[i - 1] if i > 0 else 0.0
            starts[i] = max(before, release - STOP_CLOSURE_S)
            starts[i + 1] = release
    visemes: list[tuple[float, str]] = []
    for start, viseme in zip(starts, labels, strict=True):
        while visemes and visemes[-1][0] >= start:
            visemes.pop()  # zero-length: espeak's pause and phoneme at one time, or two stops
        if not visemes or visemes[-1][1] != viseme:
            visemes.append((start, viseme))
    return visemes


def track_from_phonemes(
    phonemes: Sequence[tuple[float, str]],
    duration: float,
    rate: float = 100.0,
    envelope: LipSyncTrack | None = None,
) -> LipSyncTrack:
    """A track from (start seconds, espeak-ng phoneme) events covering ``duration`` seconds.

    Each phoneme's viseme sets the mouth shape; with an ``envelope`` (from
    ``track_from_audio(..., smooth=False)``: smoothing happens once, here) its
    loudness scales the openness, so silence stays shut. Value ``i`` of the track
    shows the viseme sounding at ``i / rate`` seconds.
    """
    visemes = _viseme_spans(phonemes)
    count = math.ceil(duration * rate)
    shape = np.zeros(count)
    for i, (start, viseme) in enumerate(visemes):
        end = visemes[i + 1][0] if i + 1 < len(visemes) else duration
        shape[round(start * rate) : round(end * rate)] = VISEMES[viseme]
    if envelope is not None:
        loudness = np.array([envelope.openness_at(i / rate) for i in range(count)])
        shape = np.where(loudness > 0, np.sqrt(shape * loudness), 0.0)
    openness = _smooth(shape, rate)
    return LipSyncTrack(
        rate=rate,
        openness=tuple(float(round(v, 4)) for v in openness),
        visemes=tuple(visemes),
    )
