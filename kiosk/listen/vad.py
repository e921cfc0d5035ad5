"""End-of-speech detection with webrtcvad: where an utterance starts and where it ends.

The detector sees one frame at a time. Speech starts when most frames of a short
window are voiced; it ends after ``end_silence_ms`` of unvoiced frames. A frame
counts as voiced only when webrtcvad says so *and* it is louder than an energy
floor, so very quiet hiss never opens an utterance.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame, SpeechEnded, SpeechStarted

if TYPE_CHECKING:
    from kiosk.config import AudioSettings, ListenSettings

__all__ = ["VAD_FRAME_MS", "VAD_SAMPLE_RATES", "WebRtcEndpointer", "frame_dbfs"]

_LOGGER = logging.getLogger(__name__)

VAD_SAMPLE_RATES = (8000, 16000, 32000, 48000)
"""Sample rates webrtcvad accepts, in Hz."""
VAD_FRAME_MS = (10, 20, 30)
"""Frame lengths webrtcvad accepts, in milliseconds."""

_START_WINDOW_MS = 210
"""Window over which the start of speech is judged (7 frames of 30 ms)."""
_START_RATIO = 0.6
"""Share of voiced frames in the window that starts an utterance."""


def frame_dbfs(pcm: bytes) -> float:
    """RMS level of signed 16-bit ``pcm`` in dB relative to full scale (-inf for silence)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return -math.inf
    rms = math.sqrt(float(np.mean(samples * samples)))
    return 20.0 * math.log10(rms / 32768.0) if rms > 0 else -math.inf


@dataclass(slots=True)
class _Voiced:
    frame: AudioFrame
    voiced: bool


class WebRtcEndpointer:
    """An ``Endpointer`` on webrtcvad with a start window, a silence timeout and an energy gate.

    Events: ``SpeechStarted`` once an utterance has lasted ``min_speech_ms`` (so a
    click never produces a start without an end), then ``SpeechEnded`` carrying the
    audio from ``pre_roll_ms`` before the first voiced frame to the frame on which
    the end was decided.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        frame_ms: int = 30,
        aggressiveness: int = 2,
        end_silence_ms: int = 300,
        min_speech_ms: int = 250,
        max_speech_s: float = 15.0,
        pre_roll_ms: int = 300,
        energy_floor_dbfs: float = -45.0,
    ) -> None:
        """Configure the detector.

        ``energy_floor_dbfs``: frames quieter than this (RMS, dBFS) are never
        voiced, whatever webrtcvad says; -45 dBFS rejects a quiet room's hiss
        while speech at a normal distance from the microphone is well above it.
        """
        if sample_rate not in VAD_SAMPLE_RATES or frame_ms not in VAD_FRAME_MS:
            raise AudioFormatError(
                f"Детектор речи не работает с кадрами {frame_ms} мс при {sample_rate} Гц",
                "в настройках audio.frame_ms должно быть 10, 20 или 30, "
                "а частота — 8000, 16000, 32000 или 48000 Гц",
            )
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"aggressiveness must be 0..3, got {aggressiveness}")
        import webrtcvad

        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.end_silence_ms = end_silence_ms
        self.min_speech_ms = min_speech_ms
        self.max_speech_s = max_speech_s
        self.pre_roll_ms = pre_roll_ms
        self.energy_floor_dbfs = energy_floor_dbfs
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frame_bytes = sample_rate * frame_ms // 1000 * 2
        self._window = max(3, round(_START_WINDOW_MS / frame_ms))
        self._pre_roll_frames = math.ceil(pre_roll_ms / frame_ms)
        self._history: deque[_Voiced] = deque(maxlen=self._window + self._pre_roll_frames)
        self._utterance: list[AudioFrame] = []
        self._speech_start = 0.0
        self._last_voiced_end = 0.0
        self._silence_ms = 0
        self._confirmed = False

    @classmethod
    def from_settings(cls, settings: ListenSettings, audio: AudioSettings) -> WebRtcEndpointer:
        """Build from the ``[listen]`` and ``[audio]`` sections."""
        return cls(
            sample_rate=audio.sample_rate,
            frame_ms=audio.frame_ms,
            aggressiveness=settings.vad_aggressiveness,
            end_silence_ms=settings.end_silence_ms,
            min_speech_ms=settings.min_speech_ms,
            max_speech_s=settings.max_speech_s,
            pre_roll_ms=settings.pre_roll_ms,
        )

    @property
    def in_speech(self) -> bool:
        """True while an utterance is open (started, not yet ended)."""
        return bool(self._utterance)

    def feed(self, frame: AudioFrame) -> list[SpeechStarted | SpeechEnded]:
        """Take one frame; return the events it completes (often none)."""
        self._check_format(frame)
        voiced = self._is_voiced(frame)
        if not self._utterance:
            return self._feed_idle(frame, voiced)
        return self._feed_speech(frame, voiced)

    def flush(self) -> list[SpeechEnded]:
        """End of stream: return the utterance in progress, if it was long enough."""
        ended: list[SpeechEnded] = []
        if self._utterance and self._confirmed:
            last = self._utterance[-1]
            ended.append(self._finish(decided_at=last.timestamp + last.duration))
        self.reset()
        return ended

    def reset(self) -> None:
        """Forget any utterance in progress and the pre-roll history."""
        self._history.clear()
        self._utterance = []
        self._silence_ms = 0
        self._confirmed = False

    # --- internals ----------------------------------------------------------

    def _check_format(self, frame: AudioFrame) -> None:
        if frame.sample_rate != self.sample_rate or len(frame.pcm) != self._frame_bytes:
            raise AudioFormatError(
                f"Кадр {len(frame.pcm) // 2} отсчётов при {frame.sample_rate} Гц, а ожидалось "
                f"{self._frame_bytes // 2} при {self.sample_rate} Гц ({self.frame_ms} мс)",
                "подавайте кадры длиной audio.frame_ms с частотой audio.sample_rate "
                "(так делают источники kiosk.audio)",
            )

    def _is_voiced(self, frame: AudioFrame) -> bool:
        if frame_dbfs(frame.pcm) < self.energy_floor_dbfs:
            return False
        return bool(self._vad.is_speech(frame.pcm, self.sample_rate))

    def _feed_idle(self, frame: AudioFrame, voiced: bool) -> list[SpeechStarted | SpeechEnded]:
        self._history.append(_Voiced(frame, voiced))
        window = list(self._history)[-self._window :]
        if sum(item.voiced for item in window) < _START_RATIO * self._window:
            return []
        # Speech begins at the first voiced frame of the window; keep pre-roll before it.
        history = list(self._history)
        first = len(history) - len(window)
        first += next(i for i, item in enumerate(window) if item.voiced)
        kept = history[max(0, first - self._pre_roll_frames) :]
        self._utterance = [item.frame for item in kept]
        self._speech_start = history[first].frame.timestamp
        self._last_voiced_end = frame.timestamp + frame.duration
        self._silence_ms = 0
        self._confirmed = False
        self._history.clear()
        _LOGGER.debug("speech candidate at %.2f s", self._speech_start)
        return self._confirm_if_long_enough()

    def _feed_speech(self, frame: AudioFrame, voiced: bool) -> list[SpeechStarted | SpeechEnded]:
        self._utterance.append(frame)
        frame_end = frame.timestamp + frame.duration
        if voiced:
            self._last_voiced_end = frame_end
            self._silence_ms = 0
        else:
            self._silence_ms += self.frame_ms
        events: list[SpeechStarted | SpeechEnded] = []
        if self._silence_ms >= self.end_silence_ms:
            if self._confirmed:
                events.append(self._finish(decided_at=frame_end))
            else:
                _LOGGER.debug(
                    "dropped %.0f ms of voice (< %d ms)",
                    (self._last_voiced_end - self._speech_start) * 1000,
                    self.min_speech_ms,
                )
            tail = self._utterance[-self._history.maxlen :] if self._history.maxlen else []
            self.reset()
            # The trailing silence stays as pre-roll for the next utterance.
            self._history.extend(_Voiced(f, False) for f in tail)
            return events
        events.extend(self._confirm_if_long_enough())
        if frame_end - self._speech_start >= self.max_speech_s:
            _LOGGER.debug("utterance cut at %.1f s (max_speech_s)", self.max_speech_s)
            events.append(self._finish(decided_at=frame_end))
            self.reset()
        return events

    def _confirm_if_long_enough(self) -> list[SpeechStarted | SpeechEnded]:
        if self._confirmed:
            return []
        if (self._last_voiced_end - self._speech_start) * 1000 + 1e-6 < self.min_speech_ms:
            return []
        self._confirmed = True
        return [SpeechStarted(timestamp=self._speech_start)]

    def _finish(self, decided_at: float) -> SpeechEnded:
        first = self._utterance[0]
        ended = SpeechEnded(
            pcm=b"".join(f.pcm for f in self._utterance),
            sample_rate=self.sample_rate,
            start=first.timestamp,
            end=self._last_voiced_end,
            decided_at=decided_at,
        )
        _LOGGER.debug(
            "speech %.2f–%.2f s, decided at %.2f s", self._speech_start, ended.end, decided_at
        )
        return ended
