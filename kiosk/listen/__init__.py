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
]


def make_endpointer(settings: Settings) -> Endpointer:
    """The end-of-speech detector for ``settings.listen`` at ``settings.audio``'s frame format."""
    from kiosk.listen.vad import WebRtcEndpointer

    return WebRtcEndpointer.from_settings(settings.listen, settings.audio)


def make_wake_detector(settings: Settings) -> WakeDetector:
    """The wake-phrase detector for ``settings.listen`` (keyword spotting on transcripts)."""
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
