"""One utterance through the streaming pipeline, the sequential baseline and each stage alone.

All three shapes use the same engines in the same process.

Every shape hears as the live loop does (``kiosk.daemon.replies.answer_utterance``):
asleep, an acoustic wake detector checks the *sound* for «Аня» first and speech
without it gets no STT at all; after STT the transcript may veto the wake; in the
follow-up window (``awake``) there is no wake check. A transcript wake detector
checks the text after STT.

All latencies are milliseconds from the *end of the child's speech* (the last voiced
frame). The endpointer's hangover is audio time (a live microphone delivers the
silence in real time); everything after it is measured wall time, and audio start
times are read on the speaker's clock, as the avatar reads them. The first lip-synced
frame is the daemon's ``first_frame`` mark: a frame loop (``FrameLoop``) draws at
``avatar.fps`` throughout the streaming turn and reports to the turn's ``FrameWatch``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.bench.corpus import Utterance
from kiosk.bench.frames import FrameLoop
from kiosk.bench.measure import av_offset_ms, render_frames, word_errors
from kiosk.events import ReplyDone, ReplySentence, SpeechEnded, State, UserText

if TYPE_CHECKING:
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.brain.core import Brain
    from kiosk.config import Settings
    from kiosk.daemon.pipeline import TurnRunner
    from kiosk.demo import WallFollowingSpeaker
    from kiosk.listen.base import WakeDetector
    from kiosk.stt.base import Transcriber
    from kiosk.voice.base import Synthesizer

__all__ = ["Engines", "UtteranceResult", "endpoint", "measure_utterance"]

_LOGGER = logging.getLogger(__name__)

FLOOR_STT_RUNS = 2
"""STT runs per utterance for its floor; the fastest counts (other load on the CPU is noise)."""
GAP_S = 1.0
"""Playback-clock seconds between one utterance's reply and the next utterance."""


@dataclass
class Engines:
    """The loaded stages, shared by the streaming, sequential and floor shapes."""

    settings: Settings
    transcriber: Transcriber
    wake: WakeDetector
    brain: Brain
    synthesizer: Synthesizer
    renderer: AvatarRenderer
    runner: TurnRunner
    speaker: WallFollowingSpeaker
    animator: Any
    store: Any
    """The throwaway database the bench turns are written to."""
    clock: float = 0.5
    """Where on the playback clock the next utterance starts, seconds."""


@dataclass
class UtteranceResult:
    """What one utterance gave in each shape."""

    id: str
    kind: str
    variant: str
    text: str
    expected_wake: bool
    heard: str = ""
    woke: bool = False
    word_errors: int = 0
    reference_words: int = 0
    reply: str = ""
    endpoint_missed: bool = False
    stt_skipped: bool = False
    """Asleep and no «Аня» in the sound: the live loop runs no STT (``heard`` is then
    transcribed outside the timed path, for the word error rate only)."""
    vetoed: bool = False
    """The sound heard «Аня», the transcript overruled it (another name, no name)."""
    streaming: dict[str, float] = field(default_factory=dict)
    sequential: dict[str, float] = field(default_factory=dict)
    floor: dict[str, float] = field(default_factory=dict)
    av_offset_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the report."""
        return {
            "id": self.id,
            "kind": self.kind,
            "variant": self.variant,
            "text": self.text,
            "heard": self.heard,
            "expected_wake": self.expected_wake,
            "woke": self.woke,
            "wer": round(self.word_errors / self.reference_words, 3)
            if self.reference_words
            else None,
            "reply": self.reply,
            "endpoint_missed": self.endpoint_missed,
            "stt_skipped": self.stt_skipped,
            "vetoed": self.vetoed,
            "streaming_ms": self.streaming,
            "sequential_ms": self.sequential,
            "floor_ms": self.floor,
            "av_offset_ms": self.av_offset_ms,
        }


def endpoint(path: Path, settings: Settings) -> tuple[SpeechEnded | None, float, bool]:
    """Run the file through ``WavFileSource`` → ``WebRtcEndpointer``, pauses joined.

    Returns (utterance, file seconds, missed): ``missed`` is True when the endpointer
    never decided the (last) speech had ended and only the end of the file closed it
    (a live kiosk would wait for ``listen.max_speech_s``). Pieces a mid-sentence pause
    cut apart are joined as the live loop joins them (``join_pauses``); should longer
    pauses leave several, they are joined too: the bench gives each file one turn.
    """
    from kiosk.audio.wav import WavFileSource
    from kiosk.listen import make_endpointer
    from kiosk.listen.hearing import join_pauses, join_utterances

    endpointer = make_endpointer(settings)
    source = WavFileSource(
        path, sample_rate=settings.audio.sample_rate, frame_ms=settings.audio.frame_ms
    )
    found: list[SpeechEnded] = []
    try:
        for frame in source.frames():
            found.extend(e for e in endpointer.feed(frame) if isinstance(e, SpeechEnded))
    finally:
        source.close()
    flushed = endpointer.flush()
    pieces = join_pauses([*found, *flushed])
    if not pieces:
        return None, source.duration, True
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = join_utterances(joined, piece)
    return joined, source.duration, bool(flushed)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _acoustic(eng: Engines) -> bool:
    """True when the wake detector listens to the sound (checked before STT when asleep)."""
    return not getattr(eng.wake, "needs_transcript", True)


def _vetoed(eng: Engines, text: str, detection: Any, utt: SpeechEnded) -> bool:
    """The transcript's second opinion on an acoustic wake (``second_opinion`` in the daemon)."""
    veto = getattr(eng.wake, "veto", None)
    return veto is not None and veto(text, detection, utt) is not None


async def _hear(
    eng: Engines, utt: SpeechEnded, awake: bool, out: UtteranceResult
) -> tuple[str | None, dict[str, float]]:
    """Wake word and STT in the live loop's order; (text for the brain or None, ms marks).

    Marks are ms from the start of hearing: ``wake`` (when checked) and ``stt``.
    """
    marks: dict[str, float] = {}
    started = time.perf_counter()
    acoustic = _acoustic(eng)
    detection = None
    if acoustic and not awake:
        detection = await asyncio.to_thread(eng.wake.check, utt)
        marks["wake"] = _ms_since(started)
        if detection is None:
            out.stt_skipped = True
            return None, marks
    transcript = await asyncio.to_thread(eng.transcriber.transcribe, utt.pcm, utt.sample_rate)
    marks["stt"] = _ms_since(started)
    out.heard = transcript.text
    if not acoustic and not awake:
        detection = eng.wake.check(utt, transcript.text)
        marks["wake"] = _ms_since(started)
    elif detection is not None and _vetoed(eng, transcript.text, detection, utt):
        out.vetoed = True
        detection = None
    out.woke = detection is not None
    if not (out.woke or awake):
        return None, marks
    text = eng.wake.strip(transcript.text) if out.woke else transcript.text
    return (text if text.strip() else None), marks


async def _streaming(
    eng: Engines, utt: SpeechEnded, hangover: float, out: UtteranceResult, awake: bool = False
) -> str | None:
    """The real pipeline; returns the text the brain got (None: no turn)."""
    from kiosk.daemon.pipeline import FIRST_FRAME_MARK, TurnTimer

    base = eng.clock
    eng.speaker.resume_at(base + utt.decided_at)
    timer = TurnTimer()
    fps = eng.settings.avatar.fps
    # The daemon draws all the time; here from the decision on, at the configured rate.
    with FrameLoop(eng.renderer, eng.animator, eng.speaker, fps, eng.runner.frame_watch) as frames:
        text, heard = await _hear(eng, utt, awake, out)
        timer.add("stt", heard.get("stt", 0.0))
        if text is None:
            eng.clock = base + utt.decided_at + GAP_S
            return None
        eng.animator.set_state(State.LISTENING, at=base + utt.start)
        result = await eng.runner.run(UserText(text=text, source="bench"), timer)
        first_frame = timer.marks.get(FIRST_FRAME_MARK)
        if first_frame is None and result.speech:
            # The turn ended (its audio queued) before a frame reached its first sample:
            # the same rule as FrameWatch, read from the loop's log of frames shown.
            shown = await asyncio.to_thread(frames.first_shown_at, result.speech[0][0])
            if shown is not None:
                first_frame = (shown - timer.origin) * 1000.0
    out.reply = result.reply
    marks = result.timings
    s = out.streaming
    s["endpoint"] = hangover
    for name in ("first_token", "first_sentence", "first_audio", "reply_done"):
        if name in marks:
            s[name] = round(hangover + marks[name], 2)
    for name, ms in heard.items():  # wake before STT asleep (acoustic), after it (transcript)
        s[name] = round(hangover + ms, 2)
    if result.speech:
        first_start = result.speech[0][0]
        # The speaker's clock is the authority on when the first sample plays.
        s["first_audio"] = round(hangover + (first_start - base - utt.decided_at) * 1000.0, 2)
        if first_frame is not None:
            s["first_frame"] = round(hangover + first_frame, 2)
        s["reply_end"] = round(hangover + (result.speech_end - base - utt.decided_at) * 1000.0, 2)
        s["reply_audio"] = round(sum(a.duration for _, a in result.speech) * 1000.0, 2)
        out.av_offset_ms = av_offset_ms(
            eng.animator, eng.speaker.timeline, first_start, result.speech_end
        )
    eng.clock = max(base + utt.decided_at, result.speech_end) + GAP_S
    return text


async def _sequential(
    eng: Engines, utt: SpeechEnded, hangover: float, out: UtteranceResult, awake: bool = False
) -> None:
    """The original plan: transcribe all, generate all, synthesise all, render all, then play."""
    from kiosk.avatar.animator import Animator
    from kiosk.voice import speak

    s = out.sequential
    s["endpoint"] = hangover
    started = time.perf_counter()
    # The kiosk's display draws its idle face all along in either design: the same
    # frame loop runs here while the stages work, so the comparison is fair.
    with FrameLoop(eng.renderer, eng.animator, eng.speaker, eng.settings.avatar.fps):
        # The plan had a wake word too; it is heard in the live loop's order, on one thread.
        acoustic = _acoustic(eng)
        detection = eng.wake.check(utt) if acoustic and not awake else None
        if acoustic and not awake:
            s["wake"] = hangover + _ms_since(started)
        transcript = eng.transcriber.transcribe(utt.pcm, utt.sample_rate)
        s["stt"] = hangover + _ms_since(started)
        if not acoustic and not awake:
            detection = eng.wake.check(utt, transcript.text)
            s["wake"] = hangover + _ms_since(started)
        elif detection is not None:
            _vetoed(eng, transcript.text, detection, utt)
        text = eng.wake.strip(transcript.text) if detection is not None else transcript.text
        sentences: list[ReplySentence] = []
        stream = eng.brain.reply(text)
        async with contextlib.aclosing(stream):
            async for event in stream:
                if isinstance(event, ReplySentence):
                    sentences.append(event)
                elif isinstance(event, ReplyDone):
                    s["reply_done"] = hangover + _ms_since(started)
        spoken = [x for x in (speak(eng.synthesizer, e.text, e.emotion) for e in sentences) if x]
        s["tts_done"] = hangover + _ms_since(started)
    animator = Animator(seed=11)
    animator.set_state(State.SPEAKING, at=0.0)
    at = 0.0
    for synthesis in spoken:
        animator.add_speech(at, synthesis.track)
        at += synthesis.duration
    fps = min(eng.settings.avatar.fps, 30)
    render_frames(eng.renderer, animator, 0.0, max(1, int(at * fps)), fps)
    s["render_done"] = hangover + _ms_since(started)
    # Playback starts once the whole reply is rendered: first sample and first frame together.
    s["first_audio"] = s["render_done"]
    s["first_frame"] = s["render_done"]
    for key, value in s.items():
        s[key] = round(value, 2)


async def _floor(
    eng: Engines,
    utt: SpeechEnded,
    hangover: float,
    text: str,
    out: UtteranceResult,
    awake: bool = False,
) -> None:
    """Each stage alone on the same input: the least the pipeline could take."""
    from kiosk.voice import speak

    f = out.floor
    f["endpoint"] = hangover
    runs = []
    for _ in range(FLOOR_STT_RUNS):
        started = time.perf_counter()
        eng.transcriber.transcribe(utt.pcm, utt.sample_rate)
        runs.append(_ms_since(started))
    f["stt"] = min(runs)
    if not awake:  # the follow-up window has no wake check
        started = time.perf_counter()
        if _acoustic(eng):
            detection = eng.wake.check(utt)
            if detection is not None:
                _vetoed(eng, out.heard, detection, utt)
        else:
            eng.wake.check(utt, out.heard)
        f["wake"] = _ms_since(started)
    started = time.perf_counter()
    first = ""
    stream = eng.brain.reply(text)
    async with contextlib.aclosing(stream):
        async for event in stream:
            if isinstance(event, ReplySentence):
                first = event.text
                break
    f["brain_first_sentence"] = _ms_since(started)
    started = time.perf_counter()
    speak(eng.synthesizer, first or text)
    f["tts_first_sentence"] = _ms_since(started)
    from kiosk.avatar.display import HeadlessDisplay

    # One frame through the loop's path (draw, show); the loop's pacing is not a floor.
    t, display = eng.clock, HeadlessDisplay()
    started = time.perf_counter()
    display.show(eng.renderer.draw(eng.animator.pose_at(t), t), t)
    f["first_frame"] = _ms_since(started)
    f["first_audio_sum"] = (
        f["endpoint"]
        + f.get("wake", 0.0)
        + f["stt"]
        + f["brain_first_sentence"]
        + f["tts_first_sentence"]
    )
    f["sum"] = f["first_audio_sum"] + f["first_frame"]
    for key, value in f.items():
        f[key] = round(value, 3 if key == "wake" else 2)  # a keyword check takes µs


async def measure_utterance(
    eng: Engines, item: Utterance, say: Callable[[str], None], *, awake: bool = False
) -> UtteranceResult:
    """Endpoint, then the streaming turn, the sequential baseline and the floor for ``item``.

    ``awake``: the utterance comes in the follow-up window (no wake check); the bench
    corpus is heard asleep, as a child calling Аня.
    """
    out = UtteranceResult(item.id, item.kind, item.variant, item.text, item.wake)
    utt, seconds, out.endpoint_missed = endpoint(item.path, eng.settings)
    if utt is None:
        say(f"  {item.id}: речь не найдена")
        eng.clock += seconds + GAP_S
        return out
    hangover = round((utt.decided_at - utt.end) * 1000.0, 2)
    text = await _streaming(eng, utt, hangover, out, awake)
    if out.stt_skipped:  # for the word error rate only, outside every timed path
        out.heard = eng.transcriber.transcribe(utt.pcm, utt.sample_rate).text
    out.word_errors, out.reference_words = word_errors(item.text, out.heard)
    outcome = "ответ" if text else "без STT" if out.stt_skipped else "без ответа"
    say(f"  {item.id}: «{out.heard}» → {outcome}")
    if text is None or not out.streaming.get("first_audio"):
        return out
    await _sequential(eng, utt, hangover, out, awake)
    await _floor(eng, utt, hangover, text, out, awake)
    return out
