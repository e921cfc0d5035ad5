"""One utterance through the streaming pipeline, the sequential baseline and each stage alone.

All three shapes use the same engines in the same process.

All latencies are milliseconds from the *end of the child's speech* (the last voiced
frame). The endpointer's hangover is audio time (a live microphone delivers the
silence in real time); everything after it is measured wall time, and audio start
times are read on the speaker's clock, as the avatar reads them.
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
            "streaming_ms": self.streaming,
            "sequential_ms": self.sequential,
            "floor_ms": self.floor,
            "av_offset_ms": self.av_offset_ms,
        }


def endpoint(path: Path, settings: Settings) -> tuple[SpeechEnded | None, float, bool]:
    """Run the file through ``WavFileSource`` → ``WebRtcEndpointer``.

    Returns (utterance, file seconds, missed): ``missed`` is True when the endpointer
    never decided the speech had ended and only the end of the file closed it (a
    live kiosk would wait for ``listen.max_speech_s``). Several utterances (a pause
    mid-sentence) are joined into one: the bench gives each file one turn.
    """
    from kiosk.audio.wav import WavFileSource
    from kiosk.listen import make_endpointer

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
    decided = bool(found)
    found.extend(endpointer.flush())
    if not found:
        return None, source.duration, True
    last = found[-1]
    joined = SpeechEnded(
        pcm=b"".join(u.pcm for u in found),
        sample_rate=last.sample_rate,
        start=found[0].start,
        end=last.end,
        decided_at=last.decided_at,
    )
    return joined, source.duration, not decided


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


async def _streaming(
    eng: Engines, utt: SpeechEnded, hangover: float, out: UtteranceResult
) -> str | None:
    """The real pipeline; returns the text the brain got (None: no turn)."""
    from kiosk.daemon.pipeline import TurnTimer

    base = eng.clock
    eng.speaker.resume_at(base + utt.decided_at)
    timer = TurnTimer()
    started = time.perf_counter()
    transcript = await asyncio.to_thread(eng.transcriber.transcribe, utt.pcm, utt.sample_rate)
    timer.add("stt", _ms_since(started))
    out.heard = transcript.text
    began = time.perf_counter()
    out.woke = eng.wake.check(utt, transcript.text) is not None
    wake_ms = _ms_since(began)
    text = eng.wake.strip(transcript.text) if out.woke else ""
    if not text.strip():
        eng.clock = base + utt.decided_at + GAP_S
        return None
    eng.animator.set_state(State.LISTENING, at=base + utt.start)
    result = await eng.runner.run(UserText(text=text, source="bench"), timer)
    out.reply = result.reply
    marks = result.timings
    s = out.streaming
    s["endpoint"] = hangover
    for name in ("stt", "first_token", "first_sentence", "first_audio", "reply_done"):
        if name in marks:
            s[name] = round(hangover + marks[name], 2)
    if "stt" in s:  # the wake check runs on the utterance after STT, as in the daemon
        s["wake"] = round(s["stt"] + wake_ms, 2)
    if result.speech:
        first_start = result.speech[0][0]
        # The speaker's clock is the authority on when the first sample plays.
        s["first_audio"] = round(hangover + (first_start - base - utt.decided_at) * 1000.0, 2)
        began = time.perf_counter()
        eng.renderer.draw(eng.animator.pose_at(first_start), first_start)
        s["first_frame"] = round(s["first_audio"] + _ms_since(began), 2)
        s["reply_end"] = round(hangover + (result.speech_end - base - utt.decided_at) * 1000.0, 2)
        s["reply_audio"] = round(sum(a.duration for _, a in result.speech) * 1000.0, 2)
        out.av_offset_ms = av_offset_ms(
            eng.animator, eng.speaker.timeline, first_start, result.speech_end
        )
    eng.clock = max(base + utt.decided_at, result.speech_end) + GAP_S
    return text


async def _sequential(
    eng: Engines, utt: SpeechEnded, hangover: float, out: UtteranceResult
) -> None:
    """The original plan: transcribe all, generate all, synthesise all, render all, then play."""
    from kiosk.avatar.animator import Animator
    from kiosk.voice import speak

    s = out.sequential
    s["endpoint"] = hangover
    started = time.perf_counter()
    transcript = eng.transcriber.transcribe(utt.pcm, utt.sample_rate)
    s["stt"] = hangover + _ms_since(started)
    eng.wake.check(utt, transcript.text)  # the plan had a wake word too
    text = eng.wake.strip(transcript.text)
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
    eng: Engines, utt: SpeechEnded, hangover: float, text: str, out: UtteranceResult
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
    started = time.perf_counter()
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
    t = eng.clock
    started = time.perf_counter()
    eng.renderer.draw(eng.animator.pose_at(t), t)
    f["first_frame"] = _ms_since(started)
    f["first_audio_sum"] = (
        f["endpoint"] + f["stt"] + f["wake"] + f["brain_first_sentence"] + f["tts_first_sentence"]
    )
    f["sum"] = f["first_audio_sum"] + f["first_frame"]
    for key, value in f.items():
        f[key] = round(value, 3 if key == "wake" else 2)  # a keyword check takes µs


async def measure_utterance(
    eng: Engines, item: Utterance, say: Callable[[str], None]
) -> UtteranceResult:
    """Endpoint, then the streaming turn, the sequential baseline and the floor for ``item``."""
    out = UtteranceResult(item.id, item.kind, item.variant, item.text, item.wake)
    utt, seconds, out.endpoint_missed = endpoint(item.path, eng.settings)
    if utt is None:
        say(f"  {item.id}: речь не найдена")
        eng.clock += seconds + GAP_S
        return out
    hangover = round((utt.decided_at - utt.end) * 1000.0, 2)
    text = await _streaming(eng, utt, hangover, out)
    out.word_errors, out.reference_words = word_errors(item.text, out.heard)
    say(f"  {item.id}: «{out.heard}» → {'ответ' if text else 'без ответа'}")
    if text is None or not out.streaming.get("first_audio"):
        return out
    await _sequential(eng, utt, hangover, out)
    await _floor(eng, utt, hangover, text, out)
    return out
