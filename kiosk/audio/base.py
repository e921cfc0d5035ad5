"""Protocols for audio hardware: a microphone-like source and a speaker with a clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from kiosk.events import AudioFrame, SpeechAudio

__all__ = ["AudioIn", "AudioOut", "PlaybackClock"]


@runtime_checkable
class AudioIn(Protocol):
    """A source of fixed-length 16-bit mono frames (microphone or WAV file)."""

    sample_rate: int
    """Samples per second of the frames it yields."""
    frame_samples: int
    """Samples per frame."""

    def frames(self) -> Iterator[AudioFrame]:
        """Yield frames until the source ends or is closed (blocking)."""
        ...

    def close(self) -> None:
        """Release the device or file; ``frames`` then stops."""
        ...


@runtime_checkable
class PlaybackClock(Protocol):
    """Where playback is now: the clock the avatar's mouth follows."""

    def position(self) -> float:
        """Seconds of audio actually played (heard) since the output opened."""
        ...


@runtime_checkable
class AudioOut(Protocol):
    """A speaker (or a file standing in for one) that plays queued speech."""

    sample_rate: int
    """Rate the device plays at; speech at other rates is resampled."""

    def play(self, audio: SpeechAudio) -> float:
        """Queue ``audio``; return the clock position at which its first sample will play."""
        ...

    def position(self) -> float:
        """Seconds of audio played since the output opened (the playback clock)."""
        ...

    def pending(self) -> float:
        """Seconds of queued audio not yet played."""
        ...

    def flush(self) -> None:
        """Drop everything queued (barge-in); the clock keeps its position."""
        ...

    def close(self) -> None:
        """Finish and release the device or file."""
        ...
