"""Echo cancellation parts of the live loop: the canceller, barge-in, and the speaker tap."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.audio.base import AudioOut
    from kiosk.config import Settings
    from kiosk.events import SpeechAudio

__all__ = ["EchoReferenceSpeaker", "make_echo_parts"]

_LOGGER = logging.getLogger(__name__)


def make_echo_parts(settings: Settings) -> tuple[Any, Any, Any]:
    """Echo canceller, barge-in detector and echo gate; (None, None, None) for half-duplex."""
    if not (settings.listen.echo_cancellation and settings.listen.barge_in):
        return None, None, None
    from kiosk.listen import make_barge_in_detector, make_echo_canceller
    from kiosk.listen.bargein import EchoGate

    try:
        echo = make_echo_canceller(settings)
    except RuntimeError as exc:
        _LOGGER.warning("no echo cancellation (%s): half-duplex, no barge-in", exc)
        return None, None, None
    gate = EchoGate(settings.audio.sample_rate)
    return echo, make_barge_in_detector(settings), gate


class EchoReferenceSpeaker:
    """A speaker that hands what it plays to the echo canceller as the far-end reference."""

    def __init__(self, speaker: AudioOut, echo: Any) -> None:
        """Wrap ``speaker``; ``echo`` receives every chunk as its reference."""
        self._speaker = speaker
        self._echo = echo
        self.sample_rate = speaker.sample_rate

    def play(self, audio: SpeechAudio) -> float:
        """Queue ``audio`` and its reference (the reference queues like the speaker).

        The reference starts at the end of the microphone audio captured so far (no
        frame captured earlier can hold its echo, however many still wait to be
        processed), or queued behind the reference still to play.
        """
        start = self._speaker.play(audio)
        self._echo.feed_reference(audio.pcm, audio.sample_rate)
        return start

    def position(self) -> float:
        """The wrapped speaker's clock."""
        return self._speaker.position()

    def pending(self) -> float:
        """Seconds queued on the wrapped speaker."""
        return self._speaker.pending()

    def flush(self) -> None:
        """Barge-in: drop queued audio and its reference."""
        self._speaker.flush()
        self._echo.flush_reference()

    def close(self) -> None:
        """Close the wrapped speaker."""
        self._speaker.close()
