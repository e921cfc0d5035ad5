"""The scripted engine uses memory and mood: name, remembered likes and pets, empathy first."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import aclosing

import pytest

from kiosk.brain.base import ChatMessage
from kiosk.brain.core import Brain
from kiosk.brain.mood import EMPATHY, detect_mood
from kiosk.brain.persona import Persona
from kiosk.brain.personal import known_from_facts
from kiosk.brain.scripted import ScriptedEngine
from kiosk.config import BrainSettings
from kiosk.events import ReplyDone, ReplySentence
from kiosk.paths import CONTENT_DIR

FACTS = ("Зовут Маша", "Любит кошек", "Есть кошка Мурка", "Нравятся собаки", "Боится: темноты")


@pytest.fixture
def brain(anya: Persona) -> Brain:
    return Brain(ScriptedEngine(CONTENT_DIR / "dialogues", anya, seed=3), anya, BrainSettings())


def _reply(
    brain: Brain, text: str, facts: Sequence[str] = FACTS, history: Sequence[ChatMessage] = ()
) -> tuple[ReplyDone, list[ReplySentence]]:
    async def run() -> tuple[ReplyDone, list[ReplySentence]]:
        async with aclosing(brain.reply(text, history=history, facts=facts)) as stream:
            events = [e async for e in stream]
        done = [e for e in events if isinstance(e, ReplyDone)][0]
        return done, [e for e in events if isinstance(e, ReplySentence)]

    return asyncio.run(run())


def test_greeting_uses_the_name_and_asks_about_the_pet(brain: Brain) -> None:
    done, sentences = _reply(brain, "Привет!")
    assert done.text == "Привет, Маша! Как поживает Мурка?"
    assert {s.emotion for s in sentences} == {"happy"}


def test_greeting_later_in_a_conversation_does_not_repeat_the_question(brain: Brain) -> None:
    history = [ChatMessage("user", "Привет"), ChatMessage("assistant", "Привет, Маша!")]
    done, _ = _reply(brain, "Привет!", history=history)
    assert done.text == "Привет, Маша! Как у тебя дела?"


def test_mentioning_a_remembered_like_is_noticed_once(brain: Brain) -> None:
    done, _ = _reply(brain, "Расскажи про собак")
    assert done.text.startswith("Маша, я помню, тебе нравятся собаки!")
    assert done.emotion == "happy"
    history = [ChatMessage("user", "Расскажи про собак"), ChatMessage("assistant", done.text)]
    again, _ = _reply(brain, "Расскажи про собак", history=history)
    assert "я помню" not in again.text


def test_mentioning_the_pet_kind_asks_about_the_pet(brain: Brain) -> None:
    done, _ = _reply(brain, "Я сегодня видела кошку на улице")
    assert done.text.startswith("Маша, а как там Мурка?")


def test_without_memory_the_answers_stay_plain(brain: Brain) -> None:
    done, _ = _reply(brain, "Привет!", facts=())
    assert "Маша" not in done.text and "Мурка" not in done.text


@pytest.mark.parametrize(
    ("text", "mood", "emotion"),
    [
        ("Мне очень грустно", "sad", "sad"),
        ("Я поссорилась с подругой и плакала", "sad", "sad"),
        ("Я злюсь на брата", "angry", "calm"),
        ("Мне страшно, там гроза", "scared", "calm"),
        ("Мне скучно", "bored", "excited"),
    ],
)
def test_negative_mood_gets_empathy_first(brain: Brain, text: str, mood: str, emotion: str) -> None:
    done, sentences = _reply(brain, text)
    assert brain.last_mood == mood
    assert done.text.startswith("Маша, ")
    assert EMPATHY[mood].split(".")[0].split("?")[0][1:] in done.text
    assert sentences[0].emotion == emotion


@pytest.mark.parametrize(
    ("text", "mood"),
    [
        ("Ура, я получила пятёрку!", "happy"),
        ("Мне не грустно, всё хорошо", "neutral"),
        ("Мне совсем не весело", "sad"),
        ("Я устала после школы", "tired"),
        ("Расскажи про космос", "neutral"),
    ],
)
def test_child_mood_from_words(text: str, mood: str) -> None:
    assert detect_mood(text) == mood


def test_mood_note_reaches_the_llm_prompt_last(brain: Brain) -> None:
    messages = brain.build_messages("Мне очень грустно", facts=FACTS)
    assert messages[-2].role == "system" and "грустно" in messages[-2].content
    assert messages[-1] == ChatMessage("user", "Мне очень грустно")
    assert brain.build_messages("Расскажи про космос")[-2].role == "system"  # only the prompt
    assert len(brain.build_messages("Расскажи про космос")) == 2


def test_system_prompt_is_identical_between_turns_while_memory_is_unchanged(
    brain: Brain,
) -> None:
    first = brain.build_messages("Привет", facts=FACTS, summary="Говорили о кошках.")
    history = [ChatMessage("user", "Привет"), ChatMessage("assistant", "Привет, Маша!")]
    second = brain.build_messages(
        "Мне грустно", history=history, facts=FACTS, summary="Говорили о кошках."
    )
    assert first[0] == second[0]
    assert second[1:3] == history


def test_known_facts_are_read_back() -> None:
    known = known_from_facts(FACTS)
    assert known.name == "Маша"
    assert [p[1] for p in known.pets] == ["Мурка"]
    assert [p[0] for p in known.likes] == ["ты любишь кошек", "тебе нравятся собаки"]
