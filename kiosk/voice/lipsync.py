"""Lip-sync tracks: how open the mouth is along a piece of speech.

``track_from_audio`` works for every engine (it only needs the samples);
``track_from_phonemes`` adds viseme labels where an engine reports phoneme timings.
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
"""Time constant of opening, seconds (fast: plosives open the mouth at once)."""
RELEASE_S = 0.06
"""Time constant of closing, seconds (slower, so the mouth doesn't flutter)."""
CLOSED_BELOW = 0.02
"""Openness under this after smoothing is written as exactly 0."""

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
    attack = 1.0 - math.exp(-1.0 / (ATTACK_S * rate))
    release = 1.0 - math.exp(-1.0 / (RELEASE_S * rate))
    out = np.zeros_like(target)
    level = 0.0
    for i, value in enumerate(target):
        level += (attack if value > level else release) * (value - level)
        out[i] = level
    out[out < CLOSED_BELOW] = 0.0
    return out


def track_from_audio(pcm: bytes, sample_rate: int, rate: float = 100.0) -> LipSyncTrack:
    """Mouth openness from the loudness of 16-bit mono ``pcm``, ``rate`` values per second.

    RMS per window → dB; a noise gate closes the mouth in silence; openness is the level
    relative to the clip's own loud level through a soft knee; attack/release smoothing
    keeps the mouth from jittering. Silence gives exactly 0.
    """
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    hop = sample_rate / rate
    count = math.ceil(len(samples) / hop) if len(samples) else 0
    if count == 0:
        return LipSyncTrack(rate=rate, openness=())
    edges = np.round(np.arange(count + 1) * hop).astype(int).clip(0, len(samples))
    squares = np.concatenate(([0.0], np.cumsum(samples**2)))
    sizes = np.maximum(edges[1:] - edges[:-1], 1)
    rms = np.sqrt(np.maximum(squares[edges[1:]] - squares[edges[:-1]], 0.0) / sizes)
    db = 20.0 * np.log10(rms + 1e-12)
    voiced = db > GATE_DBFS
    if not voiced.any():
        return LipSyncTrack(rate=rate, openness=(0.0,) * count)
    loud = float(np.percentile(db[voiced], 90))
    floor = max(GATE_DBFS, loud - DYNAMIC_RANGE_DB)
    x = np.clip((db - floor) / max(loud - floor, 1e-6), 0.0, None)
    # Soft knee: linear near the floor, saturating towards 1 at the clip's loud level.
    target = np.clip(x * (1.0 + KNEE) / (x + KNEE), 0.0, 1.0)
    target[~voiced] = 0.0
    openness = _smooth(target, rate)
    return LipSyncTrack(rate=rate, openness=tuple(float(round(v, 4)) for v in openness))


def track_from_phonemes(
    phonemes: Sequence[tuple[float, str]],
    duration: float,
    rate: float = 100.0,
    envelope: LipSyncTrack | None = None,
) -> LipSyncTrack:
    """A track from (start seconds, espeak-ng phoneme) events covering ``duration`` seconds.

    Each phoneme's viseme sets the mouth shape; with an ``envelope`` (from
    ``track_from_audio``) its loudness scales the openness, so silence stays shut.
    """
    visemes: list[tuple[float, str]] = []
    for start, phoneme in sorted(phonemes):
        viseme = viseme_for_phoneme(phoneme)
        if not visemes or visemes[-1][1] != viseme:
            visemes.append((max(0.0, float(start)), viseme))
    count = math.ceil(duration * rate)
    shape = np.zeros(count)
    for i, (start, viseme) in enumerate(visemes):
        end = visemes[i + 1][0] if i + 1 < len(visemes) else duration
        shape[int(start * rate) : int(math.ceil(end * rate))] = VISEMES[viseme]
    if envelope is not None:
        loudness = np.array([envelope.openness_at(i / rate) for i in range(count)])
        shape = np.where(loudness > 0, np.sqrt(shape * loudness), 0.0)
    openness = _smooth(shape, rate)
    return LipSyncTrack(
        rate=rate,
        openness=tuple(float(round(v, 4)) for v in openness),
        visemes=tuple(visemes),
    )
