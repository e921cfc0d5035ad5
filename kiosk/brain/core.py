"""The Brain: safety first, then the engine in a worker thread, streamed as sentences.

One ``reply`` is an async iterator of ``ReplyToken`` / ``ReplySentence`` / ``ReplyDone``.
The child is never met with silence: an engine that fails or stays mute is replaced
by the fallback engine (the scripted dialogues), and that failing too by one
built-in sentence. Close the iterator (``contextlib.aclosing``) or cancel its task
to stop a reply: the engine thread sees the cancel flag before its next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, Iterator, Sequence
from dataclasses import dataclass

from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.brain.emotion import classify_emotion
from kiosk.brain.memory import Memory
from kiosk.brain.mood import detect_mood, mood_hint
from kiosk.brain.persona import Persona, system_prompt
from kiosk.brain.safety import SafetyVerdict, check_input, check_output
from kiosk.brain.selfcheck import SelfCheck, borderline, make_self_check
from kiosk.brain.sentences import SentenceChunker, split_sentences
from kiosk.config import BrainSettings
from kiosk.events import ReplyDone, ReplySentence, ReplyToken

__all__ = ["LAST_RESORT", "Brain", "ReplyEvent"]

_LOGGER = logging.getLogger(__name__)

ReplyEvent = ReplyToken | ReplySentence | ReplyDone
"""What ``Brain.reply`` yields."""

LAST_RESORT = "Ой, я немножко задумалась. Скажи, пожалуйста, ещё раз?"
"""Said when every engine failed, so the kiosk is never silent."""


@dataclass(frozen=True, slots=True)
class _Finished:
    """The engine's iterator ended (``error`` is None) or raised."""

    error: BaseException | None = None


class _EngineFailed(Exception):
    """The engine raised or produced nothing; carries what was already said."""


def _run_engine(
    engine: LLMEngine,
    messages: list[ChatMessage],
    options: GenerationOptions,
    cancel: threading.Event,
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[str | _Finished],
) -> None:
    """Worker thread body: iterate the blocking engine, hand pieces to the loop."""
    result = _Finished()
    pieces = engine.stream(messages, options, cancel)
    try:
        for piece in pieces:
            if cancel.is_set():
                break
            loop.call_soon_threadsafe(queue.put_nowait, piece)
    except Exception as exc:  # reported to the loop, which falls back
        result = _Finished(exc)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            try:
                close()
            except Exception as exc:  # a broken close must not hang the reply
                _LOGGER.warning("%s: closing the stream failed: %r", engine.name, exc)
    try:
        loop.call_soon_threadsafe(queue.put_nowait, result)
    except RuntimeError:  # the loop is gone (shutdown); nobody is listening
        pass


async def _pieces(
    engine: LLMEngine, messages: list[ChatMessage], options: GenerationOptions
) -> AsyncGenerator[str, None]:
    """The engine's pieces, produced in a worker thread; closing this stops the thread."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | _Finished] = asyncio.Queue()
    cancel = threading.Event()
    thread = threading.Thread(
        target=_run_engine,
        args=(engine, messages, options, cancel, loop, queue),
        name=f"brain-{engine.name}",
        daemon=True,
    )
    thread.start()
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _Finished):
                if item.error is not None:
                    raise _EngineFailed(f"{engine.name}: {item.error!r}") from item.error
                return
            yield item
    finally:
        cancel.set()


class Brain:
    """Turns what the child said into a streamed, safe, in-character reply."""

    def __init__(
        self,
        engine: LLMEngine,
        persona: Persona,
        settings: BrainSettings,
        *,
        fallback: LLMEngine | None = None,
        memory: Memory | None = None,
        self_check: SelfCheck | None = None,
    ) -> None:
        """Use ``engine``; ``fallback`` answers when it fails (None: the last-resort line).

        ``memory`` learns from turns and packs facts for prompts (``TurnRunner`` calls it).
        ``self_check`` (default: what ``settings.self_check`` gives for ``engine``) asks
        the main engine's model about each sentence of its own replies.
        """
        self.engine = engine
        self.persona = persona
        self.settings = settings
        self.fallback = fallback
        self.memory = memory or Memory(history_turns=settings.history_turns)
        # What memory may keep follows this persona's blocked topics and the safety level.
        self.memory.topics = persona.blocked_topics
        self.memory.level = settings.safety_level
        self.memory.parent_alerts = settings.parent_alerts
        self.self_check = self_check or make_self_check(settings.self_check, engine)
        """The LLM self-check of the main engine's sentences (None: off)."""
        self.last_mood = "neutral"
        """The child's mood detected in the latest ``reply`` call."""

    @property
    def engine_name(self) -> str:
        """Name of the main engine (``llm:<model>`` or ``scripted``)."""
        return self.engine.name

    def build_messages(
        self,
        text: str,
        history: Sequence[ChatMessage] = (),
        facts: Sequence[str] = (),
        child_name: str = "",
        summary: str = "",
    ) -> list[ChatMessage]:
        """System prompt + the last ``history_turns`` turns + the child's words.

        The system prompt depends only on persona, name, facts and summary, so it is
        the same from turn to turn (llama.cpp reuses it). A note about the child's mood,
        when there is one, goes last, right before the child's words.
        """
        keep = self.settings.history_turns * 2
        recent = [m for m in history if m.role != "system"][-keep:] if keep else []
        if not child_name:
            child_name = next((f[6:].strip() for f in facts if f.startswith("Зовут ")), "")
        hint = mood_hint(detect_mood(text))
        return [
            ChatMessage("system", system_prompt(self.persona, facts, child_name, summary)),
            *recent,
            *([ChatMessage("system", hint)] if hint else []),
            ChatMessage("user", text),
        ]

    def options(self) -> GenerationOptions:
        """Sampling settings for one reply."""
        return GenerationOptions(
            max_tokens=self.settings.max_tokens, temperature=self.settings.temperature
        )

    async def reply(
        self,
        text: str,
        *,
        history: Sequence[ChatMessage] = (),
        facts: Sequence[str] = (),
        child_name: str = "",
        summary: str = "",
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Stream the reply to ``text``: tokens, checked sentences, then ``ReplyDone``.

        ``facts`` and ``summary`` come from ``self.memory.context(store, text, ...)``.
        """
        self.last_mood = detect_mood(text)
        verdict = check_input(
            text,
            level=self.settings.safety_level,
            topics=self.persona.blocked_topics,
            model=self.settings.safety_model,
        )
        if not verdict.ok:
            _log_intervention(verdict, "input", parent_alerts=self.settings.parent_alerts)
            said: list[str] = []
            for event in _redirect(verdict, self.persona.name, start_index=0, said=said):
                yield event
            yield ReplyDone(
                text=" ".join(said),
                emotion=redirect_emotion(verdict),
                engine="safety",
                safety=self._stored_verdict(verdict),
            )
            return
        messages = self.build_messages(text, history, facts, child_name, summary)
        said = []
        engines = [e for e in (self.engine, self.fallback) if e is not None]
        for engine in engines:
            try:
                async with contextlib.aclosing(self._stream(engine, messages, said)) as events:
                    async for event in events:
                        yield event
                return
            except _EngineFailed as exc:
                _LOGGER.warning("engine failed, falling back: %s", exc, exc_info=exc.__cause__)
        _LOGGER.error("every engine failed; saying the last-resort line")
        for sentence in split_sentences(LAST_RESORT):
            yield ReplyToken(sentence + " ")
            said.append(sentence)
            yield ReplySentence(sentence, len(said) - 1, "thinking")
        yield ReplyDone(text=" ".join(said), emotion="thinking", engine="builtin")

    async def _stream(
        self, engine: LLMEngine, messages: list[ChatMessage], said: list[str]
    ) -> AsyncGenerator[ReplyEvent, None]:
        """One engine's reply; raises ``_EngineFailed`` when it breaks or says nothing."""
        chunker = SentenceChunker()
        start = len(said)
        pieces = _pieces(engine, messages, self.options())
        blocked: SafetyVerdict | None = None
        level = self.settings.safety_level
        topics = self.persona.blocked_topics
        try:
            async for piece in pieces:
                # Screen the sentence as it grows, so no bad word reaches the screen.
                verdict = check_output(chunker.pending + piece, level=level, topics=topics)
                if not verdict.ok:
                    blocked = verdict
                    break
                yield ReplyToken(piece)
                for sentence in chunker.feed(piece):
                    blocked = await self._self_check(engine, messages, said, sentence)
                    if blocked is not None:
                        break
                    said.append(sentence)
                    yield ReplySentence(sentence, len(said) - 1, self._emotion(engine, said))
                if blocked is not None:
                    break
            if blocked is None:
                for sentence in chunker.flush():
                    verdict = check_output(sentence, level=level, topics=topics)
                    if verdict.ok:
                        blocked = await self._self_check(engine, messages, said, sentence)
                    else:
                        blocked = verdict
                    if blocked is not None:
                        break
                    said.append(sentence)
                    yield ReplySentence(sentence, len(said) - 1, self._emotion(engine, said))
        finally:
            await pieces.aclose()  # sets the cancel flag for the engine thread
        if blocked is not None:
            _log_intervention(blocked, "reply", parent_alerts=self.settings.parent_alerts)
            for event in _redirect(blocked, self.persona.name, start_index=len(said), said=said):
                yield event
            yield ReplyDone(
                text=" ".join(said),
                emotion=redirect_emotion(blocked),
                engine=engine.name,
                safety=self._stored_verdict(blocked),
            )
            return
        if len(said) == start:
            raise _EngineFailed(f"{engine.name} produced no text")
        yield ReplyDone(
            text=" ".join(said), emotion=self._emotion(engine, said), engine=engine.name
        )

    async def _self_check(
        self, engine: LLMEngine, messages: list[ChatMessage], said: list[str], sentence: str
    ) -> SafetyVerdict | None:
        """The intervention when the model rejects ``sentence``; None lets it be spoken.

        Sentence by sentence, so the first one is spoken while later ones are checked.
        The check needs the model, which is busy writing until the reply ends (one
        llama.cpp context runs one sequence; interleaving would wreck the reply's KV
        cache), so the first sentence waits for the rest of the reply plus its check.
        A check that fails keeps what the word lists allowed: a turn never breaks on it.
        """
        check = self.self_check
        if check is None or engine is not self.engine:
            return None  # the scripted fallback has nothing to ask
        if not check.always:
            child = next((m.content for m in reversed(messages) if m.role == "user"), "")
            if not await asyncio.to_thread(borderline, child, sentence):
                return None  # ordinary talk streams at full speed
        try:
            approved = await asyncio.to_thread(check.approves, messages, said, sentence)
        except Exception as exc:
            _LOGGER.warning(
                "self-check failed, the sentence stays: %r", exc, extra={"stage": "brain"}
            )
            return None
        _LOGGER.info(
            "self-check: %s after %.0f ms",
            check.last_answer,
            check.last_ms,
            extra={"stage": "brain", "ms": check.last_ms},
        )
        return None if approved else check.verdict(sentence)

    def _stored_verdict(self, verdict: SafetyVerdict) -> str:
        """The turn's safety flag: an alert kind is ``ok`` when the parent turned alerts off."""
        if verdict.alert and not self.settings.parent_alerts:
            return "ok"
        return verdict.category

    @staticmethod
    def _emotion(engine: LLMEngine, said: Sequence[str]) -> str:
        """The emotion the dialogue author gave the answer, else the classifier's."""
        hint = getattr(engine, "last_emotion", None)
        return hint if isinstance(hint, str) and hint else classify_emotion(" ".join(said))


def _redirect(
    verdict: SafetyVerdict, persona_name: str, *, start_index: int, said: list[str]
) -> Iterator[ReplyEvent]:
    emotion = redirect_emotion(verdict)
    for offset, sentence in enumerate(split_sentences(verdict.redirect_for(persona_name))):
        said.append(sentence)
        yield ReplyToken(sentence + " ")
        yield ReplySentence(sentence, start_index + offset, emotion)


def redirect_emotion(verdict: SafetyVerdict) -> str:
    if verdict.category == "persona":
        return "happy"
    # A worrying disclosure: Аня looks concerned (and kind) while she asks for an adult.
    return "concern" if verdict.alert else "thinking"


def _log_intervention(verdict: SafetyVerdict, side: str, *, parent_alerts: bool) -> None:
    """Journal line for every intervention; disclosures get a warning the parent can grep."""
    extra = {"stage": "brain", "safety": verdict.category, "side": side}
    if verdict.alert and parent_alerts:
        _LOGGER.warning(
            "parent alert (%s): the child needs a trusted adult", verdict.category, extra=extra
        )
    else:
        _LOGGER.info("%s redirected (%s: %r)", side, verdict.category, verdict.matched, extra=extra)
