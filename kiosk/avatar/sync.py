"""A/V sync measured on an exported clip: the sound's loudness against the mouth's pixels.

ffmpeg decodes the MP4 back (audio → 16 kHz mono, video → grey frames cropped to the
mouth). The audio gives an RMS envelope, the video the mouth's darkness per frame (an
open mouth shows the dark throat). Two numbers compare them: the lag of the best
cross-correlation and the offsets between loudness onsets and mouth-opening onsets.
Positive means the mouth comes after the sound.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.avatar.photo.warp import Box
from kiosk.avatar.video import _tool, probe_video
from kiosk.errors import KioskError

__all__ = ["ENVELOPE_RATE", "AvOffset", "measure_av_offset", "onsets", "xcorr_lag_ms"]

_LOGGER = logging.getLogger(__name__)

ENVELOPE_RATE = 200
"""Samples per second both signals are compared at."""
MAX_LAG_MS = 300
"""Largest offset searched each way, milliseconds."""
_ONSET_GAP_S = 0.15
"""A rise counts as an onset only after this long below the threshold, seconds."""


@dataclass(frozen=True, slots=True)
class AvOffset:
    """How far the mouth in a clip lags its sound, milliseconds (positive: mouth later)."""

    xcorr_ms: float
    """Lag of the best cross-correlation of envelope and mouth darkness."""
    onset_ms: tuple[float, ...]
    """Per sound onset: the nearest mouth-opening onset minus the sound onset."""
    frame_ms: float
    """One video frame, milliseconds (the resolution of the onsets)."""

    @property
    def worst_onset_ms(self) -> float:
        """The largest absolute onset offset (nan when no onsets paired)."""
        return max((abs(v) for v in self.onset_ms), default=float("nan"))


def _run(cmd: list[str]) -> bytes:
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise KioskError(f"ffmpeg cannot decode the clip: {' '.join(detail)}", "файл повреждён")
    return result.stdout


def audio_envelope(path: Path, rate: int = ENVELOPE_RATE) -> np.ndarray:
    """RMS of the clip's sound per 1/``rate`` second (decoded at 16 kHz mono)."""
    sr = 16000
    raw = _run(
        [_tool("ffmpeg"), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(sr)]
        + ["-f", "s16le", "pipe:1"]
    )
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    hop = sr // rate
    samples = samples[: len(samples) // hop * hop].reshape(-1, hop)
    return np.sqrt((samples**2).mean(axis=1))


def mouth_darkness(path: Path, box: Box) -> tuple[np.ndarray, float]:
    """Mean darkness (255 - grey) of ``box`` in every frame of the clip, and the fps."""
    info = probe_video(path)
    video = info["video"]
    if video is None:
        raise KioskError(f"{path} has no video", "нужен MP4, записанный kiosk avatar preview")
    # Even corner and sides: ffmpeg's crop rounds odd ones on 4:2:0 video.
    x0, y0 = box[0] // 2 * 2, box[1] // 2 * 2
    w, h = (box[2] - x0) // 2 * 2, (box[3] - y0) // 2 * 2
    raw = _run(
        [_tool("ffmpeg"), "-v", "error", "-i", str(path), "-an", "-fps_mode", "passthrough"]
        + ["-vf", f"format=gray,crop={w}:{h}:{x0}:{y0}", "-f", "rawvideo", "pipe:1"]
    )
    frames = np.frombuffer(raw, dtype=np.uint8)
    frames = frames[: len(frames) // (w * h) * (w * h)].reshape(-1, h * w)
    return 255.0 - frames.astype(np.float64).mean(axis=1), float(video["fps"])


def xcorr_lag_ms(reference: np.ndarray, follower: np.ndarray, rate: int) -> float:
    """Lag (ms) at which ``follower`` best matches ``reference``; positive: it comes later."""
    n = min(len(reference), len(follower))
    a = reference[:n] - reference[:n].mean()
    b = follower[:n] - follower[:n].mean()
    if n < 4 or not a.any() or not b.any():
        return float("nan")
    max_lag = min(n - 1, MAX_LAG_MS * rate // 1000)
    scores = []
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            scores.append(float(np.dot(a[: n - lag], b[lag:])) / (n - lag))
        else:
            scores.append(float(np.dot(a[-lag:], b[: n + lag])) / (n + lag))
    return (int(np.argmax(scores)) - max_lag) * 1000.0 / rate


def onsets(signal: np.ndarray, rate: float, share: float = 0.3) -> list[float]:
    """Seconds where ``signal`` rises through ``share`` of its range after a quiet gap.

    The crossing is interpolated between samples, so a frame-rate signal gives
    sub-frame times.
    """
    lo, hi = np.percentile(signal, 5), np.percentile(signal, 99)
    if hi - lo <= 1e-9:
        return []
    level = lo + share * (hi - lo)
    gap = max(1, round(_ONSET_GAP_S * rate))
    out, quiet = [], gap
    for i in range(1, len(signal)):
        if signal[i] >= level and signal[i - 1] < level and quiet >= gap:
            frac = (level - signal[i - 1]) / (signal[i] - signal[i - 1])
            out.append((i - 1 + frac) / rate)
        quiet = quiet + 1 if signal[i] < level else 0
    return out


def measure_av_offset(path: Path, mouth_box: Box) -> AvOffset:
    """The A/V offset of an avatar clip whose mouth lies in ``mouth_box`` (frame pixels)."""
    envelope = audio_envelope(path)
    dark, fps = mouth_darkness(path, mouth_box)
    # Frame i shows the face at i / fps: sample the mouth at the envelope's bin centres.
    centres = (np.arange(len(envelope)) + 0.5) / ENVELOPE_RATE
    mouth = np.interp(centres, np.arange(len(dark)) / fps, dark)
    lag = xcorr_lag_ms(envelope, mouth, ENVELOPE_RATE)
    # Onsets of the sound on a dB scale (what is heard), floored at -55 dBFS.
    loudness = np.maximum(20.0 * np.log10(envelope + 1e-9), -55.0)
    sound = [t + 0.5 / ENVELOPE_RATE for t in onsets(loudness, ENVELOPE_RATE, 0.5)]
    opening = onsets(dark, fps)
    paired = []
    for t in sound:
        near = min(opening, key=lambda m: abs(m - t), default=None)
        if near is not None and abs(near - t) < MAX_LAG_MS / 1000:
            paired.append(round(float(near - t) * 1000.0, 1))
    result = AvOffset(round(float(lag), 1), tuple(paired), round(1000.0 / fps, 1))
    _LOGGER.info("A/V offset of %s: %s", path, result)
    return result
