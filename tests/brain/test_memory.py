"""Memory on a real SQLite file: learning, merging, pinning, summaries, prompt packing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage
from kiosk.brain.core import Brain
from kiosk.brain.memory import Memory, approx_tokens, extractive_summary, llm_extract
from kiosk.brain.persona import Persona
from kiosk.brain.scripted import ScriptedEngine
from kiosk.config import BrainSettings
from kiosk.events import ReplyDone
from kiosk.paths import CONTENT_DIR
from kiosk.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "kiosk.db") as opened:
        yield opened


def _child_turn(store: Store, conversation: int, text: str) -> int:
    return store.add_turn(conversation, "child", text)


def test_fact_told_in_one_conversation_is_in_the_context_after_restart(tmp_path: Path) -> None:
    memory = Memory()
    with Store.open(tmp_path / "kiosk.db") as store:
        conversation = store.start_conversation("anya")
        turn = _child_turn(store, conversation, "Меня зовут Маша, я люблю кошек")
        memory.learn(store, turn, "Меня зовут Маша, я люблю кошек")
        store.end_conversation(conversation)
    with Store.open(tmp_path / "kiosk.db") as store:
        later = store.start_conversation("anya")
        context = memory.context(store, "Привет!", later)
    assert context.child_name == "Маша"
    assert "Любит кошек" in context.facts
    prompt = (
        Brain(ScriptedEngine(CONTENT_DIR / "dialogues", _persona()), _persona(), BrainSettings())
        .build_messages("Привет!", facts=context.facts)[0]
        .content
    )
    assert "Ребёнка зовут Маша" in prompt and "- Любит кошек" in prompt


def _persona() -> Persona:
    return Persona(id="anya", name="Аня", age=12, greeting="Привет!", farewell="Пока!")


def test_repeated_fact_is_merged_and_gains_priority(store: Store) -> None:
    memory = Memory()
    conversation = store.start_conversation("anya")
    first = memory.learn(store, _child_turn(store, conversation, "я люблю кошек"), "я люблю кошек")
    again_turn = _child_turn(store, conversation, "Я очень люблю кошечек... то есть кошек")
    again = memory.learn(store, again_turn, "Я так люблю кошек!")
    assert first == again
    facts = store.facts()
    assert len(facts) == 1
    assert facts[0].priority > 0.5
    assert facts[0].source_turn_id == again_turn
    assert store.fact_mentions(facts[0].id) == 2


def test_contradiction_replaces_the_old_fact(store: Store) -> None:
    memory = Memory()
    conversation = store.start_conversation("anya")
    memory.learn(store, _child_turn(store, conversation, "я люблю кашу"), "я люблю кашу")
    memory.learn(store, _child_turn(store, conversation, "я не люблю кашу"), "я не люблю кашу")
    (fact,) = store.facts()
    assert (fact.text, fact.category) == ("Не любит кашу", "dislikes")


def test_pinned_fact_stays_pinned_and_forgotten_fact_is_not_relearnt(store: Store) -> None:
    memory = Memory()
    conversation = store.start_conversation("anya")
    (pet,) = memory.learn(store, _child_turn(store, conversation, "x"), "У меня есть кошка Мурка")
    store.pin_fact(pet)
    memory.learn(store, _child_turn(store, conversation, "x"), "У меня есть кошка Мурка")
    assert store.fact(pet).pinned
    (like,) = memory.learn(store, _child_turn(store, conversation, "x"), "я люблю шоколад")
    store.forget_fact(like)
    memory.learn(store, _child_turn(store, conversation, "x"), "я люблю шоколад")
    assert [f.text for f in store.facts()] == ["Есть кошка Мурка"]


def test_packing_keeps_pinned_then_relevant_facts_within_the_budget(store: Store) -> None:
    conversation = store.start_conversation("anya")
    turn = _child_turn(store, conversation, "x")
    for i in range(40):
        store.remember_fact(f"pref:thing{i}", f"Любит игрушку номер {i}", priority=0.5)
    pinned = store.add_fact("Родители просят не говорить о сладком", pinned=True, priority=0.1)
    store.remember_fact("pref:динозавр", "Любит динозавров", priority=0.3, source_turn_id=turn)
    memory = Memory(budget_tokens=60)
    context = memory.context(store, "Расскажи про динозавров", conversation)
    assert context.tokens <= 60
    assert context.facts[0] == store.fact(pinned).text
    assert "Любит динозавров" in context.facts  # relevant beats higher priority
    assert len(context.facts) < 41
    assert approx_tokens(context.block) == context.tokens  # headers included


def test_summary_folds_old_turns_and_reaches_the_next_conversation(store: Store) -> None:
    memory = Memory(history_turns=1)
    conversation = store.start_conversation("anya")
    said = [
        "Привет",
        "Сегодня мы с папой ходили в зоопарк и видели жирафа",
        "У меня есть кошка Мурка",
        "Как дела?",
    ]
    for text in said:
        turn = _child_turn(store, conversation, text)
        store.add_turn(conversation, "avatar", "Здорово!")
        memory.after_turn(store, conversation, turn, text)
    summary, through = store.conversation_summary(conversation)
    assert "кошка Мурка" in summary and "зоопарк" in summary
    assert "Привет" not in summary
    assert through > 0
    nxt = store.start_conversation("anya")
    assert "зоопарк" in memory.context(store, "Привет", nxt).summary


def test_extractive_summary_respects_its_length(store: Store) -> None:
    conversation = store.start_conversation("anya")
    for i in range(30):
        _child_turn(store, conversation, f"Я сегодня рассказывала длинную историю номер {i}")
    text = extractive_summary(store.turns(conversation), max_chars=200)
    assert 0 < len(text) <= 200


def test_wipe_removes_summaries(store: Store) -> None:
    conversation = store.start_conversation("anya")
    store.set_conversation_summary(conversation, "Ребёнок рассказывал: «секрет».", 1)
    store.wipe_child_data()
    assert store.recent_summaries() == []


def test_brain_sends_memory_into_the_prompt_of_a_scripted_reply(store: Store) -> None:
    persona = _persona()
    brain = Brain(
        ScriptedEngine(CONTENT_DIR / "dialogues", persona, seed=1), persona, BrainSettings()
    )
    conversation = store.start_conversation("anya")
    text = "Меня зовут Маша. У меня есть кошка Мурка"
    brain.memory.learn(store, _child_turn(store, conversation, text), text)
    context = brain.memory.context(store, "Привет!", store.start_conversation("anya"))

    async def reply() -> ReplyDone:
        stream = brain.reply("Привет!", facts=context.facts, summary=context.summary)
        async with aclosing(stream) as events:
            return [e async for e in events if isinstance(e, ReplyDone)][0]

    done = asyncio.run(reply())
    assert done.text == "Привет, Маша! Как поживает Мурка?"
    assert done.emotion == "happy"


def test_nothing_is_learnt_from_redirected_words(store: Store) -> None:
    memory = Memory()
    conversation = store.start_conversation("anya")
    text = "Меня зовут Маша, я живу на улице Ленина"
    turn = _child_turn(store, conversation, text)
    assert memory.after_turn(store, conversation, turn, text, safety="personal_data") == []
    assert store.facts() == []
    text = "Меня обижают в школе, я боюсь туда ходить"
    turn = _child_turn(store, conversation, text)
    assert memory.after_turn(store, conversation, turn, text, safety="bullying")
    assert {f.category for f in store.facts()} == {"worries"}


class _CannedLLM:
    """An LLM that always writes ``answer`` (the extraction and summary prompts' reply)."""

    name = "llm:canned"

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def stream(self, messages: object, options: object, cancel: object) -> Iterator[str]:
        yield from self.answer.splitlines(keepends=True)


def test_llm_fact_about_a_topic_the_parent_blocked_is_not_stored(store: Store) -> None:
    llm = _CannedLLM("likes | Любит спорить про политику\nlikes | Любит рисовать лошадей\n")
    memory = Memory(llm=llm, topics=("политика, выборы",))
    conversation = store.start_conversation("anya")
    text = "Я люблю рисовать"
    memory.learn(store, _child_turn(store, conversation, text), text)
    stored = {f.text for f in store.facts()}
    assert "Любит рисовать лошадей" in stored
    assert not any("политик" in fact for fact in stored)
    # Without blocked topics the same fact would have been kept.
    assert any("политик" in f.text for f in llm_extract(llm, text))


def test_llm_summary_about_a_blocked_topic_falls_back_to_the_extractive_one(store: Store) -> None:
    llm = _CannedLLM("Ребёнок и Аня долго обсуждали выборы президента.")
    memory = Memory(llm=llm, history_turns=1, topics=("выборы",))
    conversation = store.start_conversation("anya")
    for text in ("Мы с папой ходили в зоопарк и видели жирафа", "А ещё там был слон", "Пока"):
        store.add_turn(conversation, "child", text)
        store.add_turn(conversation, "avatar", "Здорово!")
    summary = memory.update_summary(store, conversation)
    assert "выбор" not in summary and "зоопарк" in summary


def _exchange(store: Store, conversation: int, text: str, reply_safety: str = "ok") -> None:
    # The daemon stores the child's words as "ok" and the verdict on Аня's reply.
    store.add_turn(conversation, "child", text)
    store.add_turn(conversation, "avatar", "Давай поговорим о другом!", safety=reply_safety)


def test_summary_leaves_out_flagged_exchanges(store: Store) -> None:
    memory = Memory(history_turns=1)
    conversation = store.start_conversation("anya")
    _exchange(store, conversation, "Мы с папой ходили в зоопарк и видели жирафа")
    _exchange(store, conversation, "Отчим меня бьёт ремнём каждый вечер", "abuse")
    _exchange(store, conversation, "Мне иногда хочется исчезнуть навсегда", "self_harm")
    _exchange(store, conversation, "Кто победит на выборах президента", "topic")
    _exchange(store, conversation, "Я живу на улице Ленина в доме пять", "personal_data")
    _exchange(store, conversation, "Меня перебили на середине рассказа про слона", "ok;interrupted")
    store.add_turn(
        conversation, "child", "Мой адрес Садовая улица дом семь", safety="personal_data"
    )
    _exchange(store, conversation, "А ещё у меня есть кошка Мурка")
    _exchange(store, conversation, "Пока")
    summary = memory.update_summary(store, conversation)
    assert "зоопарк" in summary and "слона" in summary and "Мурка" in summary
    for flagged in ("Отчим", "исчезнуть", "выборах", "Ленина", "Садовая"):
        assert flagged not in summary
    nxt = store.start_conversation("anya")
    assert "Отчим" not in memory.context(store, "Привет", nxt).summary


def test_flagged_words_stay_out_after_every_turn(store: Store) -> None:
    memory = Memory(history_turns=1)
    conversation = store.start_conversation("anya")
    said = [
        ("Сегодня мы с классом ходили в планетарий", "ok"),
        ("Мальчишки в классе опять обзывают меня жирной", "bullying"),
        ("Я нарисовала большого синего кита", "ok"),
        ("Привет", "ok"),
    ]
    for text, safety in said:
        turn = _child_turn(store, conversation, text)
        memory.after_turn(store, conversation, turn, text, safety=safety)
        store.add_turn(conversation, "avatar", "Понятно!", safety=safety)
    summary, _ = store.conversation_summary(conversation)
    assert "планетарий" in summary and "кита" in summary
    assert "обзывают" not in summary


class _RecordingLLM:
    """An LLM that writes ``answer`` and keeps every prompt it was given."""

    name = "llm:recording"

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def stream(self, messages: list[ChatMessage], options: object, cancel: object) -> Iterator[str]:
        self.prompts.append("\n".join(m.content for m in messages))
        yield self.answer


def test_llm_summary_never_sees_flagged_exchanges(store: Store) -> None:
    llm = _RecordingLLM("Ребёнок рассказал про зоопарк и жирафа.")
    memory = Memory(llm=llm, history_turns=1)
    conversation = store.start_conversation("anya")
    _exchange(store, conversation, "Мы с папой ходили в зоопарк и видели жирафа")
    store.add_turn(conversation, "child", "Незнакомый дядя звал меня в машину", safety="danger")
    store.add_turn(conversation, "avatar", "Расскажи об этом маме или папе прямо сейчас.")
    _exchange(store, conversation, "Пока")
    assert memory.update_summary(store, conversation) == "Ребёнок рассказал про зоопарк и жирафа."
    (prompt,) = llm.prompts
    assert "зоопарк" in prompt
    assert "Незнакомый" not in prompt and "маме или папе" not in prompt


def test_only_flagged_turns_since_the_last_summary_keep_the_llm_summary(store: Store) -> None:
    llm = _RecordingLLM("Ребёнок рассказал про зоопарк.")
    memory = Memory(llm=llm, history_turns=1)
    conversation = store.start_conversation("anya")
    _exchange(store, conversation, "Мы с папой ходили в зоопарк и видели жирафа")
    _exchange(store, conversation, "Хочу попробовать покурить сигарету", "drugs")
    first = memory.update_summary(store, conversation)
    _exchange(store, conversation, "Пока")
    assert memory.update_summary(store, conversation) == first
    assert len(llm.prompts) == 1
    assert store.conversation_summary(conversation)[1] > 0
