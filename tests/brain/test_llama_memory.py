"""Memory and prompt reuse on the real packaged GGUF (SmolLM2 through llama.cpp)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage, GenerationOptions
from kiosk.brain.core import Brain
from kiosk.brain.llama import LlamaEngine
from kiosk.brain.memory import Memory
from kiosk.brain.persona import Persona
from kiosk.config import BrainSettings
from kiosk.store import Store

# An English system prompt of ~330 tokens: long enough that evaluating it dominates
# the time to the first token on a CPU, short enough for a quick test.
_SYSTEM = "You are Anya, a kind friend of a child. " + " ".join(
    f"Remembered fact {i}: the child likes toy number {i}." for i in range(20)
)


@pytest.fixture(scope="module")
def engine(llama_works: Path) -> LlamaEngine:
    return LlamaEngine(llama_works, n_ctx=2048, threads=2, seed=1)


@pytest.mark.slow
def test_unchanged_prompt_prefix_is_reused_on_the_next_turn(engine: LlamaEngine) -> None:
    options = GenerationOptions(max_tokens=6, temperature=0.0)
    history: list[ChatMessage] = []
    ttft: list[float] = []
    reused: list[int] = []
    evaluated: list[int | None] = []
    for text in ("Hello!", "What do I like?"):
        messages = [ChatMessage("system", _SYSTEM), *history, ChatMessage("user", text)]
        reply = "".join(engine.stream(messages, options, threading.Event()))
        assert engine.last_ttft_ms is not None
        ttft.append(engine.last_ttft_ms)
        reused.append(engine.last_reused_tokens)
        evaluated.append(engine.last_evaluated_tokens)
        history += [ChatMessage("user", text), ChatMessage("assistant", reply)]
    system_tokens = engine.count_tokens(_SYSTEM)
    assert system_tokens > 200
    assert reused[0] < system_tokens  # a fresh context (or another prompt) before
    assert reused[1] >= system_tokens  # the whole system prompt came from the KV cache
    # llama.cpp's own counter: turn 2 evaluated only the new messages, not the prefix.
    assert evaluated[0] is not None and evaluated[1] is not None
    assert evaluated[0] >= system_tokens
    assert evaluated[1] < 60, evaluated
    assert ttft[1] < ttft[0], ttft
    print(f"TTFT turn 1 {ttft[0]:.0f} ms, turn 2 {ttft[1]:.0f} ms; evaluated {evaluated}")


def test_fact_from_turn_one_is_in_a_later_prompt_after_restart_within_budget(
    tmp_path: Path, engine: LlamaEngine, anya: Persona
) -> None:
    memory = Memory(budget_tokens=120, count_tokens=engine.count_tokens)
    with Store.open(tmp_path / "kiosk.db") as store:
        conversation = store.start_conversation("anya")
        text = "меня зовут Маша, я люблю кошек"
        memory.learn(store, store.add_turn(conversation, "child", text), text)
        for i in range(30):  # plenty of other memories competing for the budget
            store.remember_fact(f"pref:t{i}", f"Любит настольную игру номер {i}", priority=0.6)
    with Store.open(tmp_path / "kiosk.db") as store:
        later = store.start_conversation("anya")
        context = memory.context(store, "Ты помнишь, кого я люблю? Кошек!", later)
    assert context.tokens <= 120
    assert sum(engine.count_tokens(f"- {f}\n") for f in context.facts) <= 120
    assert {"Зовут Маша", "Любит кошек"} <= set(context.facts)
    brain = Brain(engine, anya, BrainSettings())
    prompt = brain.build_messages("Привет!", facts=context.facts)[0].content
    assert "Ребёнка зовут Маша" in prompt and "- Любит кошек" in prompt
