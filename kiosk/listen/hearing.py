"""The hearing loop without hardware: frames → endpointer → STT → wake check, as events.

``hear`` is what ``kiosk listen --file`` prints and what a bench or the headless
demo can reuse. It keeps the one piece of state the wake word needs: after an
accepted utterance the kiosk stays awake for ``follow_up_s``, so "Аня, … (pause)
… что ты любишь рисовать?" cut into two utterances is still one request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kiosk.events import AudioFrame, SpeechEnded, SpeechStarted, Transcript, WakeDetected
from kiosk.listen.base import Endpointer, WakeDetector
from kiosk.stt.base import Transcriber

__all__ = ["JOIN_S", "Heard", "HearingEvent", "hear", "join_pauses", "join_utterances"]

_LOGGER = logging.getLogger(__name__)

JOIN_S = 1.0
"""Seconds of pause after which speech is a new utterance, not the rest of the last one."""


@dataclass(frozen=True, slots=True)
class Heard:
    """One utterance, recognised and judged."""

    utterance: SpeechEnded
    """The audio and its times."""
    transcript: Transcript
    """What the recogniser heard (wake phrase included)."""
    text: str
    """The transcript with the wake phrase removed: what goes to the brain."""
    wake: WakeDetected | None
    """The wake detection, when the utterance opened with the wake phrase."""
    accepted: bool
    """True when the kiosk listens to it: woken now, still awake, or no wake needed."""
    stt_ms: float
    """Milliseconds the recogniser took."""


HearingEvent = SpeechStarted | SpeechEnded | WakeDetected | Heard


def hear(
    frames: Iterable[AudioFrame],
    endpointer: Endpointer,
    transcriber: Transcriber,
    wake: WakeDetector | None,
    *,
    follow_up_s: float = 8.0,
    join_s: float | None = None,
) -> Iterator[HearingEvent]:
    """Yield speech start/end, wake detections and ``Heard`` results for ``frames``.

    ``wake=None`` accepts every utterance. Otherwise an utterance is accepted when
    it opens with the wake phrase or ends within ``follow_up_s`` of the end of the
    previous accepted one. With ``join_s`` (seconds), an utterance followed by more
    speech within ``join_s`` is joined with it before it is judged, as the live loop
    does after a mid-sentence pause.
    """
    awake_until = float("-inf")
    pending: SpeechEnded | None = None
    speaking = False

    def judge(ended: SpeechEnded) -> Iterator[HearingEvent]:
        nonlocal awake_until
        started = time.perf_counter()
        transcript = transcriber.transcribe(ended.pcm, ended.sample_rate)
        stt_ms = (time.perf_counter() - started) * 1000
        detected = wake.check(ended, transcript.text) if wake is not None else None
        if detected is not None:
            yield detected
        text = wake.strip(transcript.text) if wake is not None else transcript.text.strip()
        accepted = wake is None or detected is not None or ended.start <= awake_until
        if accepted and (text or detected is not None):
            awake_until = ended.decided_at + follow_up_s
        _LOGGER.debug("heard %r (accepted=%s, %.0f ms)", transcript.text, accepted, stt_ms)
        yield Heard(ended, transcript, text, detected, accepted, stt_ms)

    def ended_speech(ended: SpeechEnded) -> Iterator[HearingEvent]:
        nonlocal pending
        if join_s is None:
            yield from judge(ended)
        elif pending is not None and ended.start - pending.end <= join_s:
            pending = join_utterances(pending, ended)
        else:
            if pending is not None:
                yield from judge(pending)
            pending = ended

    for frame in frames:
        for event in endpointer.feed(frame):
            yield event
            if isinstance(event, SpeechStarted):
                speaking = True
            elif isinstance(event, SpeechEnded):
                speaking = False
                yield from ended_speech(event)
        if pending is not None and join_s is not None and not speaking:
            if frame.timestamp - pending.end > join_s:
                done, pending = pending, None
                yield from judge(done)
    for ended in endpointer.flush():
        yield ended
        yield from ended_speech(ended)
    if pending is not None:
        yield from judge(pending)


def join_utterances(first: SpeechEnded, second: SpeechEnded) -> SpeechEnded:
    """One utterance from two that a mid-sentence pause cut apart ("Расскажи, | пожалуйста …").

    With a short ``end_silence_ms`` (fast replies) a pause can end an utterance
    early; when the child goes on talking within a second, the live loop
    cancels the early reply and should answer ``join_utterances(first, second)``.
    The audio the two share (``second``'s pre-roll overlapping ``first``'s tail)
    is kept once.
    """
    if first.sample_rate != second.sample_rate:
        raise ValueError("utterances at different sample rates")
    rate = first.sample_rate
    first_stop = first.start + len(first.pcm) / 2 / rate
    overlap = max(0, round((first_stop - second.start) * rate)) * 2
    gap = max(0, round((second.start - first_stop) * rate)) * 2
    pcm = first.pcm + bytes(gap) + second.pcm[min(overlap, len(second.pcm)) :]
    return SpeechEnded(
        pcm=pcm,
        sample_rate=rate,
        start=first.start,
        end=second.end,
        decided_at=second.decided_at,
    )


def join_pauses(utterances: Iterable[SpeechEnded], join_s: float = JOIN_S) -> list[SpeechEnded]:
    """Join every utterance that starts within ``join_s`` of the previous one's last voice.

    For whole recordings (``kiosk demo``): with a short ``listen.end_silence_ms`` a
    comma pause ends an utterance early; the live loop joins such parts as they
    come (``kiosk.daemon.frames``), this does the same for a finished list.
    """
    joined: list[SpeechEnded] = []
    for utterance in utterances:
        # ``start`` includes the pre-roll: the pause allowed is ``join_s`` plus it.
        if joined and utterance.start - joined[-1].end <= join_s:
            joined[-1] = join_utterances(joined[-1], utterance)
        else:
            joined.append(utterance)
    return joined
