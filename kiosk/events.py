"""Typed messages that flow between the stages of the loop.

Data flows one way: capture → listen → stt → brain → voice → playback → avatar.
Control (cancel, state changes, errors, end of stream) travels as messages too,
never as magic strings inside data.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from dataclasses import dataclass

__all__ = [
    "AudioFrame",
    "Cancel",
    "EndOfStream",
    "Event",
    "LipSyncTrack",
    "ReplyDone",
    "ReplySentence",
    "ReplyToken",
    "SpeechAudio",
    "SpeechEnded",
    "SpeechStarted",
    "StageError",
    "State",
    "StateChanged",
    "Transcript",
    "UserText",
    "WakeDetected",
]


class State(enum.StrEnum):
    """What the kiosk is doing, shown on the avatar and reported to the admin TUI."""

    SLEEPING = "sleeping"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    ERROR = "error"


# --- audio in -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """A fixed-length block of captured audio."""

    pcm: bytes
    """Signed 16-bit little-endian mono samples."""
    sample_rate: int
    """Samples per second (16 000 on the live path)."""
    timestamp: float
    """Seconds since the start of the stream, of the first sample."""

    @property
    def duration(self) -> float:
        """Seconds of audio in this frame."""
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True, slots=True)
class WakeDetected:
    """The wake phrase was heard."""

    phrase: str
    """The configured phrase that matched."""
    score: float
    """Confidence 0..1 of the detector."""
    timestamp: float
    """Stream seconds at the end of the wake phrase."""


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Voice activity began."""

    timestamp: float
    """Stream seconds of the first voiced frame (pre-roll not included)."""


@dataclass(frozen=True, slots=True, eq=False)
class SpeechEnded:
    """An utterance is complete (endpoint reached); carries its audio."""

    pcm: bytes
    """Signed 16-bit mono samples of the whole utterance, pre-roll included."""
    sample_rate: int
    """Samples per second."""
    start: float
    """Stream seconds where the utterance's audio begins."""
    end: float
    """Stream seconds of the last voiced frame."""
    decided_at: float
    """Stream seconds when the endpointer decided the speech had ended."""


@dataclass(frozen=True, slots=True)
class Transcript:
    """Text recognised from an utterance."""

    text: str
    """The recognised text, stripped."""
    language: str
    """ISO code of the language the recogniser used or detected."""
    is_final: bool = True
    """False for streaming partial results."""
    audio_seconds: float = 0.0
    """Length of the audio that was transcribed."""
    confidence: float = 1.0
    """Recogniser confidence 0..1 (average token probability where known)."""


# --- brain ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserText:
    """Something the child said or typed, ready for the brain."""

    text: str
    """What was said, as text."""
    source: str = "text"
    """Where it came from: ``voice``, ``text`` (chat) or ``admin``."""


@dataclass(frozen=True, slots=True)
class ReplyToken:
    """A piece of the reply as the engine produces it."""

    text: str
    """The token's text (may be a word fragment)."""


@dataclass(frozen=True, slots=True)
class ReplySentence:
    """A complete sentence of the reply, ready to be spoken."""

    text: str
    """The sentence as shown on screen (emoji kept)."""
    index: int
    """0-based position of the sentence in the reply."""
    emotion: str = "neutral"
    """Emotion label of the reply so far (see ``kiosk.brain.emotion``)."""


@dataclass(frozen=True, slots=True)
class ReplyDone:
    """The reply is complete."""

    text: str
    """The whole reply."""
    emotion: str
    """Emotion label of the whole reply."""
    engine: str
    """Name of the engine that produced it (``llm:<model>``, ``scripted``)."""
    safety: str = "ok"
    """Safety verdict: ``ok``, or the reason the reply was redirected."""


# --- voice and avatar ---------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class LipSyncTrack:
    """Mouth openness sampled at a fixed rate along a piece of audio."""

    rate: float
    """Samples per second of ``openness`` (100 means one value every 10 ms)."""
    openness: tuple[float, ...]
    """Mouth openness 0 (closed) .. 1 (wide open) per sample."""
    visemes: tuple[tuple[float, str], ...] = ()
    """Optional (start seconds, viseme label) pairs from the engine's phonemes."""

    @property
    def duration(self) -> float:
        """Seconds covered by the track."""
        return len(self.openness) / self.rate

    def openness_at(self, t: float) -> float:
        """Mouth openness at ``t`` seconds from the start, linearly interpolated."""
        if not self.openness or t < 0:
            return 0.0
        x = t * self.rate
        i = int(x)
        if i >= len(self.openness) - 1:
            return self.openness[-1] if i < len(self.openness) else 0.0
        frac = x - i
        return self.openness[i] * (1 - frac) + self.openness[i + 1] * frac

    def viseme_at(self, t: float) -> str:
        """The viseme label active at ``t`` seconds, or ``""`` when none is known."""
        if not self.visemes:
            return ""
        i = bisect_right([start for start, _ in self.visemes], t) - 1
        return self.visemes[i][1] if i >= 0 else ""


@dataclass(frozen=True, slots=True, eq=False)
class SpeechAudio:
    """Synthesised speech for one sentence, with its lip-sync track."""

    pcm: bytes
    """Signed 16-bit mono samples."""
    sample_rate: int
    """Samples per second."""
    text: str
    """The sentence that was spoken."""
    index: int
    """0-based position of the sentence in the reply."""
    track: LipSyncTrack
    """Mouth openness along this audio."""
    emotion: str = "neutral"
    """Emotion label the avatar shows while this plays."""

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return len(self.pcm) / 2 / self.sample_rate


# --- control ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The kiosk moved to another state."""

    state: State
    """The new state."""
    reason: str = ""
    """Why, for the log and the admin TUI."""


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop everything downstream (barge-in, persona switch, shutdown)."""

    reason: str
    """Why, for the log."""


@dataclass(frozen=True, slots=True)
class StageError:
    """A stage failed; the pipeline logs it and keeps going."""

    stage: str
    """Which stage: ``stt``, ``brain``, ``voice``, ``avatar``, ``audio``."""
    message: str
    """What went wrong, in words a parent can act on."""


@dataclass(frozen=True, slots=True)
class EndOfStream:
    """No more messages will follow on this stream."""

    reason: str = ""
    """Why the stream ended, if not simply exhausted."""


Event = (
    AudioFrame
    | WakeDetected
    | SpeechStarted
    | SpeechEnded
    | Transcript
    | UserText
    | ReplyToken
    | ReplySentence
    | ReplyDone
    | SpeechAudio
    | StateChanged
    | Cancel
    | StageError
    | EndOfStream
)
