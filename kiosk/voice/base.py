"""The Synthesizer protocol every text-to-speech engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kiosk.events import LipSyncTrack

__all__ = ["EMOTION_SPEED", "Synthesis", "Synthesizer"]

EMOTION_SPEED: dict[str, float] = {
    "happy": 1.06,
    "excited": 1.1,
    "surprised": 1.05,
    "sad": 0.9,
    "calm": 0.95,
    "concern": 0.93,
    "sleepy": 0.88,
    "tired": 0.9,
}
"""Emotion → speaking-speed factor (above 1 faster), for engines without a style input."""


@dataclass(frozen=True, slots=True, eq=False)
class Synthesis:
    """Speech for one piece of text."""

    pcm: bytes
    """Signed 16-bit mono samples."""
    sample_rate: int
    """Samples per second."""
    track: LipSyncTrack
    """Mouth openness along the audio (from phoneme timings or the audio envelope)."""

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return len(self.pcm) / 2 / self.sample_rate


@runtime_checkable
class Synthesizer(Protocol):
    """Speaks text (blocking; call it from a worker thread)."""

    name: str
    """Engine and voice for logs (``espeak:ru+f3``)."""

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text``; ``emotion`` may shape pitch and speed."""
        ...
