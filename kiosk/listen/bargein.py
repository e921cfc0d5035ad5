"""Barge-in: notice the child talking over Аня, and never mistake Аня's echo for the child.

``BargeInDetector`` looks at echo-cancelled microphone frames while Аня speaks. A
frame counts as the child's ("near-end") speech when webrtcvad calls it voiced,
it is louder than an energy floor, and, while the reference (what the speaker
played in the last few hundred ms) is active, the canceller could not take it
down much and its waveform does not follow the reference: Аня's echo is either
cancelled by 20-60 dB or, when AEC3 leaks, a near copy of the reference. Enough
near-end frames in a short window → ``Cancel("barge-in")``.

``EchoGate`` is the second guard for the wake word: an utterance whose loudness
follows what the speaker played (envelope correlation at some delay) is Аня's
own voice, whatever the recogniser made of it.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame, Cancel
from kiosk.listen.vad import VAD_FRAME_MS, VAD_SAMPLE_RATES, frame_dbfs

if TYPE_CHECKING:
    from kiosk.config import AudioSettings, ListenSettings
    from kiosk.listen.echo import EchoLevels

__all__ = ["BARGE_IN", "BargeInDetector", "EchoGate", "EchoVerdict"]

_LOGGER = logging.getLogger(__name__)

BARGE_IN = "barge-in"
"""The reason carried by the ``Cancel`` a barge-in produces."""

_SILENT_DB = -90.0
"""Level that stands for digital silence in the level arithmetic (dBFS)."""


class BargeInDetector:
    """Decides, frame by frame, that the child is speaking over the avatar.

    Feed it every echo-cancelled microphone frame with the canceller's levels for
    it (``EchoCanceller.last_levels``), also while Аня is silent. Without levels,
    or while the speaker has been silent for ``echo_tail_ms``, it is a plain VAD
    with an energy floor.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        frame_ms: int = 30,
        *,
        aggressiveness: int = 2,
        min_speech_ms: int = 90,
        window_ms: int = 150,
        energy_floor_dbfs: float = -45.0,
        max_cancelled_db: float = 12.0,
        max_echo_similarity: float = 0.6,
        echo_tail_ms: int = 300,
        reference_floor_dbfs: float = -55.0,
        warmup_ms: int = 2500,
    ) -> None:
        """Configure the detector.

        ``min_speech_ms`` of near-end frames within the last ``window_ms`` fire it:
        3 of the last 5 frames of 30 ms, so the decision lands ~90-200 ms after
        the child starts (median 150 ms in tests), inside the kiosk's 200 ms.

        While the reference is active (louder than ``reference_floor_dbfs`` within
        the last ``echo_tail_ms``: output latency + room delay + reverberation), a
        voiced frame counts only when the canceller took it down by at most
        ``max_cancelled_db`` (a converged canceller removes 20-60 dB of pure echo,
        so a frame it barely touched holds sound the reference does not explain)
        and the cleaned frame's waveform does not follow the reference
        (``EchoLevels.echo_similarity`` below ``max_echo_similarity``: AEC3 now and
        then lets ~100 ms of echo through untouched, which scores 0.8-1.0, while
        the child's voice over the echo scores 0.1-0.5).
        For the first ``warmup_ms`` of active reference after start-up the
        canceller is still converging and leaves echo through, so nothing counts
        then (only the first reply after boot cannot be interrupted at once).
        """
        if sample_rate not in VAD_SAMPLE_RATES or frame_ms not in VAD_FRAME_MS:
            raise AudioFormatError(
                f"Детектор перебивания не работает с кадрами {frame_ms} мс при {sample_rate} Гц",
                "в настройках audio.frame_ms должно быть 10, 20 или 30",
            )
        import webrtcvad

        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.energy_floor_dbfs = energy_floor_dbfs
        self.max_cancelled_db = max_cancelled_db
        self.max_echo_similarity = max_echo_similarity
        self.reference_floor_dbfs = reference_floor_dbfs
        self.warmup_ms = warmup_ms
        self.reference_ms = 0
        """Milliseconds of active reference seen so far (the canceller's training time)."""
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frame_bytes = sample_rate * frame_ms // 1000 * 2
        self._needed = max(1, math.ceil(min_speech_ms / frame_ms))
        self._window: deque[bool] = deque(maxlen=max(self._needed, round(window_ms / frame_ms)))
        self._reference: deque[float] = deque(maxlen=max(1, round(echo_tail_ms / frame_ms)))
        self._fired = False

    @classmethod
    def from_settings(cls, settings: ListenSettings, audio: AudioSettings) -> BargeInDetector:
        """Build from the ``[listen]`` and ``[audio]`` sections."""
        return cls(audio.sample_rate, audio.frame_ms, aggressiveness=settings.vad_aggressiveness)

    @property
    def fired(self) -> bool:
        """True once a barge-in was reported (until ``reset``)."""
        return self._fired

    @property
    def warmed_up(self) -> bool:
        """True once the canceller has had ``warmup_ms`` of reference to converge on."""
        return self.reference_ms >= self.warmup_ms

    def reset(self) -> None:
        """Re-arm for the next reply (what was learned about the canceller is kept)."""
        self._window.clear()
        self._fired = False

    def is_near_end(self, frame: AudioFrame, levels: EchoLevels | None = None) -> bool:
        """Judge one cleaned frame: True when it is speech the speaker does not explain."""
        if frame.sample_rate != self.sample_rate or len(frame.pcm) != self._frame_bytes:
            raise AudioFormatError(
                f"Кадр {len(frame.pcm) // 2} отсчётов при {frame.sample_rate} Гц не подходит "
                "детектору перебивания",
                "подавайте кадры длиной audio.frame_ms с частотой audio.sample_rate",
            )
        reference = levels.reference_dbfs if levels is not None else -math.inf
        self._reference.append(max(reference, _SILENT_DB))
        active = max(self._reference) >= self.reference_floor_dbfs
        if active:
            self.reference_ms += self.frame_ms
        if frame_dbfs(frame.pcm) < self.energy_floor_dbfs:
            return False
        if not self._vad.is_speech(frame.pcm, self.sample_rate):
            return False
        if not active or levels is None:
            return True
        return (
            self.warmed_up
            and levels.cancelled_db <= self.max_cancelled_db
            and levels.echo_similarity < self.max_echo_similarity
        )

    def feed(self, frame: AudioFrame, levels: EchoLevels | None = None) -> Cancel | None:
        """Take one cleaned frame; return ``Cancel("barge-in")`` the first time it fires."""
        self._window.append(self.is_near_end(frame, levels))
        if self._fired or sum(self._window) < self._needed:
            return None
        self._fired = True
        _LOGGER.info("barge-in at %.2f s", frame.timestamp + frame.duration)
        return Cancel(BARGE_IN)


@dataclass(frozen=True, slots=True)
class EchoVerdict:
    """How far an utterance looks like the speaker's own audio."""

    correlation: float
    """Best correlation of the loudness envelopes over the allowed delays (-1..1)."""
    delay_ms: float
    """Delay of the microphone behind the reference at the best correlation."""
    excess_db: float
    """Utterance level minus the level of the reference in that window (dB)."""
    is_echo: bool
    """The verdict."""


class EchoGate:
    """Tells whether an utterance is Аня's own voice coming back (wake-word guard)."""

    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        min_correlation: float = 0.75,
        max_delay_ms: float = 400.0,
        max_lead_ms: float = 90.0,
        reference_floor_dbfs: float = -55.0,
    ) -> None:
        """Configure the gate.

        Echo when the 10 ms loudness envelopes of the utterance and the reference
        correlate at ≥ ``min_correlation`` for some delay up to ``max_delay_ms``.
        Measured on the raw microphone in a simulated room: Аня's echo alone
        scores ~0.87, the child speaking over it 0.5-0.67. A reference quieter
        than ``reference_floor_dbfs`` means the speaker was silent: never echo.
        No level rule, so the verdict does not depend on the volume or the
        microphone gain. The microphone may also seem up to ``max_lead_ms`` *ahead*
        of the reference: where the reference sits on the capture clock is known to
        a frame or two (queueing, the device's latency estimate), not exactly.
        """
        self.sample_rate = sample_rate
        self.min_correlation = min_correlation
        self.max_delay_ms = max_delay_ms
        self.max_lead_ms = max_lead_ms
        self.reference_floor_dbfs = reference_floor_dbfs

    def judge(self, utterance_pcm: bytes, reference_pcm: bytes) -> EchoVerdict:
        """Compare the utterance with what the speaker played over the same window."""
        step = self.sample_rate // 100  # 10 ms envelope
        mic = _envelope_db(utterance_pcm, step)
        ref = _envelope_db(reference_pcm, step)
        n = min(len(mic), len(ref))
        ref_level = _level_db(reference_pcm)
        mic_level = _level_db(utterance_pcm)
        excess = mic_level - ref_level
        if n < 10 or ref_level < self.reference_floor_dbfs:
            return EchoVerdict(0.0, 0.0, excess, False)
        mic, ref = mic[:n], ref[:n]
        best, best_lag = -1.0, 0
        lead = min(n - 5, int(self.max_lead_ms / 10))
        for lag in range(-lead, min(n - 5, int(self.max_delay_ms / 10)) + 1):
            if lag >= 0:
                corr = _correlation(mic[lag:], ref[: n - lag])
            else:
                corr = _correlation(mic[: n + lag], ref[-lag:])
            if corr > best:
                best, best_lag = corr, lag
        return EchoVerdict(best, best_lag * 10.0, excess, best >= self.min_correlation)

    def is_echo(self, utterance_pcm: bytes, reference_pcm: bytes) -> bool:
        """True when the utterance is the speaker's audio heard back (see ``judge``).

        Pass the raw microphone audio of the utterance's window
        (``EchoCanceller.mic_between``) and the reference of the same window
        (``EchoCanceller.reference_between``).
        """
        verdict = self.judge(utterance_pcm, reference_pcm)
        if verdict.is_echo:
            _LOGGER.info(
                "utterance is our own voice (r=%.2f at %.0f ms, %.1f dB)",
                verdict.correlation,
                verdict.delay_ms,
                verdict.excess_db,
            )
        return verdict.is_echo


def _envelope_db(pcm: bytes, step: int) -> np.ndarray:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    count = len(samples) // step
    if count == 0:
        return np.zeros(0)
    power = np.mean(samples[: count * step].reshape(count, step) ** 2, axis=1)
    return 10.0 * np.log10(power + 1e-9)


def _level_db(pcm: bytes) -> float:
    level = frame_dbfs(pcm[: len(pcm) // 2 * 2])
    return max(level, _SILENT_DB)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denom = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b)) / denom if denom > 0 else 0.0
