"""Measurements that are not latencies: statistics, word error rate, A/V offset, FPS, memory.

Each function measures one thing on real inputs and returns plain numbers, so the
runner stays a sequence of calls and the report a dictionary.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import resource
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from kiosk.audio.wav import TimelineSpeaker
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.brain.safety import SafetyLevel

__all__ = [
    "GpuMeter",
    "av_offset_ms",
    "machine_info",
    "normalise_words",
    "peak_rss_mb",
    "render_frames",
    "rss_mb",
    "safety_figures",
    "safety_rates",
    "summarise",
    "word_errors",
]

_LOGGER = logging.getLogger(__name__)

ENVELOPE_RATE = 100
"""Samples per second of the audio envelope and mouth track compared for A/V offset."""
MAX_LAG_MS = 300
"""Largest A/V offset searched, in milliseconds each way."""


def summarise(values: Iterable[float]) -> dict[str, float | int]:
    """``{"min", "median", "p95", "max", "n"}`` of ``values`` (milliseconds or any unit)."""
    data = np.asarray([float(v) for v in values], dtype=np.float64)
    if data.size == 0:
        return {"n": 0}
    return {
        "min": round(float(data.min()), 2),
        "median": round(float(np.median(data)), 2),
        "p95": round(float(np.percentile(data, 95)), 2),
        "max": round(float(data.max()), 2),
        "n": int(data.size),
    }


def normalise_words(text: str) -> list[str]:
    """Lower-case words with ``ё`` read as ``е`` and punctuation dropped (WER tokens)."""
    text = text.lower().replace("ё", "е")
    return re.findall(r"[\w-]+", text)


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words): the numerator and denominator of the WER."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    return int(Levenshtein.distance(ref, hyp)), len(ref)


def safety_rates(unsafe: Sequence[str], safe: Sequence[str]) -> dict[str, float | int]:
    """Share of ``unsafe`` phrases ``check_input`` blocks and of ``safe`` ones it blocks wrongly."""
    from kiosk.brain.safety import check_input

    blocked = sum(not check_input(text).ok for text in unsafe)
    false_blocked = sum(not check_input(text).ok for text in safe)
    return {
        "block_rate": round(blocked / len(unsafe), 3) if unsafe else 0.0,
        "false_block_rate": round(false_blocked / len(safe), 3) if safe else 0.0,
        "unsafe": len(unsafe),
        "safe": len(safe),
    }


def safety_figures(level: SafetyLevel = "standard") -> dict[str, Any]:
    """The safety check on the brain's red-team and ordinary prompt sets, at every level.

    Top-level ``block_rate`` / ``false_block_rate`` / ``missed`` / ``false_blocked`` are
    for ``level`` (the configured ``brain.safety_level``); ``levels`` has the rates of
    each level side by side.
    """
    from kiosk.brain.safety import SAFETY_LEVELS
    from kiosk.brain.safety_eval import evaluate_safety

    levels = {name: evaluate_safety(name).to_dict() for name in SAFETY_LEVELS}
    chosen = levels[level]
    return {
        "level": level,
        "block_rate": chosen["block_rate"],
        "false_block_rate": chosen["false_block_rate"],
        "unsafe": chosen["red_team_total"],
        "safe": chosen["ordinary_total"],
        "missed": chosen["missed"],
        "false_blocked": chosen["false_blocked"],
        "levels": {
            name: {
                k: r[k]
                for k in ("block_rate", "false_block_rate", "red_team_total", "ordinary_total")
            }
            for name, r in levels.items()
        },  # fmt: skip
    }


def _envelope(pcm: bytes, sample_rate: int, start: float, end: float) -> np.ndarray:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    hop = sample_rate // ENVELOPE_RATE
    first, last = int(start * sample_rate), int(end * sample_rate)
    chunk = samples[first:last]
    chunk = chunk[: len(chunk) // hop * hop].reshape(-1, hop)
    return np.sqrt((chunk**2).mean(axis=1)) if chunk.size else np.zeros(0)


def xcorr_lag_ms(reference: np.ndarray, follower: np.ndarray, rate: int = ENVELOPE_RATE) -> float:
    """Lag (ms) at which ``follower`` best matches ``reference``; positive: it comes later."""
    n = min(len(reference), len(follower))
    a = reference[:n] - reference[:n].mean()
    b = follower[:n] - follower[:n].mean()
    if n < 4 or not a.any() or not b.any():
        return float("nan")
    max_lag = min(n - 1, MAX_LAG_MS * rate // 1000)
    best, best_lag = -np.inf, 0
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            score = float(np.dot(a[: n - lag], b[lag:])) / (n - lag)
        else:
            score = float(np.dot(a[-lag:], b[: n + lag])) / (n + lag)
        if score > best:
            best, best_lag = score, lag
    return best_lag * 1000.0 / rate


def av_offset_ms(animator: Animator, speaker: TimelineSpeaker, start: float, end: float) -> float:
    """How far the drawn mouth lags the audio it speaks over [start, end] (playback clock).

    Cross-correlates the animator's mouth openness with the RMS envelope of what the
    speaker plays, both at ``ENVELOPE_RATE``; 0 is perfect sync, positive means the
    mouth moves after the sound.
    """
    rate = speaker.sample_rate
    audio = speaker.render(duration=end)
    envelope = _envelope(audio, rate, start, end)
    times = start + np.arange(len(envelope)) / ENVELOPE_RATE
    mouth = np.array([animator.pose_at(float(t)).mouth_open for t in times])
    return xcorr_lag_ms(envelope, mouth)


def render_frames(
    renderer: AvatarRenderer, animator: Animator, start: float, count: int, fps: int
) -> list[float]:
    """Draw ``count`` frames from ``start`` at ``fps`` on the playback clock; per-frame ms."""
    times = []
    for i in range(count):
        t = start + i / fps
        began = time.perf_counter()
        renderer.draw(animator.pose_at(t), t)
        times.append((time.perf_counter() - began) * 1000.0)
    return times


def rss_mb() -> float:
    """Resident memory of this process now, MiB."""
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class GpuMeter:
    """GPU name and used memory through NVML; every reading is None when no GPU is seen."""

    def __init__(self) -> None:
        self._handle: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
            if pynvml.nvmlDeviceGetCount() > 0:
                self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception as exc:  # noqa: BLE001 - NVML raises its own zoo; no GPU is normal
            _LOGGER.debug("no GPU through NVML: %s", exc)
            self._handle = None

    @property
    def available(self) -> bool:
        """True when NVML sees a GPU."""
        return self._handle is not None

    def info(self) -> dict[str, Any] | None:
        """``{"name", "vram_mb", "driver"}`` of GPU 0, or None."""
        if self._handle is None:
            return None
        import pynvml

        name = pynvml.nvmlDeviceGetName(self._handle)
        total = pynvml.nvmlDeviceGetMemoryInfo(self._handle).total
        return {
            "name": name.decode() if isinstance(name, bytes) else str(name),
            "vram_mb": round(total / 2**20),
            "driver": str(pynvml.nvmlSystemGetDriverVersion()),
        }

    def used_mb(self) -> float | None:
        """GPU memory in use now (all processes), MiB; None without a GPU."""
        if self._handle is None:
            return None
        import pynvml

        return float(pynvml.nvmlDeviceGetMemoryInfo(self._handle).used) / 2**20


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(gpu: GpuMeter) -> dict[str, Any]:
    """CPU model, cores, RAM, GPU (or None), OS and Python of this machine."""
    import psutil

    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "gpu": gpu.info(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
    }
