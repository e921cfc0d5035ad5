"""Measure end-of-speech delay: how long after the child stops the kiosk knows it.

The true end of speech comes from the clean recording's energy (the last 10 ms
block within 35 dB of the loudest one); the same recording, possibly with noise
mixed in, is fed frame by frame to an endpointer. The delay is ``decided_at``
of the last utterance minus the true end. A recording whose speech is cut in
two (a pause taken for the end) counts as ``split``; one never ended before the
file ran out counts as ``missed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kiosk.events import AudioFrame, SpeechEnded
from kiosk.listen.base import Endpointer

__all__ = [
    "EndpointResult",
    "endpoint_delay",
    "frames_of",
    "pink_noise",
    "speech_end",
    "summarize",
    "with_noise",
]


@dataclass(frozen=True, slots=True)
class EndpointResult:
    """One recording through one endpointer."""

    true_end: float
    """End of speech in the clean recording, seconds."""
    delay_ms: float | None
    """When the end was decided, relative to the true end (None when missed)."""
    utterances: int
    """How many utterances the endpointer cut (1 is right)."""

    @property
    def split(self) -> bool:
        """The speech was cut into several utterances."""
        return self.utterances > 1


def speech_end(samples: NDArray[np.int16], rate: int = 16000, below_peak_db: float = 35.0) -> float:
    """Seconds to the end of the last 10 ms block within ``below_peak_db`` of the loudest."""
    block = rate // 100
    usable = samples[: len(samples) // block * block].astype(np.float64).reshape(-1, block)
    energy = 10 * np.log10((usable**2).mean(axis=1) + 1e-9)
    loud = np.flatnonzero(energy >= energy.max() - below_peak_db)
    return float((loud[-1] + 1) * block / rate) if loud.size else 0.0


def pink_noise(n: int, seed: int = 0) -> NDArray[np.float64]:
    """Unit-power pink (1/f) noise."""
    white = np.random.default_rng(seed).standard_normal(n)
    spectrum = np.fft.rfft(white) / np.sqrt(np.maximum(np.fft.rfftfreq(n), 1.0 / n))
    pink = np.fft.irfft(spectrum, n)
    return pink / np.sqrt(np.mean(pink**2))


def with_noise(samples: NDArray[np.int16], snr_db: float, seed: int = 0) -> NDArray[np.int16]:
    """``samples`` plus pink noise at ``snr_db`` (speech power over its louder half)."""
    x = samples.astype(np.float64)
    blocks = x[: len(x) // 160 * 160].reshape(-1, 160)
    power = (blocks**2).mean(axis=1)
    speech_power = float(power[power >= np.median(power)].mean())
    noise = pink_noise(len(x), seed) * np.sqrt(speech_power / 10 ** (snr_db / 10))
    return np.clip(x + noise, -32768, 32767).astype(np.int16)


def frames_of(
    samples: NDArray[np.int16], rate: int = 16000, frame_ms: int = 30
) -> Iterable[AudioFrame]:
    """Cut samples into whole ``frame_ms`` frames with timestamps from 0."""
    n = rate * frame_ms // 1000
    for i in range(len(samples) // n):
        yield AudioFrame(samples[i * n : (i + 1) * n].tobytes(), rate, i * n / rate)


def endpoint_delay(
    endpointer: Endpointer, clean: NDArray[np.int16], fed: NDArray[np.int16] | None = None
) -> EndpointResult:
    """Run ``fed`` (default: ``clean``) through ``endpointer``; the true end is ``clean``'s."""
    true_end = speech_end(clean)
    endpointer.reset()
    ended: list[SpeechEnded] = []
    for frame in frames_of(clean if fed is None else fed):
        ended += [e for e in endpointer.feed(frame) if isinstance(e, SpeechEnded)]
    cut = [e for e in ended if e.decided_at >= true_end - 0.05]
    delay = (cut[0].decided_at - true_end) * 1000 if cut else None
    return EndpointResult(true_end, delay, len(ended))


def summarize(results: Iterable[EndpointResult]) -> dict[str, float | int | None]:
    """Median and 95th percentile delay (ms), counts of splits and misses."""
    items = list(results)
    delays = np.array([r.delay_ms for r in items if r.delay_ms is not None])
    return {
        "recordings": len(items),
        "median_ms": round(float(np.median(delays))) if delays.size else None,
        "p95_ms": round(float(np.percentile(delays, 95))) if delays.size else None,
        "max_ms": round(float(delays.max())) if delays.size else None,
        "split": sum(r.split for r in items),
        "missed": sum(r.delay_ms is None for r in items),
    }
