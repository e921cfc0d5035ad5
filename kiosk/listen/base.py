"""Protocols for the listening stage: wake word detection and end-of-speech detection."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kiosk.events import AudioFrame, SpeechEnded, SpeechStarted, WakeDetected

__all__ = ["Endpointer", "WakeDetector"]


@runtime_checkable
class Endpointer(Protocol):
    """Finds where speech starts and ends in a stream of frames."""

    def feed(self, frame: AudioFrame) -> list[SpeechStarted | SpeechEnded]:
        """Take one frame; return the events it completes (often none)."""
        ...

    def flush(self) -> list[SpeechEnded]:
        """End of stream: return the utterance in progress, if any."""
        ...

    def reset(self) -> None:
        """Forget any utterance in progress."""
        ...


@runtime_checkable
class WakeDetector(Protocol):
    """Decides whether an utterance (or stream) contains the wake phrase."""

    def check(self, utterance: SpeechEnded, text: str | None = None) -> WakeDetected | None:
        """Return a detection when ``utterance`` holds the wake phrase.

        ``text`` is the transcript when the caller already has one (engines that
        spot keywords in transcripts use it; acoustic engines ignore it).
        """
        ...

    def strip(self, text: str) -> str:
        """Remove the wake phrase from a transcript ("Аня, привет" → "привет")."""
        ...
