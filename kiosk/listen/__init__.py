"""Listening: wake word, voice activity endpointing, barge-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.listen.base import Endpointer, WakeDetector

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.listen.bargein import BargeInDetector
    from kiosk.listen.echo import EchoCanceller

__all__ = [
    "Endpointer",
    "WakeDetector",
    "make_barge_in_detector",
    "make_echo_canceller",
    "make_endpointer",
    "make_wake_detector",
    "wake_engine",
]


def make_endpointer(settings: Settings) -> Endpointer:
    """The end-of-speech detector for ``settings.listen`` at ``settings.audio``'s frame format.

    ``listen.vad_engine = "silero"`` needs the ``silero-vad`` package (``ModelMissing``
    with an install hint otherwise); ``"webrtc"`` always works.
    """
    if settings.listen.vad_engine == "silero":
        from kiosk.listen.silero import SileroEndpointer

        return SileroEndpointer.from_settings(settings.listen, settings.audio)
    from kiosk.listen.vad import WebRtcEndpointer

    return WebRtcEndpointer.from_settings(settings.listen, settings.audio)


def wake_engine(settings: Settings) -> str:
    """The wake engine that ``make_wake_detector`` will build: ``oww`` or ``transcript``."""
    engine = settings.listen.wake_engine
    if engine != "auto":
        return engine
    from kiosk.listen.oww import WAKE_HEAD, backbone_dir
    from kiosk.listen.wake import normalize_words

    # The shipped head knows one name: other wake phrases need the transcript matcher.
    knows = any(normalize_words(p)[-1:] == ["аня"] for p in settings.listen.wake_phrases)
    installed = WAKE_HEAD.is_file() and backbone_dir() is not None
    return "oww" if knows and installed else "transcript"


def make_wake_detector(settings: Settings) -> WakeDetector:
    """The wake-phrase detector for ``settings.listen``.

    ``oww``: ``OwwWakeDetector`` (acoustic; also has a streaming ``feed(frame)`` and
    ``needs_transcript = False``); ``transcript``: ``TranscriptWakeDetector``
    (keyword spotting on the STT text, ``needs_transcript = True``). ``auto`` picks
    oww when its head and backbone are installed. An explicit ``oww`` without them
    raises ``ModelMissing``. ``auto`` also falls back to the transcript when
    ``listen.wake_phrases`` no longer end in «аня» (the parent renamed her).
    """
    if wake_engine(settings) == "oww":
        from kiosk.listen.acoustic import OwwWakeDetector

        return OwwWakeDetector.from_settings(settings.listen)
    from kiosk.listen.wake import TranscriptWakeDetector

    return TranscriptWakeDetector.from_settings(settings.listen)


def make_echo_canceller(settings: Settings) -> EchoCanceller:
    """WebRTC echo cancellation at ``settings.audio``'s rate.

    Raises ``RuntimeError`` naming the extra when the ``livekit`` wheel is missing.
    """
    from kiosk.listen.echo import EchoCanceller

    return EchoCanceller(settings.audio.sample_rate)


def make_barge_in_detector(settings: Settings) -> BargeInDetector:
    """The detector that notices the child talking over the avatar."""
    from kiosk.listen.bargein import BargeInDetector

    return BargeInDetector.from_settings(settings.listen, settings.audio)
