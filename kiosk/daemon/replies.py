"""What the live loop does with an utterance, a typed line or a phrase: the reply side.

An utterance becomes a reply task: acoustic wake check (asleep: no «Аня», no STT) →
the echo gate (Аня's own voice, asleep or awake) → (reload unloaded models) → STT (and
who spoke) → the transcript's veto → the parent's limits → a turn. Short lines that are
not turns (goodnight, the daily limit, "something went wrong") are spoken here too,
holding the turn lock.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.daemon.control import ControlCommandFailed
from kiosk.daemon.pipeline import TurnResult, TurnTimer
from kiosk.daemon.policy import CHILD_SPEECH_MARK, Refusal
from kiosk.errors import KioskError
from kiosk.events import SpeechAudio, SpeechEnded, State, UserText, WakeDetected

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from kiosk.config import Settings
    from kiosk.daemon.assemble import Core
    from kiosk.daemon.loop import LiveLoop

__all__ = [
    "ERROR_LINE",
    "HearingCounts",
    "make_tagger",
    "UNLOADED_NOTICE",
    "answer_utterance",
    "check_policy",
    "ensure_loaded",
    "refuse",
    "run_text",
    "second_opinion",
    "speak_phrase",
    "stage_of",
    "take_turn",
    "unload_models",
]

_LOGGER = logging.getLogger(__name__)

UNLOADED_NOTICE = "модели выгружены"
"""Status notice while idle unloading has dropped the models."""

ERROR_LINE = "Ой, я что-то запуталась. Скажи ещё раз, пожалуйста!"
"""What the child hears when a stage fails during her turn."""

_STAGES = ("stt", "brain", "voice", "avatar", "audio", "listen", "store")


def stage_of(exc: BaseException, default: str) -> str:
    """The kiosk stage whose code raised ``exc`` (deepest frame wins), else ``default``."""
    stage = default
    tb = exc.__traceback__
    while tb is not None:
        parts = tb.tb_frame.f_globals.get("__name__", "").split(".")
        if len(parts) > 1 and parts[0] == "kiosk" and parts[1] in _STAGES:
            stage = parts[1]
        tb = tb.tb_next
    return stage


# --- the reply task ------------------------------------------------------------


@dataclass
class HearingCounts:
    """What the live loop did with the utterances it heard (for logs, status and tests)."""

    utterances: int = 0
    """Utterances handed to the reply side."""
    stt_skipped: int = 0
    """Asleep, no «Аня» in the sound: dropped without running the recogniser."""
    transcribed: int = 0
    """Utterances the recogniser ran on."""
    wakes: int = 0
    """Utterances that woke Аня (the name heard and confirmed)."""
    bare_wakes: int = 0
    """Wakes with nothing after the name: listening opened without a reply."""
    vetoed: int = 0
    """Acoustic wakes the transcript overruled (another name, "мама", …)."""
    own_voice: int = 0
    """Utterances in Аня's own voice coming back through the microphone (dropped before STT)."""
    joined: int = 0
    """Utterances joined to the one before them (a pause taken for the end)."""


async def answer_utterance(live: LiveLoop, utterance: SpeechEnded) -> None:
    """The reply task of one utterance: wake word, STT, the parent's limits, the turn.

    With an acoustic wake detector (``needs_transcript`` False) a sleeping kiosk
    looks for «Аня» in the sound first and runs no STT at all on speech without
    it; once heard, the transcript may still veto the wake (``second_opinion``).
    A bare «Аня» opens the follow-up window without a reply.
    """
    timer = TurnTimer.from_speech_end(utterance)
    timer.add(CHILD_SPEECH_MARK, len(utterance.pcm) / 2 / utterance.sample_rate * 1000.0)
    counts = live.hearing
    counts.utterances += 1
    now = live.speaker.position()
    awake = now <= live.awake_until
    by_parent = now <= live.parent_until
    acoustic = not getattr(live.wake, "needs_transcript", True)
    detection: WakeDetected | None = None
    try:
        if acoustic and not awake:
            detection = await asyncio.to_thread(live.wake.check, utterance)
            if detection is None:
                counts.stt_skipped += 1
                _LOGGER.debug("asleep, no wake word: STT skipped", extra={"stage": "listen"})
                return
        # Asleep, only a heard «Аня» gets this far; awake, any speech does, so the
        # echo gate also guards the follow-up window (the tail of her reply).
        if await asyncio.to_thread(is_own_voice, live, utterance):
            counts.own_voice += 1
            _LOGGER.info(
                "ignored Аня's own voice (%s)",
                "awake" if awake else "wake word",
                extra={"stage": "listen"},
            )
            return
        await ensure_loaded(live)
        started = time.perf_counter()
        jobs: list[Any] = [
            asyncio.to_thread(live.transcriber.transcribe, utterance.pcm, utterance.sample_rate),
            who_spoke(live, utterance),
        ]
        if acoustic and awake:  # only to strip the name if she is called again
            jobs.append(asyncio.to_thread(live.wake.check, utterance))
        results = await asyncio.gather(*jobs)
    except Exception as exc:
        live.report_error(stage_of(exc, "stt"), exc)
        return
    counts.transcribed += 1
    transcript, speaker = results[0], results[1]
    if len(results) > 2:
        detection = results[2]
    timer.add("stt_ms", (time.perf_counter() - started) * 1000.0)  # the recogniser alone
    timer.mark("stt")  # the transcript is ready: ms after the child stopped talking
    if not acoustic:
        detection = live.wake.check(utterance, transcript.text)
    elif detection is not None and (
        veto := second_opinion(live, transcript.text, detection, utterance)
    ):
        counts.vetoed += 1
        _LOGGER.info("wake vetoed (%s): %r", veto, transcript.text, extra={"stage": "listen"})
        detection = None
    _LOGGER.info(
        "heard %r (wake=%s, awake=%s, speaker=%s)",
        transcript.text,
        bool(detection),
        awake,
        speaker,
        extra={"stage": "listen"},
    )
    if not (detection or awake):
        return
    if not by_parent and (refusal := check_policy(live)) is not None:
        await refuse(live, refusal)
        return
    text = live.wake.strip(transcript.text) if detection else transcript.text
    if detection:
        counts.wakes += 1
    if not text.strip():
        if detection:
            counts.bare_wakes += 1
        live.wake_up("wake word", by_parent=by_parent)
        return
    try:
        await take_turn(
            live, UserText(text=text, source="voice"), timer, speaker=speaker, by_parent=by_parent
        )
    except Exception as exc:
        live.report_error(stage_of(exc, "brain"), exc)
        await say_sorry(live)


def second_opinion(
    live: LiveLoop, text: str, detection: WakeDetected, utterance: SpeechEnded
) -> str | None:
    """Why the transcript overrules an acoustic wake ("Таня, …"), or None when it stands."""
    veto = getattr(live.wake, "veto", None)
    return veto(text, detection, utterance) if veto is not None else None


async def who_spoke(live: LiveLoop, utterance: SpeechEnded) -> str | None:
    """``child``/``parent``/``unknown`` when voices are enrolled; None without tagging."""
    if live.tagger is None:
        return None
    try:
        tag = await asyncio.to_thread(live.tagger.tag, utterance.pcm, utterance.sample_rate)
    except Exception as exc:  # the child still gets her answer
        _LOGGER.warning("speaker not tagged: %s", exc, extra={"stage": "listen"})
        return "unknown"
    return str(tag.role)


def is_own_voice(live: LiveLoop, utterance: SpeechEnded) -> bool:
    """True when the utterance is Аня's own voice coming back through the microphone."""
    if live.echo is None or live.echo_gate is None:
        return False
    end = utterance.start + len(utterance.pcm) / 2 / utterance.sample_rate
    reference = live.echo.reference_between(utterance.start, end)
    if not reference:
        return False
    return bool(live.echo_gate.is_echo(live.echo.mic_between(utterance.start, end), reference))


async def take_turn(
    live: LiveLoop,
    user: UserText,
    timer: TurnTimer | None = None,
    *,
    speaker: str | None = None,
    by_parent: bool = False,
) -> TurnResult:
    """One turn under the turn lock; opens the follow-up window after Аня's reply."""
    async with live.turn_lock:
        result = await live.runner.run(user, timer, speaker=speaker)
    live.turns += 1
    live.last_activity = time.monotonic()
    live.awake_until = result.speech_end + live.core.settings.listen.follow_up_s
    if by_parent:
        live.parent_until = live.awake_until
    record = live.stats.add_turn(result)
    _LOGGER.info(
        "turn %s answered by %s",
        result.avatar_turn_id,
        result.engine,
        extra={"stage": "daemon", "turn": result.child_turn_id},
    )
    if live.control is not None:
        live.control.publish("turn", record)
    return result


async def run_text(live: LiveLoop, text: str) -> TurnResult:
    """A turn as if the child said ``text`` (queued behind a running turn).

    This is the parent typing: quiet hours and the daily limit do not apply.
    """
    try:
        await ensure_loaded(live)
        return await take_turn(live, UserText(text=text, source="admin"))
    except Exception as exc:
        error = live.report_error(stage_of(exc, "brain"), exc)
        raise ControlCommandFailed(f"ход не удался ({error.stage}): {error.message}") from exc


# --- the parent's limits ----------------------------------------------------------


def check_policy(live: LiveLoop) -> Refusal | None:
    """Quiet hours or the daily limit, if one applies now; keeps the status notice current."""
    try:
        refusal = live.policy.refusal()
    except Exception as exc:  # a database hiccup must not silence the child
        _LOGGER.warning("limits not checked: %s", exc, extra={"stage": "store"})
        return None
    live.set_notice("policy", refusal.notice if refusal else None)
    return refusal


async def refuse(live: LiveLoop, refusal: Refusal) -> None:
    """Say the kind line of ``refusal`` and go back to sleep (no conversation)."""
    _LOGGER.info("no talk now: %s", refusal.notice, extra={"stage": "daemon"})
    async with live.turn_lock:
        try:
            start, duration = await queue_line(live, refusal.line)
            live.runner.set_state(State.SPEAKING, refusal.reason, at=start)
            await wait_for_clock(live, start + duration)
        except Exception as exc:
            live.report_error(stage_of(exc, "voice"), exc)
            return
    live.go_to_sleep(refusal.reason)


async def say_sorry(live: LiveLoop) -> None:
    """After a failed turn: the error face stays while a gentle line plays, then listen."""
    async with live.turn_lock:
        try:
            start, duration = await queue_line(live, ERROR_LINE)
            await wait_for_clock(live, start + duration)
        except Exception as exc:  # the voice itself is what failed
            _LOGGER.warning("could not say sorry: %s", exc, extra={"stage": "voice"})
    live.wake_up("after an error")


# --- phrases -----------------------------------------------------------------------


async def queue_line(live: LiveLoop, text: str) -> tuple[float, float]:
    """Synthesise ``text`` and queue it on the speaker and the avatar: (start, seconds)."""
    from kiosk.voice import speak

    synthesis = await asyncio.to_thread(speak, live.synthesizer, text, "neutral")
    if synthesis is None:
        raise ControlCommandFailed("в этом тексте нечего произнести")
    audio = SpeechAudio(
        pcm=synthesis.pcm,
        sample_rate=synthesis.sample_rate,
        text=text,
        index=0,
        track=synthesis.track,
    )
    start = live.speaker.play(audio)
    live.animator.add_speech(start, audio.track, emotion=audio.emotion)
    return start, audio.duration


async def wait_for_clock(live: LiveLoop, end: float) -> None:
    """Wait until the speaker's clock reaches ``end`` (or the kiosk stops)."""
    while live.speaker.position() < end and not live.stop_event.is_set():  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def speak_phrase(live: LiveLoop, text: str) -> tuple[float, Coroutine[Any, Any, None]]:
    """Queue ``text`` in Аня's voice; returns (seconds, a coroutine that ends with it).

    The turn lock is held until the phrase has been heard, so turns do not talk over it.
    """
    await live.turn_lock.acquire()
    try:
        start, duration = await queue_line(live, text)
        live.runner.set_state(State.SPEAKING, "phrase from the parent", at=start)
        live.stats.add_speech(duration)
    except BaseException:
        live.turn_lock.release()
        raise
    return duration, finish_phrase(live, start + duration)


async def finish_phrase(live: LiveLoop, end: float) -> None:
    """Wait until the phrase ending at ``end`` was heard, then listen and free the lock."""
    try:
        await wait_for_clock(live, end)
        live.awake_until = end + live.core.settings.listen.follow_up_s
        live.runner.set_state(State.LISTENING, "phrase said", at=end)
    finally:
        live.turn_lock.release()


# --- idle unloading -------------------------------------------------------------------


async def unload_models(live: LiveLoop) -> None:
    """Drop STT and the LLM after a quiet spell (``daemon.idle_unload_min``)."""
    from kiosk.brain import Brain, ScriptedEngine, dialogues_dir

    async with live.turn_lock:
        if live.unloaded:
            return
        live.transcriber = None
        core = live.core
        if not isinstance(core.brain.engine, ScriptedEngine):
            # A scripted stand-in keeps the parts whole; ensure_loaded runs before any turn.
            stand_in = Brain(
                ScriptedEngine(dialogues_dir(core.paths), core.persona),
                core.persona,
                core.settings.brain,
            )
            live.swap(settings=core.settings, persona=core.persona, brain=stand_in)
            live.brain_unloaded = True
        live.unloaded = True
        live.set_notice("models", UNLOADED_NOTICE)
    await asyncio.to_thread(gc.collect)
    _LOGGER.info("models unloaded after %.0f s idle", live.idle_unload_s)


async def ensure_loaded(live: LiveLoop) -> None:
    """Load what idle unloading dropped (the first reply after it is slower)."""
    if not live.unloaded:
        return
    if live.load_lock is None:
        live.load_lock = asyncio.Lock()
    async with live.load_lock:
        if not live.unloaded:
            return
        from kiosk.daemon.gpu import load_brain
        from kiosk.stt import make_transcriber

        core = live.core
        started = time.perf_counter()
        transcriber = await asyncio.to_thread(make_transcriber, core.settings, core.paths)
        brain = None
        if live.brain_unloaded:
            free = await asyncio.to_thread(live.monitor.free_vram_mb)
            brain, notice = await asyncio.to_thread(load_brain, core.settings, core.paths, free)
            live.set_notice("brain", notice or None)
        async with live.turn_lock:
            live.transcriber = transcriber
            if brain is not None:
                live.swap(settings=core.settings, persona=core.persona, brain=brain)
            live.unloaded = live.brain_unloaded = False
        live.last_activity = time.monotonic()
        live.set_notice("models", None)
        _LOGGER.info("models reloaded in %.1f s", time.perf_counter() - started)


def make_tagger(settings: Settings, core: Core) -> Any:
    """A speaker tagger when voices are enrolled and the encoder can run; else None."""
    if not settings.listen.speaker_tagging:
        return None
    try:
        from kiosk.listen.enroll import SpeakerProfiles, default_profiles_dir
        from kiosk.listen.speaker import SpeakerTagger

        profiles = SpeakerProfiles(default_profiles_dir(core.paths))
        if not profiles.load():
            return None
        return SpeakerTagger(profiles, threshold=settings.listen.speaker_threshold)
    except (ImportError, RuntimeError, KioskError, OSError) as exc:
        _LOGGER.warning("no speaker tagging (%s)", exc)
        return None
