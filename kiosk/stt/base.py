"""The Transcriber protocol every speech-to-text engine implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kiosk.events import Transcript

__all__ = ["Transcriber"]


@runtime_checkable
class Transcriber(Protocol):
    """Turns an utterance into text (blocking; call it from a worker thread)."""

    name: str
    """Engine and model, for logs and timings (``whisper:whisper-base``)."""
    device: str
    """Where it runs: ``cpu`` or ``cuda``."""

    def transcribe(self, pcm: bytes, sample_rate: int) -> Transcript:
        """Recognise signed 16-bit mono ``pcm`` at ``sample_rate`` Hz."""
        ...
