"""WAV files as audio sources and sinks: reading, writing, resampling, and a virtual-clock speaker.

``WavFileSource`` stands in for a microphone and ``TimelineSpeaker`` for a speaker, so
tests and the headless demo run the same code paths as the live kiosk.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame, SpeechAudio
from kiosk.paths import atomic_write_bytes

__all__ = [
    "ScheduledAudio",
    "TimelineSpeaker",
    "WavFileSource",
    "float_to_pcm",
    "pcm_to_float",
    "read_wav",
    "resample",
    "write_wav",
]

_LOGGER = logging.getLogger(__name__)

_FORMAT_HINT = "нужен звуковой файл WAV, FLAC или OGG (например, запись с микрофона)"


def pcm_to_float(pcm: bytes) -> np.ndarray:
    """Signed 16-bit samples as float32 in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm(x: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as signed 16-bit little-endian bytes (clipped)."""
    scaled = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype("<i2").tobytes()


def resample(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Resample signed 16-bit mono ``pcm`` from ``src_rate`` to ``dst_rate`` Hz (soxr, HQ)."""
    if src_rate == dst_rate or not pcm:
        return pcm
    import soxr

    samples = np.frombuffer(pcm, dtype="<i2")
    out = soxr.resample(samples, src_rate, dst_rate, quality="HQ")
    return np.asarray(out, dtype="<i2").tobytes()


def read_wav(path: Path | str) -> tuple[bytes, int]:
    """Read any audio file soundfile knows (WAV, FLAC, OGG) as 16-bit mono pcm and its rate.

    Multi-channel audio is averaged to mono. Raises ``AudioFormatError`` when the
    file is missing, not audio, or holds no samples.
    """
    import soundfile

    path = Path(path)
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except FileNotFoundError as exc:
        raise AudioFormatError(f"Звуковой файл не найден: {path}", "проверьте путь") from exc
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        if not path.exists():
            raise AudioFormatError(f"Звуковой файл не найден: {path}", "проверьте путь") from exc
        raise AudioFormatError(
            f"{path}: это не звуковой файл или он повреждён", _FORMAT_HINT
        ) from exc
    if data.size == 0:
        raise AudioFormatError(f"{path}: в файле нет звука (0 сэмплов)", _FORMAT_HINT)
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return float_to_pcm(mono), int(rate)


def write_wav(path: Path | str, pcm: bytes, sample_rate: int) -> None:
    """Write 16-bit mono ``pcm`` as a WAV file, atomically (temp file + rename)."""
    import soundfile

    buffer = io.BytesIO()
    samples = np.frombuffer(pcm, dtype="<i2")
    soundfile.write(buffer, samples, sample_rate, subtype="PCM_16", format="WAV")
    atomic_write_bytes(Path(path), buffer.getvalue())


class WavFileSource:
    """An ``AudioIn`` that reads a file: fixed-length mono frames at ``sample_rate``."""

    def __init__(
        self,
        path: Path | str,
        *,
        sample_rate: int = 16000,
        frame_ms: int = 30,
        realtime: bool = False,
    ) -> None:
        pcm, rate = read_wav(path)
        if rate != sample_rate:
            _LOGGER.info("resampling %s from %d Hz to %d Hz", path, rate, sample_rate)
            pcm = resample(pcm, rate, sample_rate)
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * frame_ms // 1000
        self.realtime = realtime
        """Deliver frames no faster than they would come from a microphone."""
        self._pcm = pcm
        self._closed = threading.Event()

    @property
    def duration(self) -> float:
        """Seconds of audio in the file (at ``sample_rate``)."""
        return len(self._pcm) / 2 / self.sample_rate

    def frames(self) -> Iterator[AudioFrame]:
        """Yield the file as frames; the last one is padded with silence."""
        frame_bytes = self.frame_samples * 2
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(self._pcm), frame_bytes)):
            if self._closed.is_set():
                return
            chunk = self._pcm[offset : offset + frame_bytes]
            if len(chunk) < frame_bytes:
                chunk += bytes(frame_bytes - len(chunk))
            timestamp = index * self.frame_samples / self.sample_rate
            if self.realtime:
                # A microphone hands a frame over only once all of it has been heard.
                ready_at = started + timestamp + self.frame_samples / self.sample_rate
                if self._closed.wait(max(0.0, ready_at - time.monotonic())):
                    return
            yield AudioFrame(pcm=chunk, sample_rate=self.sample_rate, timestamp=timestamp)

    def close(self) -> None:
        """Stop ``frames`` (also from another thread)."""
        self._closed.set()


@dataclass(frozen=True, slots=True, eq=False)
class ScheduledAudio:
    """A chunk of speech placed on the speaker's timeline."""

    start: float
    """Clock seconds at which its first sample plays."""
    audio: SpeechAudio
    """What plays (its lip-sync track applies from ``start``)."""
    pcm: bytes
    """Samples at the speaker's rate; shorter than ``audio`` when a flush cut it."""
    sample_rate: int
    """The speaker's rate."""

    @property
    def duration(self) -> float:
        """Seconds that actually play."""
        return len(self.pcm) / 2 / self.sample_rate

    @property
    def end(self) -> float:
        """Clock seconds just after its last sample."""
        return self.start + self.duration


class TimelineSpeaker:
    """An ``AudioOut`` with a virtual clock: chunks are placed on a timeline, not played.

    ``play`` puts a chunk at max(now, end of the previous chunk). The owner moves the
    clock (``advance_to``/``set_now``); ``render`` mixes the timeline into one track
    afterwards (the headless demo turns it into the video's sound). With
    ``realtime=True`` the clock instead follows wall time from construction, for a
    live kiosk that has no speaker.
    """

    def __init__(self, sample_rate: int = 16000, *, realtime: bool = False) -> None:
        self.sample_rate = sample_rate
        self.realtime = realtime
        self._now = 0.0
        self._started = time.monotonic()
        self._chunks: list[ScheduledAudio] = []
        self._lock = threading.Lock()

    @property
    def timeline(self) -> tuple[ScheduledAudio, ...]:
        """Everything scheduled so far (played, playing and queued), in order."""
        with self._lock:
            return tuple(self._chunks)

    def position(self) -> float:
        """Seconds on the virtual clock."""
        if self.realtime:
            return time.monotonic() - self._started
        return self._now

    def advance_to(self, t: float) -> None:
        """Move the clock forward to ``t`` seconds; moving it back raises ``ValueError``."""
        if t < self._now:
            raise ValueError(f"the clock cannot go back from {self._now:.3f} s to {t:.3f} s")
        self.set_now(t)

    def set_now(self, t: float) -> None:
        """Set the clock to ``t`` seconds."""
        if self.realtime:
            raise RuntimeError("a real-time TimelineSpeaker follows wall time; it cannot be set")
        self._now = float(t)

    def play(self, audio: SpeechAudio) -> float:
        """Schedule ``audio`` (resampled to this speaker's rate); return its start time."""
        pcm = resample(audio.pcm, audio.sample_rate, self.sample_rate)
        now = self.position()
        with self._lock:
            last_end = self._chunks[-1].end if self._chunks else 0.0
            start = max(now, last_end)
            self._chunks.append(ScheduledAudio(start, audio, pcm, self.sample_rate))
        return start

    def pending(self) -> float:
        """Seconds of scheduled audio the clock has not reached yet."""
        now = self.position()
        with self._lock:
            return sum(max(0.0, c.end - max(c.start, now)) for c in self._chunks)

    def flush(self) -> None:
        """Barge-in: drop chunks that have not started and cut the one playing at now."""
        now = self.position()
        with self._lock:
            kept: list[ScheduledAudio] = []
            for chunk in self._chunks:
                if chunk.start >= now:
                    continue
                if chunk.end > now:
                    played = int(round((now - chunk.start) * self.sample_rate))
                    chunk = replace(chunk, pcm=chunk.pcm[: played * 2])
                kept.append(chunk)
            dropped = len(self._chunks) - len(kept)
            self._chunks = kept
        _LOGGER.debug("flush at %.3f s: dropped %d chunk(s)", now, dropped)

    def render(self, duration: float | None = None) -> bytes:
        """Mix the timeline into one 16-bit track from 0 s (silence between chunks).

        ``duration`` cuts or pads the result; by default it ends with the last chunk.
        """
        chunks = self.timeline
        if duration is None:
            duration = max((c.end for c in chunks), default=0.0)
        total = int(round(duration * self.sample_rate))
        track = np.zeros(total, dtype=np.int32)
        for chunk in chunks:
            at = int(round(chunk.start * self.sample_rate))
            samples = np.frombuffer(chunk.pcm, dtype="<i2")
            end = min(total, at + len(samples))
            if end > at:
                track[at:end] += samples[: end - at]
        return np.clip(track, -32768, 32767).astype("<i2").tobytes()

    def close(self) -> None:
        """Nothing to release; the timeline stays available for ``render``."""
