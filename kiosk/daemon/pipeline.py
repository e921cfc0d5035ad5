"""One turn of the conversation, streamed: text → brain → sentences → TTS → speaker + avatar.

The first sentence is synthesised and queued for playback while the brain is still
writing the second; the avatar is told when (on the playback clock) each sentence
starts, so its mouth follows what is heard. Cancelling the turn (barge-in) stops the
brain, drops queued audio and closes the mouth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.brain.base import ChatMessage
from kiosk.daemon.policy import REPLY_AUDIO_MARK
from kiosk.events import (
    ReplyDone,
    ReplySentence,
    ReplyToken,
    SpeechAudio,
    SpeechEnded,
    State,
    StateChanged,
    UserText,
)

if TYPE_CHECKING:
    from kiosk.audio.base import AudioOut
    from kiosk.avatar.animator import Animator
    from kiosk.brain.core import Brain
    from kiosk.brain.memory import MemoryContext
    from kiosk.store import Store
    from kiosk.voice.base import Synthesizer

__all__ = [
    "ENDPOINT_MARK",
    "FIRST_FRAME_MARK",
    "FrameWatch",
    "TurnResult",
    "TurnRunner",
    "TurnTimer",
]

_LOGGER = logging.getLogger(__name__)

StateListener = Callable[[StateChanged], None]

ENDPOINT_MARK = "endpoint"
"""Timing key: ms from the end of the child's speech until the endpointer decided it ended."""
FIRST_FRAME_MARK = "first_frame"
"""Timing key: ms until the first avatar frame drawn on or after the reply's first sample."""


@dataclass
class TurnTimer:
    """Milliseconds from a turn's origin (end of the child's speech) to each stage mark."""

    origin: float = field(default_factory=time.perf_counter)
    """``time.perf_counter()`` at the origin."""
    marks: dict[str, float] = field(default_factory=dict)
    """Stage name → milliseconds since ``origin`` (first occurrence wins)."""

    def mark(self, name: str) -> None:
        """Record ``name`` now, unless it was already recorded."""
        self.marks.setdefault(name, round((time.perf_counter() - self.origin) * 1000.0, 1))

    def add(self, name: str, ms: float) -> None:
        """Record a duration measured elsewhere (e.g. STT ms)."""
        self.marks[name] = round(ms, 1)

    @classmethod
    def from_speech_end(cls, utterance: SpeechEnded) -> TurnTimer:
        """A timer whose origin is the end of ``utterance``'s speech, not the moment now.

        The endpointer decides only ``decided_at - end`` seconds (mic clock: the
        ``listen.end_silence_ms`` hangover) after the last voiced frame, and is called
        as it decides; that delay is the ``endpoint`` mark and moves the origin back.
        """
        delay = max(0.0, utterance.decided_at - utterance.end)
        timer = cls(origin=time.perf_counter() - delay)
        timer.add(ENDPOINT_MARK, delay * 1000.0)
        return timer


class FrameWatch:
    """Lets the render thread mark the first frame that shows the reply's voice.

    The turn says where its first sentence starts on the playback clock (``expect``);
    the render loop reports every frame it has drawn (``drawn``) and the first one at
    or after that start sets ``first_frame``. A plain attribute and ``TurnTimer.mark``
    (``dict.setdefault``, atomic under the GIL) keep the frame path free of locks.
    """

    def __init__(self) -> None:
        self._expected: tuple[TurnTimer, float] | None = None

    def expect(self, timer: TurnTimer, start: float) -> None:
        """The reply timed by ``timer`` is heard from ``start`` (playback clock) on."""
        self._expected = (timer, start)

    def clear(self) -> None:
        """No reply is waiting for its first frame (stored or interrupted)."""
        self._expected = None

    def drawn(self, t: float) -> None:
        """A frame for playback time ``t`` is on screen (called by the render thread)."""
        expected = self._expected
        if expected is not None and t >= expected[1]:
            expected[0].mark(FIRST_FRAME_MARK)


@dataclass
class TurnResult:
    """What one turn produced."""

    user_text: str
    """What the child said or typed."""
    reply: str = ""
    """Аня's whole reply."""
    emotion: str = "neutral"
    """Emotion label of the reply."""
    engine: str = ""
    """Engine that wrote the reply."""
    safety: str = "ok"
    """Safety verdict of the turn."""
    sentences: list[str] = field(default_factory=list)
    """The reply's sentences, in order."""
    speech: list[tuple[float, SpeechAudio]] = field(default_factory=list)
    """(start on the playback clock, audio) for every spoken sentence."""
    timings: dict[str, float] = field(default_factory=dict)
    """Stage → milliseconds since the end of the child's speech."""
    conversation_id: int | None = None
    """Conversation the turn belongs to."""
    child_turn_id: int | None = None
    """Stored id of the child's turn."""
    avatar_turn_id: int | None = None
    """Stored id of Аня's turn."""
    cancelled: bool = False
    """True when the turn was interrupted (barge-in)."""
    mood: str = "neutral"
    """The child's mood read from their words (sad, angry, scared, tired, bored, happy)."""
    speaker: str | None = None
    """Who spoke the child's turn: ``child``, ``parent``, ``unknown``; None when not tagged."""

    @property
    def speech_end(self) -> float:
        """Playback-clock seconds when the last sentence finishes."""
        return max((start + audio.duration for start, audio in self.speech), default=0.0)


class TurnRunner:
    """Runs turns of one conversation through the brain and, when given, voice and avatar."""

    def __init__(
        self,
        brain: Brain,
        store: Store,
        *,
        persona_id: str,
        synthesizer: Synthesizer | None = None,
        speaker: AudioOut | None = None,
        animator: Animator | None = None,
        source: str = "text",
        child_name: str = "",
        history_turns: int = 8,
        on_state: StateListener | None = None,
        wait_for_playback: bool = False,
    ) -> None:
        self._brain = brain
        self._wait_for_playback = wait_for_playback
        self._store = store
        self._synth = synthesizer
        self._speaker = speaker
        self._animator = animator
        self._source = source
        self._child_name = child_name
        self._history_turns = history_turns
        self._on_state = on_state
        self.frame_watch = FrameWatch()
        """Where the render loop reports drawn frames (the ``first_frame`` mark)."""
        # The parent's privacy choice governs every turn, fact and summary written below.
        store.keep_personal_data = brain.settings.keep_personal_data
        self.conversation_id = store.start_conversation(persona_id, source=source)

    # --- state -------------------------------------------------------------------

    def _now(self) -> float:
        return self._speaker.position() if self._speaker is not None else time.perf_counter()

    def set_state(self, state: State, reason: str = "", at: float | None = None) -> None:
        """Move the avatar (and listeners) to ``state`` at ``at`` on the playback clock."""
        when = self._now() if at is None else at
        if self._animator is not None:
            self._animator.set_state(state, at=when)
        if self._on_state is not None:
            self._on_state(StateChanged(state, reason))

    # --- one turn ----------------------------------------------------------------

    def _history(self) -> list[ChatMessage]:
        turns = self._store.recent_turns(self._history_turns * 2, self.conversation_id)
        messages: list[ChatMessage] = []
        for turn in turns:
            if turn.role == "avatar":
                messages.append(ChatMessage(role="assistant", content=turn.text))
            else:
                messages.append(ChatMessage(role="user", content=turn.text))
        return messages

    async def run(
        self, user: UserText, timer: TurnTimer | None = None, *, speaker: str | None = None
    ) -> TurnResult:
        """Answer ``user``: stream the reply through voice and avatar, store both turns.

        ``timer`` carries marks already taken (end of speech, STT); a new one starts now
        otherwise. ``speaker`` is the voice tag of the child's turn (``child``, ``parent``,
        ``unknown``). Cancelling the task cancels the turn cleanly (barge-in).
        """
        timer = timer or TurnTimer()
        result = TurnResult(
            user_text=user.text, conversation_id=self.conversation_id, speaker=speaker
        )
        history = self._history()
        memory = self._brain.memory.context(self._store, user.text, self.conversation_id)
        result.child_turn_id = self._store.add_turn(
            self.conversation_id, "child", user.text, source=user.source, speaker=speaker
        )
        self.set_state(State.THINKING, "reply")
        speech_queue: asyncio.Queue[ReplySentence | None] = asyncio.Queue()
        speaker_task = asyncio.create_task(self._speak_all(speech_queue, result, timer))
        try:
            await self._think(user.text, history, memory, result, timer, speech_queue)
            await speech_queue.put(None)
            await speaker_task
            timer.mark("done")
            if self._wait_for_playback:
                # Live: the turn lasts until the child has heard the reply (barge-in
                # cancels it here too, and the stored reply says it was interrupted).
                end = result.speech_end if result.speech else self._now()
                while self._now() < end:  # noqa: ASYNC110 - the clock is the sound card's
                    await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            result.cancelled = True
            timer.mark("cancelled")
            speaker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speaker_task
            self._interrupt()
            self._store_reply(result, timer)
            self._learn(user.text, result)
            raise
        self._store_reply(result, timer)
        await asyncio.to_thread(self._learn, user.text, result)
        end = result.speech_end if result.speech else self._now()
        self.set_state(State.LISTENING, "follow-up", at=end)
        return result

    async def _think(
        self,
        text: str,
        history: Sequence[ChatMessage],
        memory: MemoryContext,
        result: TurnResult,
        timer: TurnTimer,
        speech_queue: asyncio.Queue[ReplySentence | None],
    ) -> None:
        stream = self._brain.reply(
            text,
            history=history,
            facts=memory.facts,
            summary=memory.summary,
            child_name=self._child_name or memory.child_name,
        )
        async with contextlib.aclosing(stream):
            async for event in stream:
                match event:
                    case ReplyToken():
                        timer.mark("first_token")
                    case ReplySentence():
                        timer.mark("first_sentence")
                        result.sentences.append(event.text)
                        await speech_queue.put(event)
                    case ReplyDone():
                        timer.mark("reply_done")
                        result.mood = self._brain.last_mood
                        result.reply = event.text
                        result.emotion = event.emotion
                        result.engine = event.engine
                        result.safety = event.safety

    async def _speak_all(
        self,
        queue: asyncio.Queue[ReplySentence | None],
        result: TurnResult,
        timer: TurnTimer,
    ) -> None:
        from kiosk.voice import speak

        synth_ms = 0.0
        while (sentence := await queue.get()) is not None:
            if self._synth is None or self._speaker is None:
                continue
            started = time.perf_counter()
            synthesis = await asyncio.to_thread(speak, self._synth, sentence.text, sentence.emotion)
            synth_ms += (time.perf_counter() - started) * 1000.0
            if synthesis is None:
                continue
            audio = SpeechAudio(
                pcm=synthesis.pcm,
                sample_rate=synthesis.sample_rate,
                text=sentence.text,
                index=sentence.index,
                track=synthesis.track,
                emotion=sentence.emotion,
            )
            start = self._speaker.play(audio)
            timer.mark("first_audio_queued")
            result.speech.append((start, audio))
            if self._animator is not None:
                self._animator.add_speech(start, audio.track, emotion=audio.emotion)
            if len(result.speech) == 1:
                self.set_state(State.SPEAKING, "first sentence", at=start)
                self.frame_watch.expect(timer, start)
                # Time until the first sample is actually heard, on the playback clock.
                wait = max(0.0, start - self._now())
                timer.add("first_audio", timer.marks["first_audio_queued"] + wait * 1000.0)
        if synth_ms:
            timer.add("tts_total", synth_ms)

    def _learn(self, text: str, result: TurnResult) -> None:
        """Memory learns from what the child said (facts, the rolling summary)."""
        if result.child_turn_id is None:
            return
        try:
            self._brain.memory.after_turn(
                self._store, self.conversation_id, result.child_turn_id, text, result.safety
            )
        except Exception:  # memory must never cost the child her answer
            _LOGGER.exception("memory could not learn from turn %s", result.child_turn_id)

    def _interrupt(self) -> None:
        self.frame_watch.clear()
        now = self._now()
        if self._speaker is not None:
            self._speaker.flush()
        if self._animator is not None:
            self._animator.cancel_speech(at=now)
        self.set_state(State.LISTENING, "barge-in", at=now)

    def _played_ms(self, result: TurnResult) -> float:
        """Milliseconds of the reply the child heard (all of it, unless interrupted)."""
        if not result.cancelled:
            return sum(audio.duration for _, audio in result.speech) * 1000.0
        now = self._now()
        played = (min(audio.duration, max(0.0, now - start)) for start, audio in result.speech)
        return sum(played) * 1000.0

    def _store_reply(self, result: TurnResult, timer: TurnTimer) -> None:
        self.frame_watch.clear()
        if result.speech:
            timer.add(REPLY_AUDIO_MARK, self._played_ms(result))
        result.timings = dict(timer.marks)
        if not result.reply and result.sentences:
            result.reply = " ".join(result.sentences)
        if not result.reply:
            return
        result.avatar_turn_id = self._store.add_turn(
            self.conversation_id,
            "avatar",
            result.reply,
            emotion=result.emotion,
            safety=result.safety if not result.cancelled else f"{result.safety};interrupted",
            source=self._source,
            engine=result.engine,
            timings=result.timings,
        )

    def close(self) -> None:
        """End the conversation in the store."""
        self._store.end_conversation(self.conversation_id)
