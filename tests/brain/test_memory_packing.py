"""Prompt packing on a real SQLite store: FTS5 relevance over word forms, order, budget."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage
from kiosk.brain.core import Brain
from kiosk.brain.memory import Memory
from kiosk.brain.persona import Persona, system_prompt
from kiosk.brain.recall import approx_tokens, memory_block, query_terms
from kiosk.brain.scripted import ScriptedEngine
from kiosk.config import BrainSettings
from kiosk.paths import CONTENT_DIR
from kiosk.store import Store

_PERSONA = Persona(id="anya", name="Аня", age=12, greeting="Привет!", farewell="Пока!")
_CAT = "Есть кошка Мурка"
_FOOTBALL = "Любит играть в футбол по выходным"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kiosk.db") as opened:
        yield opened


def _cost(*facts: str, name: str = "", summary: str = "") -> int:
    return approx_tokens(memory_block(facts, name, summary))


@pytest.mark.parametrize(
    "said",
    ["Расскажи про кошку", "Что ты знаешь о кошках?", "А у меня сколько кошек?", "Кошкой!"],
)
def test_relevant_fact_in_another_word_form_beats_a_more_important_one(
    store: Store, said: str
) -> None:
    store.remember_fact("pet:кошк", _CAT, category="pets", priority=0.3)
    store.remember_fact("pref:футбол", _FOOTBALL, category="likes", priority=0.9)
    budget = max(_cost(_CAT), _cost(_FOOTBALL))
    assert budget < _cost(_CAT, _FOOTBALL)  # room for one fact only
    context = Memory(budget_tokens=budget).context(store, said)
    assert context.facts == (_CAT,)
    assert context.tokens <= budget


@pytest.mark.parametrize(
    ("said", "chosen"), [("Я забил гол в футболе!", _FOOTBALL), ("Как дела?", _FOOTBALL)]
)
def test_without_a_match_importance_decides(store: Store, said: str, chosen: str) -> None:
    store.remember_fact("pet:кошк", _CAT, category="pets", priority=0.3)
    store.remember_fact("pref:футбол", _FOOTBALL, category="likes", priority=0.9)
    budget = max(_cost(_CAT), _cost(_FOOTBALL))
    assert Memory(budget_tokens=budget).context(store, said).facts == (chosen,)


def test_query_terms_cover_every_form_and_skip_words_every_fact_shares() -> None:
    terms, prefix = query_terms("Ты помнишь, кого я люблю? Кошек!")
    assert not prefix
    assert {"кошка", "кошку", "кошек", "кошками"} <= terms
    assert not {"люблю", "любит", "помнишь", "кого"} & terms


def test_more_relevant_fact_ranks_first_among_matches(store: Store) -> None:
    """Both facts match "собака"; the one that also matches "Жучка" is worth the budget."""
    other = "Боится большой собаки у соседей"
    store.remember_fact("fear:собак", other, category="worries", priority=0.5)
    store.remember_fact("pet:собак", "Есть собака Жучка", category="pets", priority=0.5)
    budget = max(_cost(other), _cost("Есть собака Жучка"))
    context = Memory(budget_tokens=budget).context(store, "Как там моя собака Жучка?")
    assert context.facts == ("Есть собака Жучка",)


def _order_store(store: Store) -> tuple[int, dict[str, str]]:
    """A pinned rule, a relevant fact, a summary of an earlier talk and an unrelated fact."""
    before = store.start_conversation("anya")
    summary = "Ребёнок рассказывал: «летом мы с бабушкой ездили на море и строили замки»."
    store.set_conversation_summary(before, summary, 1)
    items = {
        "pinned": store.fact(
            store.add_fact("Родители просят не обсуждать сладости", pinned=True, priority=0.2)
        ).text,
        "relevant": "Есть собака Жучка, она очень любит гулять",
        "summary": summary,
        "rest": "Любит решать задачи по математике и по физике вечером",
    }
    store.remember_fact("pet:собак", items["relevant"], category="pets", priority=0.2)
    store.remember_fact("pref:математик", items["rest"], category="likes", priority=1.0)
    return store.start_conversation("anya"), items


def test_packing_order_is_pinned_relevant_summary_then_the_rest(store: Store) -> None:
    now, items = _order_store(store)
    pinned, relevant, summary = items["pinned"], items["relevant"], items["summary"]
    slack = 4  # less than any item costs
    steps = [
        (_cost(pinned), (pinned,), ""),
        (_cost(pinned, relevant), (pinned, relevant), ""),
        (_cost(pinned, relevant, summary=summary), (pinned, relevant), summary),
        (_cost(pinned, relevant, items["rest"], summary=summary), None, summary),
    ]
    for budget, facts, expected_summary in steps:
        context = Memory(budget_tokens=budget + slack).context(store, "Где моя собака?", now)
        assert context.facts == (facts or (pinned, relevant, items["rest"]))
        assert context.summary == expected_summary
        assert context.tokens <= budget + slack


def test_prompt_shows_persona_then_memory_then_recent_turns(store: Store) -> None:
    now, items = _order_store(store)
    memory = Memory(budget_tokens=400)
    context = memory.context(store, "Где моя собака?", now)
    brain = Brain(ScriptedEngine(CONTENT_DIR / "dialogues", _PERSONA), _PERSONA, BrainSettings())
    history = [ChatMessage("user", "Привет"), ChatMessage("assistant", "Привет-привет!")]
    messages = brain.build_messages(
        "Где моя собака?", history, context.facts, context.child_name, context.summary
    )
    prompt = messages[0].content
    assert prompt.startswith("Ты — Аня")
    positions = [prompt.index(items[k]) for k in ("pinned", "relevant", "summary")]
    assert positions == sorted(positions)
    assert prompt.endswith(context.block)
    assert messages[1:3] == history and messages[-1].content == "Где моя собака?"


def test_pinned_facts_over_budget_are_cut_least_important_first(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    rules = {
        store.add_fact(
            f"Родители просят: правило номер {i} про вечерний распорядок",
            pinned=True,
            priority=i / 10,
        ): i / 10
        for i in range(1, 7)
    }
    store.remember_fact("pet:собак", "Есть собака Жучка", priority=1.0)
    texts = [store.fact(fact_id).text for fact_id in rules]
    budget = _cost(*texts[:3]) + 2
    with caplog.at_level(logging.WARNING, logger="kiosk.brain.recall"):
        context = Memory(budget_tokens=budget).context(store, "Где моя собака?")
    assert context.tokens <= budget and approx_tokens(context.block) <= budget
    kept = {fact_id for fact_id in rules if store.fact(fact_id).text in context.facts}
    assert len(kept) == 3
    assert min(rules[k] for k in kept) > max(rules[k] for k in rules.keys() - kept)
    assert "pinned facts do not fit" in caplog.text


@pytest.mark.parametrize("budget", [0, 5, 17, 40, 75, 120, 200])
def test_memory_block_never_exceeds_the_budget(store: Store, budget: int) -> None:
    conversation = store.start_conversation("anya")
    store.set_conversation_summary(
        conversation, "Ребёнок рассказывал: «" + "мы гуляли " * 40 + "»", 1
    )
    store.remember_fact("name", "Зовут Маша", category="name", priority=0.9)
    store.add_fact("Родители просят говорить тише", pinned=True)
    for i in range(25):
        store.remember_fact(f"pref:{i}", f"Любит собаку породы номер {i}", priority=0.5)
    context = Memory(budget_tokens=budget).context(store, "Помнишь мою собаку?", conversation)
    assert context.tokens == approx_tokens(context.block) <= budget
    prompt = system_prompt(_PERSONA, context.facts, context.child_name, context.summary)
    assert context.block in prompt
    if budget >= 120:
        assert context.child_name == "Маша" or "Зовут Маша" not in context.facts
        assert any("собаку" in f for f in context.facts)


def test_without_pymorphy3_stems_still_find_the_fact(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kiosk.brain.recall.morphology_available", lambda: False)  # no dicts
    terms, prefix = query_terms("Расскажи про кошку")
    assert prefix and "кошк" in terms
    store.remember_fact("pet:кошк", _CAT, category="pets", priority=0.3)
    store.remember_fact("pref:футбол", _FOOTBALL, category="likes", priority=0.9)
    budget = max(_cost(_CAT), _cost(_FOOTBALL))
    assert Memory(budget_tokens=budget).context(store, "Расскажи про кошку").facts == (_CAT,)
