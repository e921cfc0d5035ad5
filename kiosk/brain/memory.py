"""Long-term memory: learn facts from turns, keep a rolling summary, pack the prompt context.

- ``Memory.learn`` runs the Russian patterns (``kiosk.brain.facts``) over a child's turn
  (and, when ``llm`` is given, an extraction prompt) and merges each fact into the store
  by its key: a repeated fact gains priority and recency, a contradiction replaces the
  old text, a pinned fact stays pinned, a forgotten one stays forgotten.
- ``Memory.update_summary`` folds the turns that dropped out of the verbatim history
  into the conversation's rolling summary (extractive; the LLM writes it when given).
  Exchanges the safety check flagged are left out: the parent sees them as alerts,
  and the persona must not bring them back in a later prompt.
- ``Memory.context`` chooses what goes into the prompt under a token budget
  (``kiosk.brain.recall``): pinned facts, then the facts relevant to the current
  message, then the summaries of this and the last conversations, then the rest by
  importance and recency. The chosen facts are listed in a stable order (pinned, then
  oldest first), so the prompt prefix — and llama.cpp's cache of it — survives.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.brain.facts import CATEGORY_PRIORITY, ExtractedFact, extract_facts
from kiosk.brain.morph import key_of
from kiosk.brain.recall import MemoryContext, TokenCounter, approx_tokens, pack_memory
from kiosk.brain.sadness import SADNESS_ALERT, watch_sadness
from kiosk.brain.safety import ALERT_CATEGORIES, SafetyLevel, check_output

if TYPE_CHECKING:
    from kiosk.store import Store, Turn

__all__ = [
    "Memory",
    "MemoryContext",
    "approx_tokens",
    "extractive_summary",
    "llm_extract",
    "summarisable_turns",
]

_LOGGER = logging.getLogger(__name__)

_LEARN_FROM = frozenset({"ok", "scary", *ALERT_CATEGORIES})
"""Safety verdicts of a child's turn that memory may learn from."""

_SMALL_TALK = re.compile(r"^(?:привет\w*|пока\w*|да|нет|ага|угу|спасибо|ок|хорошо)\b", re.I)


def _flagged(safety: str) -> bool:
    """Whether a stored safety verdict is a flag (``"ok;interrupted"`` is not).

    The sadness alert is not: the exchange was fine, and the summary should keep it.
    """
    return safety.split(";", 1)[0] not in ("ok", "", SADNESS_ALERT)


def summarisable_turns(turns: Sequence[Turn]) -> list[Turn]:
    """``turns`` without the exchanges the safety check flagged.

    An exchange is a child's turn and the avatar's reply right after it; the verdict
    may sit on either (the daemon stores it on the reply), so both go when one is
    flagged: an alert kind, a blocked topic, a redirect, a reply that was cut.
    """
    kept: list[Turn] = []
    skip_reply = False
    for index, turn in enumerate(turns):
        if turn.role == "child":
            reply = turns[index + 1] if index + 1 < len(turns) else None
            reply_flagged = reply is not None and reply.role == "avatar" and _flagged(reply.safety)
            skip_reply = _flagged(turn.safety) or reply_flagged
            if not skip_reply:
                kept.append(turn)
            continue
        if turn.role == "avatar" and (skip_reply or _flagged(turn.safety)):
            skip_reply = False
            continue
        skip_reply = False
        kept.append(turn)
    return kept


def extractive_summary(turns: Sequence[Turn], max_chars: int = 600) -> str:
    """The child's most telling words from ``turns``, quoted, within ``max_chars``.

    Utterances that taught a fact come first, then longer ones; small talk and turns
    of flagged exchanges (``summarisable_turns``) are skipped.
    """
    scored: list[tuple[float, int, str]] = []
    for index, turn in enumerate(summarisable_turns(turns)):
        text = " ".join(turn.text.split())
        if turn.role != "child" or len(text.split()) < 3 or _SMALL_TALK.match(text):
            continue
        score = 2.0 * len(extract_facts(text)) + min(len(text.split()), 15) / 15
        scored.append((score, index, text.rstrip(".!?…")))
    chosen: list[tuple[int, str]] = []
    used = len("Ребёнок рассказывал: .")
    for _, index, text in sorted(scored, key=lambda item: (-item[0], item[1])):
        if used + len(text) + 4 > max_chars:
            continue
        chosen.append((index, text))
        used += len(text) + 4
    if not chosen:
        return ""
    quoted = "; ".join(f"«{text}»" for _, text in sorted(chosen))
    return f"Ребёнок рассказывал: {quoted}."


def _generate(engine: LLMEngine, messages: list[ChatMessage], max_tokens: int) -> str:
    cancel = threading.Event()
    options = GenerationOptions(max_tokens=max_tokens, temperature=0.2)
    return "".join(engine.stream(messages, options, cancel)).strip()


_EXTRACT_PROMPT = (
    "Ты помогаешь запоминать факты о ребёнке. Из слов ребёнка выпиши факты о нём самом, "
    "каждый на отдельной строке в виде «категория | факт в третьем лице». Категории: "
    + ", ".join(CATEGORY_PRIORITY)
    + ". Если фактов нет, напиши «нет». Ничего не выдумывай."
)
_LINE = re.compile(r"^\s*[-•*]?\s*([a-z]+)\s*\|\s*(.{3,120})$")


def llm_extract(
    engine: LLMEngine,
    text: str,
    *,
    topics: Sequence[str] = (),
    level: SafetyLevel = "standard",
) -> list[ExtractedFact]:
    """Facts the LLM finds in ``text`` (lines ``category | fact``); unknown categories dropped.

    A fact the reply check would cut at ``level``, or one about a topic the parent
    blocked (``topics``: the persona's ``blocked_topics``), is not returned.
    """
    try:
        answer = _generate(
            engine,
            [ChatMessage("system", _EXTRACT_PROMPT), ChatMessage("user", text)],
            max_tokens=120,
        )
    except Exception as exc:  # memory must never break a turn
        _LOGGER.warning("LLM fact extraction failed: %r", exc)
        return []
    facts = []
    for line in answer.splitlines():
        found = _LINE.match(line)
        if not found or found.group(1) not in CATEGORY_PRIORITY:
            continue
        category, fact = found.group(1), found.group(2).strip().rstrip(".")
        if not check_output(fact, level=level, topics=topics).ok:
            continue
        key = "name" if category == "name" else f"{category}:{key_of(fact)}"
        facts.append(ExtractedFact(key, category, fact, CATEGORY_PRIORITY[category]))
    return facts


class Memory:
    """Learns about the child from turns and packs what matters into each prompt."""

    def __init__(
        self,
        *,
        budget_tokens: int = 400,
        summary_chars: int = 600,
        history_turns: int = 8,
        count_tokens: TokenCounter | None = None,
        llm: LLMEngine | None = None,
        topics: Sequence[str] = (),
        level: SafetyLevel = "standard",
    ) -> None:
        """``budget_tokens`` bounds facts + summary; ``llm`` (optional) extracts and summarises.

        ``topics`` (the persona's ``blocked_topics``) and ``level`` (``brain.safety_level``)
        screen what the LLM extracts or summarises before it is stored.
        """
        self.topics = tuple(topics)
        """Blocked topics: LLM facts and summaries about them are not stored."""
        self.level: SafetyLevel = level
        """Safety level the stored LLM text is checked at."""
        self.parent_alerts = True
        """Record the persistent-sadness alert (``brain.parent_alerts``)."""
        self.budget_tokens = budget_tokens
        self.summary_chars = summary_chars
        self.history_turns = history_turns
        self.count_tokens: TokenCounter = count_tokens or approx_tokens
        self.llm = llm

    # --- learning ------------------------------------------------------------------

    def learn(self, store: Store, turn_id: int, text: str) -> list[int]:
        """Merge every fact in the child's ``text`` (turn ``turn_id``); returns the fact ids."""
        found = {f.key: f for f in extract_facts(text)}
        if self.llm is not None:
            for fact in llm_extract(self.llm, text, topics=self.topics, level=self.level):
                found.setdefault(fact.key, fact)
        ids = []
        for fact in found.values():
            fact_id, created = store.remember_fact(
                fact.key,
                fact.text,
                category=fact.category,
                priority=fact.priority,
                source_turn_id=turn_id,
            )
            _LOGGER.info(
                "memory %s: %s (%s)", "learnt" if created else "updated", fact.text, fact.key
            )
            ids.append(fact_id)
        return ids

    def update_summary(self, store: Store, conversation_id: int) -> str:
        """Fold turns older than the verbatim history into the conversation's summary."""
        turns = store.turns(conversation_id)
        older = turns[: max(0, len(turns) - self.history_turns * 2)]
        summary, through = store.conversation_summary(conversation_id)
        fresh = [t for t in older if t.id > through]
        if not fresh:
            return summary
        kept = summarisable_turns(older)
        text = ""
        fresh_kept = [t for t in kept if t.id > through]
        if self.llm is not None and fresh_kept:
            text = self._llm_summary(summary, fresh_kept)
        elif self.llm is not None:
            text = summary  # only flagged turns since the last summary: nothing to add
        if not text:
            text = extractive_summary(kept, max_chars=self.summary_chars)
        store.set_conversation_summary(conversation_id, text, fresh[-1].id)
        return text

    def _llm_summary(self, previous: str, turns: Sequence[Turn]) -> str:
        assert self.llm is not None
        speakers = {"child": "Ребёнок", "parent": "Родитель"}
        transcript = "\n".join(f"{speakers.get(t.role, 'Аня')}: {t.text}" for t in turns)
        prompt = (
            "Кратко, в двух-трёх предложениях и в третьем лице, перескажи, о чём говорили "
            "ребёнок и Аня. Сохрани важное о ребёнке. Только пересказ."
        )
        user = (f"Раньше: {previous}\n" if previous else "") + transcript
        try:
            text = _generate(
                self.llm, [ChatMessage("system", prompt), ChatMessage("user", user)], 160
            )
        except Exception as exc:
            _LOGGER.warning("LLM summary failed, using the extractive one: %r", exc)
            return ""
        text = " ".join(text.split())[: self.summary_chars]
        fit = text and check_output(text, level=self.level, topics=self.topics).ok
        return text if fit else ""

    def after_turn(
        self, store: Store, conversation_id: int, turn_id: int, text: str, safety: str = "ok"
    ) -> list[int]:
        """Everything memory does after a stored child turn: learn, watch the mood, summarise.

        Nothing is learnt from words the safety check redirected (personal data, a
        jailbreak, rude or adult words), except disclosures (``ALERT_CATEGORIES``),
        whose worries the parent should see. A turn that starts a streak of sadness
        marks Аня's stored reply with the parent alert (``kiosk.brain.sadness``).
        Blocking (an LLM summary takes a while): run it in a thread.
        """
        ids = self.learn(store, turn_id, text) if safety in _LEARN_FROM else []
        if self.parent_alerts:
            watch_sadness(store, turn_id)
        self.update_summary(store, conversation_id)
        return ids

    # --- packing -------------------------------------------------------------------

    def context(self, store: Store, text: str, conversation_id: int | None = None) -> MemoryContext:
        """Facts and summary for a prompt answering ``text``, within ``budget_tokens``.

        See ``kiosk.brain.recall``: pinned facts, then the facts relevant to ``text``,
        then the summary, then the rest, measured by ``count_tokens``.
        """
        return pack_memory(
            store,
            text,
            conversation_id,
            budget_tokens=self.budget_tokens,
            count_tokens=self.count_tokens,
            summary_chars=self.summary_chars,
        )
