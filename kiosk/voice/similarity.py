"""How close a synthetic voice is to the recordings it was made from (resemblyzer's GE2E encoder).

The number alone says little, so the recordings' similarity among themselves is
measured too: a synthetic voice near that ceiling sounds like the same speaker;
different speakers usually score below 0.75.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.errors import AudioFormatError

__all__ = ["VoiceSimilarity", "voice_similarity"]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VoiceSimilarity:
    """Cosine similarities of speaker embeddings (1.0: the same voice print)."""

    synthetic: float
    """Mean similarity of the synthetic speech to each recording."""
    recordings: float | None
    """Mean similarity of the recordings to one another (None with a single recording)."""
    references: int
    """Recordings compared."""


def voice_similarity(
    synthetic: np.ndarray, sample_rate: int, references: list[Path], limit: int = 5
) -> VoiceSimilarity | None:
    """Similarity of float ``synthetic`` audio to up to ``limit`` reference WAVs.

    None when the speaker encoder (``speaker`` extra) is not installed or no
    clip is long enough to judge.
    """
    from kiosk.audio.wav import pcm_to_float, read_wav, resample
    from kiosk.listen.speaker import ENCODER_RATE, VoiceEncoder, cosine

    try:
        encoder = VoiceEncoder(threads=0)
    except RuntimeError as exc:
        _LOGGER.info("no speaker similarity: %s", exc)
        return None
    pcm = np.round(np.clip(synthetic, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    embeddings = []
    for path in references[:limit]:
        try:
            ref_pcm, rate = read_wav(path)
            if rate != ENCODER_RATE:
                ref_pcm = resample(ref_pcm, rate, ENCODER_RATE)
            embeddings.append(encoder.embed_float(pcm_to_float(ref_pcm)))
        except (AudioFormatError, OSError) as exc:
            _LOGGER.info("reference %s skipped: %s", path.name, exc)
    try:
        target = encoder.embed(pcm, sample_rate)
    except AudioFormatError as exc:
        _LOGGER.info("synthetic sample too short to judge: %s", exc.message)
        return None
    if not embeddings:
        return None
    pairs = list(itertools.combinations(embeddings, 2))
    return VoiceSimilarity(
        synthetic=round(float(np.mean([cosine(target, e) for e in embeddings])), 3),
        recordings=round(float(np.mean([cosine(a, b) for a, b in pairs])), 3) if pairs else None,
        references=len(embeddings),
    )
