"""Topics the parent blocks in the persona: a gentle redirect on input, filtered on output."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage, GenerationOptions
from kiosk.brain.core import Brain
from kiosk.brain.persona import Persona, load_persona
from kiosk.brain.safety import (
    CATEGORIES,
    REDIRECTS,
    TOPIC_CATEGORY,
    check_input,
    check_output,
    compile_topics,
)
from kiosk.config import BrainSettings
from kiosk.events import ReplyDone, ReplySentence
from kiosk.paths import CONTENT_DIR, Paths

TOPICS = ("политика", "религиозные споры", "реклама и покупки", "динозавры")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Расскажи про политику", "политика"),
        ("Кто такой политик?", "политика"),
        ("Какие религиозные споры бывают?", "религиозные споры"),
        ("Расскажи про покупки", "реклама и покупки"),
        ("Я смотрела рекламу игрушек", "реклама и покупки"),
        ("Я видела динозавра в музее", "динозавры"),
    ],
)
def test_blocked_topic_in_any_form_gets_the_topic_redirect(text: str, topic: str) -> None:
    verdict = check_input(text, topics=TOPICS)
    assert (verdict.ok, verdict.category, verdict.matched) == (False, TOPIC_CATEGORY, topic)
    assert verdict.redirect == REDIRECTS[TOPIC_CATEGORY]
    assert not verdict.alert


@pytest.mark.parametrize(
    "text",
    [
        "Надо полить цветы",  # shares letters with "политика", not the lemma
        "У нас был спор с братом",  # one word of "религиозные споры" is not enough
        "Привет, как дела?",
    ],
)
def test_neighbouring_words_are_not_a_blocked_topic(text: str) -> None:
    assert check_input(text, topics=TOPICS).ok


def test_blocked_topic_is_filtered_from_replies_too() -> None:
    verdict = check_output("Динозавры жили очень давно.", topics=TOPICS)
    assert verdict.category == TOPIC_CATEGORY
    assert check_output("Динозавры жили очень давно.").ok  # only when the persona blocks it


def test_safety_lists_win_over_a_blocked_topic() -> None:
    # A disclosure still alerts the parent even if it also mentions a blocked topic.
    verdict = check_input("Я видела динозавра и я не хочу жить", topics=TOPICS)
    assert verdict.category == "self_harm" and verdict.alert


def test_topics_split_into_parts_that_need_all_their_words() -> None:
    compiled = compile_topics(("реклама и покупки", "религиозные споры", "и", "спорт"))
    assert compiled.keys == (("реклам",), ("покупк",), ("религиозн", "спор"), ("спорт",))
    assert compiled.owners[:2] == ("реклама и покупки", "реклама и покупки")
    assert TOPIC_CATEGORY in CATEGORIES


def _write_persona(directory: Path, blocked: list[str]) -> None:
    bundled = (CONTENT_DIR / "personas" / "anya.toml").read_text(encoding="utf-8")
    lines = [ln for ln in bundled.splitlines() if not ln.startswith("blocked_topics")]
    lines.append("blocked_topics = [" + ", ".join(f'"{t}"' for t in blocked) + "]")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "anya.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def parent_persona(paths: Paths) -> Persona:
    """The parent's copy of Аня in the data dir, with dinosaurs blocked."""
    _write_persona(paths.personas_dir, ["политика", "динозавры"])
    persona = load_persona("anya", paths)
    assert persona.blocked_topics == ("политика", "динозавры")
    return persona


class _Pieces:
    """A real engine over fixed pieces (the LLM is not needed to test the filter)."""

    name = "llm:test"

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        self.produced = 0

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        for piece in self.pieces:
            if cancel.is_set():
                return
            self.produced += 1
            yield piece


async def _done(brain: Brain, text: str) -> tuple[ReplyDone, list[ReplySentence]]:
    async with aclosing(brain.reply(text)) as events:
        collected = [event async for event in events]
    done = collected[-1]
    assert isinstance(done, ReplyDone)
    return done, [e for e in collected if isinstance(e, ReplySentence)]


async def test_child_asking_about_a_blocked_topic_gets_a_gentle_redirect(
    parent_persona: Persona,
) -> None:
    engine = _Pieces(["Не ", "должно ", "быть."])
    done, sentences = await _done(
        Brain(engine, parent_persona, BrainSettings()), "Расскажи про динозавров"
    )
    assert done.safety == TOPIC_CATEGORY and done.engine == "safety"
    assert done.text == REDIRECTS[TOPIC_CATEGORY] and sentences
    assert engine.produced == 0


async def test_reply_drifting_into_a_blocked_topic_is_cut_and_redirected(
    parent_persona: Persona,
) -> None:
    engine = _Pieces(["Я люблю рисовать. ", "А ещё ", "динозавры ", "очень ", "большие."])
    done, sentences = await _done(Brain(engine, parent_persona, BrainSettings()), "Что ты любишь?")
    assert done.safety == TOPIC_CATEGORY
    assert "динозавр" not in done.text.lower()
    assert sentences[0].text == "Я люблю рисовать."
    assert done.text.endswith(REDIRECTS[TOPIC_CATEGORY].split(". ")[-1])


async def test_without_the_block_the_same_question_reaches_the_engine(paths: Paths) -> None:
    _write_persona(paths.personas_dir, [])
    persona = load_persona("anya", paths)
    engine = _Pieces(["Динозавры ", "жили ", "давно."])
    done, _ = await _done(Brain(engine, persona, BrainSettings()), "Расскажи про динозавров")
    assert done.safety == "ok" and done.text == "Динозавры жили давно."
