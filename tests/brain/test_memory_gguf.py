"""Memory across two conversations, measured in the real tokens of the packaged GGUF."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.brain.core import Brain
from kiosk.brain.llama import LlamaEngine
from kiosk.brain.memory import Memory
from kiosk.brain.persona import Persona
from kiosk.config import BrainSettings
from kiosk.store import Store

_BUDGET = 160
_FIRST_TALK = [
    "Привет, Аня!",
    "У меня есть собака Жучка",
    "Вчера мы с папой ходили в парк и кормили уток",
    "Я люблю рисовать",
    "Ещё я люблю играть в шахматы с дедушкой",
]


@pytest.fixture(scope="module")
def engine(llama_works: Path) -> LlamaEngine:
    return LlamaEngine(llama_works, n_ctx=2048, threads=2, seed=1)


def test_fact_from_the_first_conversation_is_in_the_second_prompt_within_budget(
    tmp_path: Path, engine: LlamaEngine, anya: Persona
) -> None:
    memory = Memory(budget_tokens=_BUDGET, count_tokens=engine.count_tokens, history_turns=1)
    brain = Brain(engine, anya, BrainSettings(), memory=memory)
    with Store.open(tmp_path / "kiosk.db") as store:
        first = store.start_conversation("anya")
        for text in _FIRST_TALK:
            turn = store.add_turn(first, "child", text)
            store.add_turn(first, "avatar", "Как интересно! Расскажи ещё.")
            memory.after_turn(store, first, turn, text)
        # More important memories than the dog, far more than the budget holds.
        for i in range(30):
            store.remember_fact(f"pref:игра{i}", f"Любит настольную игру номер {i}", priority=0.9)
        store.end_conversation(first)
    said = "Ты помнишь, как зовут мою собаку?"
    with Store.open(tmp_path / "kiosk.db") as store:
        second = store.start_conversation("anya")
        context = memory.context(store, said, second)
    assert "Есть собака Жучка" in context.facts
    assert "парк" in context.summary  # the first talk's summary made it too
    assert context.tokens == engine.count_tokens(context.block) <= _BUDGET
    assert len(context.facts) < 31  # the budget, not the store, bounded the facts
    messages = brain.build_messages(said, facts=context.facts, summary=context.summary)
    prompt = messages[0].content
    assert prompt.endswith("\n" + context.block)
    without_memory = brain.build_messages(said)[0].content
    added = engine.count_tokens(prompt) - engine.count_tokens(without_memory)
    assert added <= _BUDGET + 1, added  # +1: the newline that joins the block on
    print(f"memory block {context.tokens} of {_BUDGET} tokens; prompt grew by {added}")
