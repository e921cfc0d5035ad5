"""Signal work for enrollment: decoding any recording, clipping, loudness, voicing, SNR, pitch.

Everything here takes and returns float32 mono samples in [-1, 1]; the recordings
themselves are only ever read.
"""

from __future__ import annotations

import logging
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.errors import AudioFormatError, ToolMissing

__all__ = [
    "AUDIO_SUFFIXES",
    "FFMPEG_SUFFIXES",
    "FRAME_S",
    "Decoded",
    "Voicing",
    "clipped_fraction",
    "decode_audio",
    "loudness_gain",
    "pitch_range",
    "resample_float",
    "segment_snr_db",
    "voicing",
]

_LOGGER = logging.getLogger(__name__)

SOUNDFILE_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif")
FFMPEG_SUFFIXES = (".mp3", ".m4a", ".aac", ".mp4", ".opus", ".webm", ".wma", ".amr", ".3gp")
AUDIO_SUFFIXES = SOUNDFILE_SUFFIXES + FFMPEG_SUFFIXES
"""File name endings enrollment treats as recordings (others are listed as skipped)."""

FRAME_S = 0.03
"""Analysis frame for voicing and SNR: 30 ms, a length webrtcvad accepts."""
_FULL_SCALE = 0.999
"""A sample at or above this magnitude sits at full scale (16-bit: ±32735 and beyond)."""
_CLIP_RUN = 3
"""Consecutive full-scale samples that mark clipping (one lone peak at 0 dBFS is fine)."""
_FFMPEG_RATE = 48000
"""Rate ffmpeg decodes compressed formats to (then resampled like any other file)."""
_SNR_CAP_DB = 60.0
"""SNR reported for digitally silent pauses (the true value is unbounded)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """One recording decoded to mono float samples."""

    samples: np.ndarray
    """float32 mono in [-1, 1]."""
    sample_rate: int
    """Hz, as stored in the file (48000 for formats decoded by ffmpeg)."""
    channels: int
    """Channels in the file before the mix to mono."""


@dataclass(frozen=True, slots=True)
class Voicing:
    """Per-frame speech decisions and energies of a 16 kHz signal."""

    voiced: np.ndarray
    """bool per ``FRAME_S`` frame: webrtcvad speech above the noise gate."""
    power: np.ndarray
    """Mean square per frame."""
    noise_power: float
    """Background level: the quiet frames' mean square (never 0)."""


def decode_audio(path: Path) -> Decoded:
    """Read ``path`` (WAV/FLAC/OGG with soundfile, MP3/M4A/... through ffmpeg).

    Raises ``AudioFormatError`` for a file that is not audio or holds no samples,
    ``ToolMissing`` when a compressed file needs ffmpeg and it is not installed.
    """
    suffix = path.suffix.lower()
    if suffix in FFMPEG_SUFFIXES:
        return _decode_ffmpeg(path)
    import soundfile

    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        if shutil.which("ffmpeg") is not None:
            # Some WAVs (e.g. with odd codecs) only ffmpeg understands.
            try:
                return _decode_ffmpeg(path)
            except AudioFormatError:
                pass
        raise AudioFormatError(
            f"{path.name}: это не звуковой файл или он повреждён",
            "перезапишите файл или сохраните его заново в WAV/FLAC/MP3",
        ) from exc
    if data.size == 0:
        raise AudioFormatError(f"{path.name}: в файле нет звука", "перезапишите файл")
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return Decoded(np.ascontiguousarray(mono, dtype=np.float32), int(rate), int(data.shape[1]))


def _decode_ffmpeg(path: Path) -> Decoded:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise ToolMissing(
            f"{path.name}: для формата {path.suffix} нужен ffmpeg",
            "sudo apt install ffmpeg, или сохраните записи в WAV/FLAC",
        )
    command = [
        binary, "-nostdin", "-v", "error", "-i", str(path),
        "-vn", "-ac", "1", "-ar", str(_FFMPEG_RATE), "-f", "f32le", "pipe:1",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, timeout=300, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioFormatError(f"{path.name}: ffmpeg не справился за 5 минут", "") from exc
    samples = np.frombuffer(result.stdout, dtype="<f4")
    if result.returncode != 0 or samples.size == 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        _LOGGER.debug("ffmpeg failed on %s: %s", path, reason[-1:] if reason else "")
        raise AudioFormatError(
            f"{path.name}: это не звуковой файл или он повреждён",
            "перезапишите файл или сохраните его заново в WAV/FLAC/MP3",
        )
    # ffmpeg reports the source's channels only on stderr; the mix to mono is done.
    return Decoded(samples.astype(np.float32), _FFMPEG_RATE, 1)


def clipped_fraction(samples: np.ndarray) -> float:
    """Share of samples inside runs of ``_CLIP_RUN``+ consecutive full-scale samples."""
    at_full = np.abs(samples) >= _FULL_SCALE
    if not at_full.any():
        return 0.0
    # Run lengths of True stretches.
    padded = np.concatenate(([False], at_full, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, ends = edges[::2], edges[1::2]
    lengths = ends - starts
    return float(lengths[lengths >= _CLIP_RUN].sum()) / samples.size


def resample_float(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample float mono samples (soxr, high quality)."""
    if src_rate == dst_rate:
        return samples.astype(np.float32, copy=False)
    import soxr

    return np.asarray(soxr.resample(samples, src_rate, dst_rate, quality="HQ"), dtype=np.float32)


def loudness_gain(
    samples: np.ndarray, sample_rate: int, target_lufs: float, peak_limit: float = 0.89
) -> tuple[float, float]:
    """The gain that brings ``samples`` to ``target_lufs`` (ITU-R BS.1770, pyloudnorm).

    The gain never lifts the peak above ``peak_limit`` (-1 dBFS). Returns
    (gain, measured loudness in LUFS); the gain is 1 for silence or audio shorter
    than one 400 ms block, whose loudness is -inf.
    """
    import pyloudnorm

    if samples.size < int(0.4 * sample_rate):
        return 1.0, -math.inf
    loudness = float(pyloudnorm.Meter(sample_rate).integrated_loudness(samples.astype(np.float64)))
    if not math.isfinite(loudness):
        return 1.0, loudness
    gain = 10.0 ** ((target_lufs - loudness) / 20.0)
    peak = float(np.max(np.abs(samples))) * gain
    if peak > peak_limit:
        gain *= peak_limit / peak
    return gain, loudness


def voicing(samples16k: np.ndarray, aggressiveness: int = 2) -> Voicing:
    """Frame-by-frame speech decisions of 16 kHz ``samples16k`` (webrtcvad + a noise gate).

    The noise level is the mean square of the quietest 10 % of frames; a frame
    counts as speech when webrtcvad says so and it is at least 6 dB above that
    level (and above -55 dBFS), so steady hiss does not glue pauses together.
    """
    import webrtcvad

    frame = int(16000 * FRAME_S)
    count = samples16k.size // frame
    if count == 0:
        return Voicing(np.zeros(0, bool), np.zeros(0), 1e-10)
    frames = samples16k[: count * frame].reshape(count, frame).astype(np.float64)
    power = np.mean(frames * frames, axis=1)
    quiet = np.sort(power)[: max(1, count // 10)]
    noise = max(float(np.mean(quiet)), 1e-10)
    gate = max(noise * 4.0, 10.0 ** (-55.0 / 10.0))
    vad = webrtcvad.Vad(aggressiveness)
    pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
    voiced = np.array(
        [power[i] > gate and vad.is_speech(pcm[i].tobytes(), 16000) for i in range(count)],
        dtype=bool,
    )
    return Voicing(voiced, power, noise)


def segment_snr_db(power: np.ndarray, voiced: np.ndarray, noise_power: float) -> float:
    """Speech-to-background ratio in dB: voiced frames' mean power over the noise level."""
    if not voiced.any():
        return 0.0
    speech = float(np.mean(power[voiced]))
    noise = max(noise_power, speech * 10.0 ** (-_SNR_CAP_DB / 10.0))
    return round(min(_SNR_CAP_DB, 10.0 * math.log10(max(speech, 1e-12) / noise)), 1)


def pitch_range(samples16k: np.ndarray, fmin: float = 70.0, fmax: float = 500.0) -> list[float]:
    """Fundamental frequencies (Hz) of the clearly periodic 40 ms frames (autocorrelation).

    70–500 Hz covers men, women and children (a 12-year-old speaks at 200–350 Hz).
    A frame counts when its normalised autocorrelation peak exceeds 0.5.
    """
    rate, size, hop = 16000, 640, 320
    lag_min, lag_max = int(rate / fmax), int(rate / fmin)
    f0: list[float] = []
    window = np.hanning(size)
    for start in range(0, samples16k.size - size, hop):
        frame = samples16k[start : start + size].astype(np.float64)
        frame = (frame - frame.mean()) * window
        energy = float(np.dot(frame, frame))
        if energy < 1e-6:
            continue
        spectrum = np.fft.rfft(frame, 2 * size)
        corr = np.fft.irfft(spectrum * np.conj(spectrum))[:size] / energy
        lag = lag_min + int(np.argmax(corr[lag_min:lag_max]))
        if corr[lag] < 0.5:
            continue
        # Parabolic interpolation around the peak for sub-sample precision.
        left, mid, right = corr[lag - 1], corr[lag], corr[min(lag + 1, size - 1)]
        denom = left - 2 * mid + right
        offset = 0.5 * (left - right) / denom if denom else 0.0
        f0.append(rate / (lag + offset))
    return f0
