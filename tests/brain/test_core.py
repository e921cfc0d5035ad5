from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage, GenerationOptions
from kiosk.brain.core import LAST_RESORT, Brain, ReplyEvent
from kiosk.brain.persona import Persona
from kiosk.brain.safety import REDIRECTS
from kiosk.brain.scripted import ScriptedEngine
from kiosk.config import BrainSettings
from kiosk.events import ReplyDone, ReplySentence, ReplyToken


class ListEngine:
    """A real engine over fixed text pieces, optionally failing after some (a broken LLM)."""

    def __init__(self, pieces: list[str], fail_after: int | None = None, delay: float = 0.0):
        self.name = "llm:test"
        self.pieces = pieces
        self.fail_after = fail_after
        self.delay = delay
        self.produced = 0
        self.stopped = threading.Event()
        self.messages: list[ChatMessage] = []

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        self.messages = messages
        try:
            for i, piece in enumerate(self.pieces):
                if cancel.is_set():
                    return
                if self.fail_after is not None and i >= self.fail_after:
                    raise RuntimeError("model crashed")
                time.sleep(self.delay)
                self.produced += 1
                yield piece
        finally:
            self.stopped.set()


async def _collect(brain: Brain, text: str, **kwargs: object) -> list[ReplyEvent]:
    async with aclosing(brain.reply(text, **kwargs)) as events:  # type: ignore[arg-type]
        return [event async for event in events]


@pytest.fixture
def scripted(anya: Persona, fixture_dialogues: Path) -> ScriptedEngine:
    return ScriptedEngine(fixture_dialogues, anya, seed=1)


async def test_scripted_reply_streams_tokens_sentences_and_done(
    anya: Persona, scripted: ScriptedEngine
) -> None:
    brain = Brain(scripted, anya, BrainSettings())
    events = await _collect(brain, "Привет! Как тебя зовут?")
    sentences = [e for e in events if isinstance(e, ReplySentence)]
    tokens = [e for e in events if isinstance(e, ReplyToken)]
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert len(sentences) >= 1 and len(tokens) > len(sentences)
    assert [s.index for s in sentences] == list(range(len(sentences)))
    assert "Аня" in done.text
    assert done.text == " ".join(s.text for s in sentences)
    assert (done.engine, done.safety, done.emotion) == ("scripted", "ok", "happy")
    assert sum(isinstance(e, ReplyDone) for e in events) == 1


async def test_unsafe_input_is_redirected_without_the_engine(anya: Persona) -> None:
    engine = ListEngine(["Не ", "должно ", "быть."])
    events = await _collect(Brain(engine, anya, BrainSettings()), "как убить человека")
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.safety == "violence"
    assert done.text == REDIRECTS["violence"]
    assert engine.produced == 0 and not engine.messages
    assert any(isinstance(e, ReplySentence) for e in events)


async def test_self_harm_is_an_alert_with_a_warm_reply(anya: Persona) -> None:
    events = await _collect(Brain(ListEngine([]), anya, BrainSettings()), "я не хочу жить")
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.safety == "self_harm"
    assert "взрослому" in done.text


async def test_paraphrased_disclosure_is_caught_by_the_model_only_when_it_is_on(
    anya: Persona,
) -> None:
    said = "Папа швыряет в меня вещи, когда злится"
    events = await _collect(Brain(ListEngine(["Понятно."]), anya, BrainSettings()), said)
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.safety == "abuse"
    off = BrainSettings(safety_model=False)
    events = await _collect(Brain(ListEngine(["Понятно."]), anya, off), said)
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.safety == "ok"


async def test_unsafe_output_is_replaced_mid_reply(anya: Persona) -> None:
    pieces = ["Привет! ", "Вот ", "как ", "сделать ", "бомбу. "] + ["Сначала "] * 30
    engine = ListEngine(pieces, delay=0.01)
    events = await _collect(Brain(engine, anya, BrainSettings()), "расскажи что-нибудь")
    done = events[-1]
    assert isinstance(done, ReplyDone) and done.safety == "violence"
    shown = "".join(e.text for e in events if isinstance(e, ReplyToken))
    assert "бомбу" not in shown
    spoken = [e.text for e in events if isinstance(e, ReplySentence)]
    assert spoken[0] == "Привет!"
    assert not any("бомб" in s for s in spoken)
    assert await asyncio.to_thread(engine.stopped.wait, 1.0)
    assert engine.produced < 15  # generation stopped soon after the bad word


async def test_falls_back_when_the_engine_raises_mid_stream(
    anya: Persona, scripted: ScriptedEngine
) -> None:
    engine = ListEngine(["Сейчас ", "я ", "тебе "], fail_after=2)
    brain = Brain(engine, anya, BrainSettings(), fallback=scripted)
    events = await _collect(brain, "Привет! Как тебя зовут?")
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.engine == "scripted"
    assert "Аня" in done.text
    assert "Сейчас я" not in done.text  # the unfinished sentence is dropped


async def test_falls_back_when_the_engine_says_nothing(
    anya: Persona, scripted: ScriptedEngine
) -> None:
    brain = Brain(ListEngine(["  ", "\n"]), anya, BrainSettings(), fallback=scripted)
    done = (await _collect(brain, "привет"))[-1]
    assert isinstance(done, ReplyDone) and done.engine == "scripted" and done.text


async def test_never_silent_even_without_a_fallback(anya: Persona) -> None:
    brain = Brain(ListEngine(["x"], fail_after=0), anya, BrainSettings())
    done = (await _collect(brain, "привет"))[-1]
    assert isinstance(done, ReplyDone)
    assert done.text == LAST_RESORT and done.engine == "builtin"


async def test_closing_the_reply_stops_a_slow_engine(anya: Persona) -> None:
    engine = ListEngine(["Раз. ", "Два "] + ["слово "] * 200, delay=0.02)
    brain = Brain(engine, anya, BrainSettings())
    started = time.monotonic()
    async with aclosing(brain.reply("считай")) as events:
        async for event in events:
            if isinstance(event, ReplySentence):
                break
    assert await asyncio.to_thread(engine.stopped.wait, 1.0)
    assert engine.produced < 6
    assert time.monotonic() - started < 2.0


async def test_cancelling_the_task_stops_the_engine(anya: Persona) -> None:
    engine = ListEngine(["слово "] * 500, delay=0.01)
    brain = Brain(engine, anya, BrainSettings())

    async def consume() -> None:
        async for _ in brain.reply("говори"):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(engine.stopped.wait, 1.0)
    assert engine.produced < 100


async def test_event_loop_keeps_running_while_the_engine_blocks(anya: Persona) -> None:
    engine = ListEngine(["Медленно. "] * 5, delay=0.05)
    brain = Brain(engine, anya, BrainSettings())
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await _collect(brain, "привет")
    task.cancel()
    assert ticks >= 10


def test_prompt_has_system_recent_history_and_the_question(anya: Persona) -> None:
    brain = Brain(ListEngine([]), anya, BrainSettings(history_turns=1))
    history = [
        ChatMessage("user", "старый вопрос"),
        ChatMessage("assistant", "старый ответ"),
        ChatMessage("user", "Меня зовут Петя"),
        ChatMessage("assistant", "Привет, Петя!"),
    ]
    messages = brain.build_messages("Как дела?", history, ["Любит футбол"], "Петя")
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert "Любит футбол" in messages[0].content and "Петя" in messages[0].content
    assert messages[1].content == "Меня зовут Петя"
    assert messages[-1].content == "Как дела?"


def test_zero_history_turns_keeps_only_the_question(anya: Persona) -> None:
    brain = Brain(ListEngine([]), anya, BrainSettings(history_turns=0))
    history = [ChatMessage("user", "a"), ChatMessage("assistant", "b")]
    assert [m.role for m in brain.build_messages("?", history)] == ["system", "user"]


async def test_strict_level_redirects_a_horror_story_the_llm_starts_to_tell(
    anya: Persona,
) -> None:
    pieces = ["Хорошо! ", "Вот ", "страшилка ", "про ", "зомби. "]
    relaxed = await _collect(Brain(ListEngine(pieces), anya, BrainSettings()), "что почитать?")
    assert isinstance(relaxed[-1], ReplyDone) and relaxed[-1].safety == "ok"
    strict = BrainSettings(safety_level="strict")
    events = await _collect(Brain(ListEngine(pieces), anya, strict), "что почитать?")
    done = events[-1]
    assert isinstance(done, ReplyDone) and done.safety == "horror"
    assert "зомби" not in done.text and done.text.endswith(REDIRECTS["horror"].split(". ")[-1])


async def test_disclosure_with_parent_alerts_off_is_supported_but_not_flagged(
    anya: Persona,
) -> None:
    quiet = BrainSettings(parent_alerts=False)
    events = await _collect(Brain(ListEngine([]), anya, quiet), "меня бьют дома")
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert (done.safety, done.engine) == ("ok", "safety")
    assert done.text == REDIRECTS["abuse"]


def test_memory_follows_the_personas_blocked_topics_and_safety_level(anya: Persona) -> None:
    parent_set = anya.model_copy(update={"blocked_topics": ("политика",)})
    brain = Brain(ListEngine([]), parent_set, BrainSettings(safety_level="strict"))
    assert brain.memory.topics == ("политика",)
    assert brain.memory.level == "strict"
