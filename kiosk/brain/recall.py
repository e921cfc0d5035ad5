"""What memory puts into one prompt: facts ranked by relevance, importance and recency, packed.

Packing order, most important first (what comes later is cut first): pinned facts,
facts relevant to the child's words (FTS5 bm25 over every form of their content
words, so "про кошку" finds "Есть кошка"), the summary of earlier talk, then the
other facts by importance and recency. The recent turns follow the whole block in
the prompt and are the first thing the engine drops when its context is short.

The block is measured as the system prompt shows it (``memory_block``), in the
model's own tokens when a counter is given, and never exceeds the budget.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kiosk.brain.morph import content_keys, morphology_available, word_forms
from kiosk.brain.persona import FACTS_HEADER, SUMMARY_HEADER
from kiosk.store.search import word_stems

if TYPE_CHECKING:
    from kiosk.store import Fact, Store

__all__ = [
    "MemoryContext",
    "TokenCounter",
    "approx_tokens",
    "memory_block",
    "pack_memory",
    "query_terms",
    "summary_text",
]

_LOGGER = logging.getLogger(__name__)

TokenCounter = Callable[[str], int]
"""Tokens a text takes in the model (``LlamaEngine.count_tokens``) or an estimate."""

_WORD = re.compile(r"[А-Яа-яЁёA-Za-z-]{3,}")
_MAX_WORDS = 16
_MAX_RELEVANT = 50
_MIN_SUMMARY_CHARS = 40
# Weights of the ranking. Relevance (0..1, relative to the best match) leads among the
# matching facts; importance (priority 0..1) and recency (1 today, 0.5 after a week)
# order the facts that do not match and break near-ties among those that do.
_IMPORTANCE_WEIGHT = 0.5
_RECENCY_WEIGHT = 0.3
_RECENCY_DAYS = 7.0


def approx_tokens(text: str) -> int:
    """Rough token count of Russian text for models without a tokenizer at hand (~3 chars)."""
    return max(1, math.ceil(len(text) / 3)) if text else 0


@dataclass(frozen=True, slots=True)
class MemoryContext:
    """What memory adds to one prompt."""

    facts: tuple[str, ...]
    """Fact texts, pinned first, then in the order they were learnt."""
    summary: str
    """Earlier conversation in a few sentences ("" when none)."""
    child_name: str
    """The child's name from memory ("" when unknown)."""
    tokens: int
    """Tokens ``memory_block`` of this context takes (by the counter in use)."""

    @property
    def block(self) -> str:
        """The memory part of the system prompt, as ``system_prompt`` writes it."""
        return memory_block(self.facts, self.child_name, self.summary)


def memory_block(facts: Sequence[str], child_name: str = "", summary: str = "") -> str:
    """The lines ``system_prompt`` adds for the name, the facts and the summary."""
    lines = []
    if child_name:
        lines.append(f"Ребёнка зовут {child_name}. Иногда обращайся к нему по имени.")
    if facts:
        lines += [FACTS_HEADER, *(f"- {fact}" for fact in facts)]
    if summary:
        lines += [SUMMARY_HEADER, summary]
    return "\n".join(lines)


def query_terms(text: str) -> tuple[set[str], bool]:
    """Index terms that find facts about the content words of ``text``; and whether prefixes.

    With pymorphy3: every form of each content word's lemma, matched whole. Without
    it: rough stems (``kiosk.store.search.word_stems``) matched as prefixes.
    Pronouns, finite verbs and words every fact shares ("люблю", "помнишь") are left out.
    """
    words = [w for w in _WORD.findall(text) if content_keys(w)][:_MAX_WORDS]
    if not morphology_available():
        return {stem for w in words for stem in word_stems(w)}, True
    return {form for w in words for form in word_forms(w)}, False


def _relevance(store: Store, text: str) -> dict[int, float]:
    """Fact id → bm25 relevance to ``text``, relative to the best match (0..1]."""
    terms, prefix = query_terms(text)
    ranked = store.rank_facts(terms, prefix=prefix, limit=_MAX_RELEVANT)
    if not ranked:
        return {}
    best = max(score for _, score in ranked)
    return {fact.id: score / best for fact, score in ranked}


def _importance(fact: Fact, now: datetime) -> float:
    age_days = max(0.0, (now - fact.updated_at).total_seconds() / 86400)
    return fact.priority + _RECENCY_WEIGHT / (1.0 + age_days / _RECENCY_DAYS)


def _clip(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` at a sentence end, else at a word, marked with "…"."""
    if len(text) <= max_chars:
        return text
    cut = text[: max(0, max_chars - 1)]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= max_chars // 2:
        return cut[: end + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(" ,;:—-") + "…"


def summary_text(store: Store, conversation_id: int | None, max_chars: int) -> str:
    """The summaries of the last conversations and this one, newest kept, within ``max_chars``."""
    parts = [s for _, s in store.recent_summaries(3, exclude_conversation=conversation_id)]
    if conversation_id is not None:
        current, _ = store.conversation_summary(conversation_id)
        parts.append(current)
    parts = [p for p in parts if p]
    while len(parts) > 1 and len(" ".join(parts)) > max_chars:
        parts.pop(0)
    return _clip(" ".join(parts), max_chars) if parts and max_chars > 0 else ""


def _name_of(fact: Fact) -> str:
    return fact.text.split(" ", 1)[1] if fact.text.startswith("Зовут ") else ""


class _Packer:
    """Adds facts and a summary while an estimate (sum of line costs) fits the budget."""

    def __init__(self, budget: int, count_tokens: TokenCounter) -> None:
        self.budget = budget
        self.count = count_tokens
        self.facts: list[Fact] = []
        self.summary = ""
        self.used = 0
        self.order: list[Fact | str] = []
        """What was added, in packing order (a str is the summary): trimmed from the end."""

    def fact_cost(self, fact: Fact) -> int:
        cost = self.count(f"- {fact.text}\n")
        if not self.facts:
            cost += self.count(FACTS_HEADER + "\n")
        if _name_of(fact) and not self.child_name:
            cost += self.count(memory_block((), _name_of(fact)) + "\n")
        return cost

    def add_fact(self, fact: Fact) -> bool:
        cost = self.fact_cost(fact)
        if self.used + cost > self.budget:
            return False
        self.facts.append(fact)
        self.order.append(fact)
        self.used += cost
        return True

    def summary_cost(self, summary: str) -> int:
        return self.count(f"{SUMMARY_HEADER}\n{summary}\n") if summary else 0

    def set_summary(self, summary: str) -> None:
        self.summary = summary
        self.order.append(summary)
        self.used += self.summary_cost(summary)

    @property
    def child_name(self) -> str:
        return next((name for f in self.facts if (name := _name_of(f))), "")

    def shown_facts(self) -> list[Fact]:
        """Pinned first, then oldest first: a stable order keeps llama.cpp's prompt cache."""
        return sorted(self.facts, key=lambda f: (not f.pinned, f.id))

    def exact_tokens(self) -> int:
        texts = [f.text for f in self.shown_facts()]
        return self.count(memory_block(texts, self.child_name, self.summary))

    def trim_to_budget(self) -> int:
        """Drop the last-packed items until the exact block fits; returns its tokens."""
        tokens = self.exact_tokens()
        while tokens > self.budget and self.order:
            item = self.order.pop()
            if isinstance(item, str):
                self.summary = ""
            else:
                self.facts.remove(item)
                if item.pinned:
                    _LOGGER.warning("pinned fact %d cut: memory budget is full", item.id)
            tokens = self.exact_tokens()
        return tokens


def pack_memory(
    store: Store,
    text: str,
    conversation_id: int | None = None,
    *,
    budget_tokens: int,
    count_tokens: TokenCounter = approx_tokens,
    summary_chars: int = 600,
) -> MemoryContext:
    """The facts and summary for a prompt answering ``text``, within ``budget_tokens``.

    Pinned facts that do not fit are cut, the least important first, with a warning.
    """
    if budget_tokens <= 0:
        return MemoryContext((), "", "", 0)
    facts = store.facts()
    now = datetime.now(UTC)
    packer = _Packer(budget_tokens, count_tokens)
    pinned = sorted((f for f in facts if f.pinned), key=lambda f: -_importance(f, now))
    for index, fact in enumerate(pinned):
        if not packer.add_fact(fact):
            cut = pinned[index:]
            _LOGGER.warning(
                "%d pinned facts do not fit the memory budget of %d tokens; cut: %s",
                len(cut),
                budget_tokens,
                ", ".join(str(f.id) for f in cut),
                extra={"stage": "brain", "budget_tokens": budget_tokens},
            )
            break
    relevance = _relevance(store, text)
    others = [f for f in facts if not f.pinned]
    relevant = [f for f in others if f.id in relevance]
    relevant.sort(key=lambda f: -(relevance[f.id] + _IMPORTANCE_WEIGHT * _importance(f, now)))
    for fact in relevant:
        packer.add_fact(fact)
    max_chars = summary_chars
    summary = summary_text(store, conversation_id, max_chars)
    while summary and packer.used + packer.summary_cost(summary) > budget_tokens:
        max_chars //= 2
        fits = max_chars >= _MIN_SUMMARY_CHARS
        summary = summary_text(store, conversation_id, max_chars) if fits else ""
    if summary:
        packer.set_summary(summary)
    rest = sorted((f for f in others if f.id not in relevance), key=lambda f: -_importance(f, now))
    for fact in rest:
        packer.add_fact(fact)
    tokens = packer.trim_to_budget()
    shown = tuple(f.text for f in packer.shown_facts())
    return MemoryContext(shown, packer.summary, packer.child_name, tokens)
