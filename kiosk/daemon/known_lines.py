"""Lines the kiosk says again and again, put in the speech cache once after start-up.

Each line is split and given the emotion exactly as the code that says it does, or
its cache key would not match: the brain's safety redirects sentence by sentence
(``kiosk.brain.core``), the goodnight, limit and error lines whole and neutral
(``replies.queue_line``), the greeting as the brain would speak it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from kiosk.brain.core import redirect_emotion
from kiosk.brain.emotion import classify_emotion
from kiosk.brain.safety import SafetyVerdict
from kiosk.brain.safety_redirects import REDIRECTS
from kiosk.brain.sentences import split_sentences
from kiosk.daemon.policy import LIMIT_LINE, QUIET_LINE
from kiosk.daemon.replies import ERROR_LINE

if TYPE_CHECKING:
    from kiosk.brain import Persona
    from kiosk.voice.base import Synthesizer

__all__ = ["known_lines", "preload_known_lines"]

_LOGGER = logging.getLogger(__name__)


def known_lines(persona: Persona) -> list[tuple[str, str]]:
    """(text, emotion) of every line known ahead, as the daemon hands them to ``speak``."""
    lines: list[tuple[str, str]] = []
    said: list[str] = []
    for sentence in split_sentences(persona.greeting):
        # Brain._emotion without an engine hint: the classifier on the reply so far.
        said.append(sentence)
        lines.append((sentence, classify_emotion(" ".join(said))))
    for category, redirect in REDIRECTS.items():
        verdict = SafetyVerdict(ok=False, category=category, redirect=redirect)
        emotion = redirect_emotion(verdict)
        lines += [(s, emotion) for s in split_sentences(verdict.redirect_for(persona.name))]
    lines += [(line, "neutral") for line in (QUIET_LINE, LIMIT_LINE, ERROR_LINE)]
    return lines


def _until(stop: threading.Event, lines: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    for line in lines:
        if stop.is_set():
            return
        yield line


def preload_known_lines(synthesizer: Synthesizer, persona: Persona, stop: threading.Event) -> int:
    """Fill ``synthesizer``'s cache with ``known_lines`` (blocking); how many were synthesised.

    Stops between lines once ``stop`` is set; a failure is logged, never raised (the
    lines are then synthesised when first said, as without a cache).
    """
    preload = getattr(synthesizer, "preload", None)
    if preload is None:
        return 0
    started = time.perf_counter()
    try:
        spoken = int(preload(_until(stop, known_lines(persona))))
    except Exception as exc:
        _LOGGER.warning("known lines not preloaded: %s", exc, extra={"stage": "voice"})
        return 0
    _LOGGER.info(
        "speech cache: %d known lines synthesised in %.1f s",
        spoken,
        time.perf_counter() - started,
        extra={"stage": "voice"},
    )
    return spoken
