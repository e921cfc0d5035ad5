"""Acoustic echo cancellation: remove Аня's own voice from the microphone.

A thin adapter around WebRTC's audio processing module (AEC3, noise suppression,
high-pass filter) as shipped in the ``livekit`` wheel, which runs fully offline.
The speaker's audio is queued as the *reference* when it is handed to the
speaker, on the microphone's clock: it starts at the end of the audio captured so
far (``note_captured``), or behind reference still queued, exactly as the speaker
queues it. Each microphone frame takes the reference of its own timestamps. So the
delay AEC3 sees is the output latency plus the room, whatever the backlog of frames
captured but not yet processed (a CPU busy with STT or the LLM); queuing the
reference behind the *processed* frames instead shifted it by that backlog, which
changes from reply to reply, and the canceller leaked Аня's voice until it had
re-converged: false barge-ins. AEC3 estimates the remaining delay itself.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame
from kiosk.listen.vad import frame_dbfs

__all__ = [
    "APM_FRAME_MS",
    "SILENT_LEVELS",
    "EchoCanceller",
    "EchoLevels",
    "echo_similarity",
    "simulate_room",
]

_LOGGER = logging.getLogger(__name__)

APM_FRAME_MS = 10
"""WebRTC's audio processing takes exactly 10 ms frames."""

_HISTORY_S = 30.0
"""Seconds of consumed reference kept for ``reference_between`` (wake-word echo checks)."""


@dataclass(frozen=True, slots=True)
class EchoLevels:
    """Levels of one processed frame, for barge-in decisions (all RMS, dBFS)."""

    mic_dbfs: float
    """The microphone frame as captured (echo included)."""
    reference_dbfs: float
    """The reference matched to it (what the speaker was given; -inf when silent)."""
    cleaned_dbfs: float
    """The frame after echo cancellation."""
    echo_similarity: float = 0.0
    """Best normalised correlation (0..1) of the cleaned frame with the reference of
    the last ``max_delay_ms``: near 1 when echo leaked through uncancelled."""

    @property
    def cancelled_db(self) -> float:
        """How much quieter the cleaned frame is than the captured one (dB)."""
        return max(self.mic_dbfs, -90.0) - max(self.cleaned_dbfs, -90.0)


SILENT_LEVELS = EchoLevels(-math.inf, -math.inf, -math.inf, 0.0)
"""Levels before any frame was processed: no sound anywhere."""


def _load_rtc() -> Any:
    try:
        from livekit import rtc
    except ImportError as exc:
        raise RuntimeError(
            "echo cancellation needs the livekit wheel: pip install livekit==1.2.0 "
            "(the kiosk's [echo] extra)"
        ) from exc
    return rtc


class EchoCanceller:
    """Cleans microphone frames of the speaker's echo (WebRTC AEC3 via ``livekit``).

    Thread-safe: ``feed_reference`` and ``flush_reference`` may be called from the
    playback side while ``process`` runs on the capture side.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        noise_suppression: bool = True,
        high_pass_filter: bool = True,
        max_reference_s: float = 60.0,
        max_delay_ms: float = 400.0,
    ) -> None:
        """Create the processing module for ``sample_rate`` Hz mono audio.

        ``max_reference_s``: seconds of queued reference kept at most; older audio
        is dropped (a reference fed and never played must not grow forever).
        ``max_delay_ms``: the longest echo delay (output latency + room) searched
        when measuring ``EchoLevels.echo_similarity``.
        Raises ``RuntimeError`` naming the extra when ``livekit`` is missing.
        """
        rtc = _load_rtc()
        self._rtc = rtc
        self.sample_rate = sample_rate
        self._chunk = sample_rate * APM_FRAME_MS // 1000
        self._apm = rtc.AudioProcessingModule(
            echo_cancellation=True,
            noise_suppression=noise_suppression,
            high_pass_filter=high_pass_filter,
            auto_gain_control=False,
        )
        self._pending = bytearray()  # reference samples not yet matched to a mic frame
        self._pending_at: int | None = None  # mic sample of _pending[0]; None: next frame
        self._processed_until: int | None = None  # mic sample after the last processed frame
        self._captured_until: int | None = None  # mic sample after the last captured frame
        self._max_pending = int(max_reference_s * sample_rate) * 2
        self._lock = threading.Lock()
        self._history: deque[tuple[float, bytes, bytes]] = deque(
            maxlen=max(1, int(_HISTORY_S * 1000 / APM_FRAME_MS))
        )
        self._recent = np.zeros(int(sample_rate * max_delay_ms / 1000), dtype=np.float64)
        self.frames_processed = 0
        """Microphone frames cleaned so far."""
        self.last_levels = SILENT_LEVELS
        """Levels of the last processed frame (hand them to ``BargeInDetector.feed``)."""

    # --- the speaker side -----------------------------------------------------------

    def note_captured(self, end_s: float) -> None:
        """The microphone has delivered audio up to ``end_s`` (its own clock, seconds).

        Call it from the capture side for every frame, before the frame waits to be
        processed: sound played from now on can only be in later frames.
        """
        with self._lock:
            self._captured_until = round(end_s * self.sample_rate)

    @property
    def captured_until(self) -> float | None:
        """Microphone seconds captured so far (``note_captured``); None before any."""
        with self._lock:
            at = self._captured_until
        return None if at is None else at / self.sample_rate

    def feed_reference(self, pcm: bytes, sample_rate: int, *, at: float | None = None) -> None:
        """Queue audio handed to the speaker (16-bit mono at ``sample_rate``).

        Call it when the same audio goes to ``AudioOut.play``: the reference then
        queues behind what is still playing, exactly like the speaker's queue. It
        starts no earlier than ``at`` (microphone seconds); by default the end of the
        audio captured so far (``note_captured``), or without that the next frame
        ``process`` gets.
        """
        from kiosk.audio.wav import resample

        if not pcm:
            return
        if len(pcm) % 2:
            pcm = pcm[:-1]
        pcm = resample(pcm, sample_rate, self.sample_rate)
        with self._lock:
            start = self._captured_until if at is None else round(at * self.sample_rate)
            if self._processed_until is not None:
                start = max(start or 0, self._processed_until)
            if not self._pending:
                self._pending_at = start
            elif start is not None and self._pending_at is not None:
                gap = start - (self._pending_at + len(self._pending) // 2)
                self._pending += bytes(2 * max(0, gap))  # the speaker was silent meanwhile
            self._pending += pcm
            excess = len(self._pending) - self._max_pending
            if excess > 0:
                del self._pending[:excess]
                if self._pending_at is not None:
                    self._pending_at += excess // 2
                dropped_ms = excess // 2 * 1000 // self.sample_rate
                _LOGGER.warning("echo reference overflow: dropped %d ms", dropped_ms)

    def flush_reference(self) -> None:
        """Forget queued reference (barge-in: call it with ``AudioOut.flush``).

        The reference of audio already captured stays: its echo is in frames still
        waiting to be processed.
        """
        with self._lock:
            if self._pending_at is None or self._captured_until is None:
                self._pending.clear()
                return
            keep = max(0, self._captured_until - self._pending_at) * 2
            del self._pending[keep:]

    def pending_reference(self) -> float:
        """Seconds of reference queued and not yet matched to microphone audio."""
        with self._lock:
            return len(self._pending) / 2 / self.sample_rate

    # --- the microphone side --------------------------------------------------------

    def process(self, frame: AudioFrame) -> AudioFrame:
        """Return ``frame`` with the echo removed (same length, rate and timestamp).

        Feeds the matching reference (silence when none is queued) before each
        10 ms piece of the microphone frame.
        """
        if frame.sample_rate != self.sample_rate or len(frame.pcm) % (self._chunk * 2):
            raise AudioFormatError(
                f"Эхоподавление: кадр {len(frame.pcm) // 2} отсчётов при {frame.sample_rate} Гц, "
                f"а нужно кратное {self._chunk} при {self.sample_rate} Гц",
                "audio.frame_ms должно быть 10, 20 или 30, а частота — как у эхоподавителя",
            )
        chunk_bytes = self._chunk * 2
        pieces = len(frame.pcm) // chunk_bytes
        reference = self._take_reference(frame, pieces * chunk_bytes)
        cleaned = bytearray()
        rtc = self._rtc
        for i in range(pieces):
            at = i * chunk_bytes
            far = rtc.AudioFrame(
                bytearray(reference[at : at + chunk_bytes]), self.sample_rate, 1, self._chunk
            )
            self._apm.process_reverse_stream(far)
            near = rtc.AudioFrame(
                bytearray(frame.pcm[at : at + chunk_bytes]), self.sample_rate, 1, self._chunk
            )
            self._apm.process_stream(near)  # cleans the frame in place
            cleaned += near.data.tobytes()
        self._history.append((frame.timestamp, reference, frame.pcm))
        self.frames_processed += 1
        out = bytes(cleaned)
        ref_samples = np.frombuffer(reference, dtype="<i2").astype(np.float64)
        self._recent = np.concatenate([self._recent[len(ref_samples) :], ref_samples])
        out_dbfs = frame_dbfs(out)
        similarity = 0.0
        if out_dbfs > -60.0 and np.any(self._recent):
            similarity = echo_similarity(np.frombuffer(out, dtype="<i2"), self._recent)
        self.last_levels = EchoLevels(
            frame_dbfs(frame.pcm), frame_dbfs(reference), out_dbfs, similarity
        )
        return AudioFrame(pcm=out, sample_rate=frame.sample_rate, timestamp=frame.timestamp)

    def _take_reference(self, frame: AudioFrame, size: int) -> bytes:
        """The queued reference under ``frame`` (silence where none); older reference is dropped."""
        first = round(frame.timestamp * self.sample_rate)
        with self._lock:
            restarted = self._processed_until is not None and first < self._processed_until
            if self._pending_at is None or restarted:  # a new stream: its clock starts over
                self._pending_at = first
            skip = first - self._pending_at
            if skip > 0:  # played under frames never processed (paused): stale
                del self._pending[: skip * 2]
                lead = b""
            else:  # the reference starts later (within or after this frame)
                lead = bytes(min(size, -skip * 2))
            reference = lead + bytes(self._pending[: size - len(lead)])
            del self._pending[: size - len(lead)]
            self._processed_until = first + size // 2
            self._pending_at = max(self._pending_at, self._processed_until)
        return reference + bytes(size - len(reference))

    def reference_between(self, start: float, end: float) -> bytes:
        """The reference that was matched to microphone audio from ``start`` to ``end`` s.

        Times are the microphone stream's; audio before the kept history (30 s) or
        not processed yet comes back as silence, so the result always has
        ``end - start`` seconds.
        """
        return self._between(start, end, raw=False)

    def mic_between(self, start: float, end: float) -> bytes:
        """The microphone audio as captured (before cancellation) from ``start`` to ``end`` s."""
        return self._between(start, end, raw=True)

    def _between(self, start: float, end: float, *, raw: bool) -> bytes:
        total = max(0, int(round((end - start) * self.sample_rate)))
        out = np.zeros(total, dtype="<i2")
        with self._lock:
            history = list(self._history)
        for timestamp, reference, mic in history:
            samples = np.frombuffer(mic if raw else reference, dtype="<i2")
            at = int(round((timestamp - start) * self.sample_rate))
            lo, hi = max(0, at), min(total, at + len(samples))
            if hi > lo:
                out[lo:hi] = samples[lo - at : hi - at]
        return out.tobytes()


def echo_similarity(signal: np.ndarray, reference: np.ndarray) -> float:
    """Best normalised correlation of ``signal`` with an equally long piece of ``reference``.

    ``reference`` ends with the samples played during ``signal``; every earlier
    alignment (a delay up to ``len(reference) - len(signal)`` samples) is tried.
    Reverberation spreads the echo, so pure echo in a room scores ~0.5-0.9 and
    unrelated speech ~0.1.
    """
    y = np.asarray(signal, dtype=np.float64)
    x = np.asarray(reference, dtype=np.float64)
    n, m = len(y), len(x)
    if n == 0 or m < n:
        return 0.0
    y_norm = math.sqrt(float(np.dot(y, y)))
    if y_norm == 0:
        return 0.0
    size = 1 << (n + m - 1).bit_length()
    cross = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size)), size)[: m - n + 1]
    energy = np.concatenate([[0.0], np.cumsum(x * x)])
    window = np.sqrt(np.maximum(energy[n:] - energy[:-n], 0.0))
    scores = np.abs(cross) / (y_norm * np.maximum(window, 1e-9 * y_norm + 1e-9))
    scores[window < 1e-6 * y_norm] = 0.0
    return float(min(1.0, scores.max()))


def simulate_room(
    pcm: bytes,
    sample_rate: int = 16000,
    *,
    delay_ms: float = 50.0,
    gain_db: float = -6.0,
    reverb_db: float = -3.0,
    decay_ms: float = 60.0,
    seed: int = 0,
) -> bytes:
    """What a microphone hears of ``pcm`` played in a small room (tests and ``kiosk bench``).

    The impulse response is a direct path after ``delay_ms`` followed by a noise
    tail (reverberation) ``reverb_db`` relative to the direct path in energy, whose
    amplitude falls by 1/e every ``decay_ms``. The echo's overall energy is
    ``gain_db`` relative to the input; the result has the length of ``pcm``.
    """
    rng = np.random.default_rng(seed)
    tail_len = int(sample_rate * decay_ms * 5 / 1000)
    tail = rng.standard_normal(tail_len) * np.exp(
        -np.arange(tail_len) / (sample_rate * decay_ms / 1000)
    )
    tail *= math.sqrt(10 ** (reverb_db / 10) / float(np.sum(tail**2)))
    response = np.concatenate([np.zeros(int(sample_rate * delay_ms / 1000)), [1.0], tail])
    response *= 10 ** (gain_db / 20) / math.sqrt(float(np.sum(response**2)))
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    echo = np.convolve(x, response)[: len(x)]
    return np.clip(np.round(echo), -32768, 32767).astype("<i2").tobytes()
