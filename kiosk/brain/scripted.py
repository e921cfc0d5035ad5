"""The scripted brain: answers from the Russian dialogue files, with no model at all.

Keeps the kiosk pleasant on a fresh machine and is the fallback whenever an LLM
fails. Retrieval is in ``kiosk.brain.dialogues``; this engine picks among the
answers (rotating, never the one just said), fills ``{name}``, ``{child_name}`` and
``{age}``, and streams the answer word by word like an LLM would.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

from kiosk.brain.base import ChatMessage, GenerationOptions
from kiosk.brain.dialogues import (
    FALLBACK_TOPIC,
    DialogueError,
    DialogueIndex,
    Exchange,
    Match,
    load_dialogues,
    stem,
    tokenize,
)
from kiosk.brain.persona import Persona
from kiosk.brain.personal import known_from_facts, personalise, read_memory

__all__ = [
    "DialogueError",
    "Exchange",
    "Match",
    "ScriptedEngine",
    "load_dialogues",
    "stem",
    "tokenize",
]

_LOGGER = logging.getLogger(__name__)

_BUILTIN_FALLBACK = (
    "Хм, этого я пока не знаю. Давай спросим у кого-нибудь из взрослых?",
    "Ой, тут я не уверена. А как думаешь ты?",
    "Интересный вопрос! Давай потом вместе спросим у мамы или папы?",
)
# Fillers that say nothing about what the child wants.
_FILLERS = frozenset({"ну", "эй", "ой", "а", "и", "слушай", "пожалуйста", "вот", "же", "ладно"})
_NAME_RE = re.compile(
    r"(?:меня зовут|мое имя|моё имя|ребенка зовут|ребёнка зовут)\s+([А-Яа-яЁёA-Za-z-]{2,20})",
    re.IGNORECASE,
)
_PLACEHOLDER_RE = re.compile(r"\{(name|child_name|age)\}")


class ScriptedEngine:
    """An ``LLMEngine`` that answers from the dialogue files, word by word."""

    name = "scripted"

    def __init__(
        self,
        dialogues_dir: Path,
        persona: Persona,
        seed: int | None = None,
        *,
        threshold: float = 0.72,
    ) -> None:
        """Load ``dialogues_dir`` (``DialogueError``); ``seed`` makes answer picks repeatable."""
        self.persona = persona
        self.threshold = threshold
        exchanges = load_dialogues(dialogues_dir)
        self._fallback = [e for e in exchanges if e.topic == FALLBACK_TOPIC]
        if not self._fallback:
            _LOGGER.warning(
                "no %r topic in %s; using built-in answers", FALLBACK_TOPIC, dialogues_dir
            )
            self._fallback = [
                Exchange(FALLBACK_TOPIC, (), _BUILTIN_FALLBACK, "thinking", "builtin")
            ]
        ignore = frozenset(tokenize(persona.name)) | _FILLERS
        self._index = DialogueIndex([e for e in exchanges if e.topic != FALLBACK_TOPIC], ignore)
        self._rng = random.Random(seed)
        self._recent: dict[str, deque[int]] = {}
        self._last_answer = ""
        self._lock = threading.Lock()
        self.last_emotion: str | None = None
        """Emotion of the exchange that produced the latest reply (set before its first token)."""
        self.last_match: Match | None = None
        """What the latest reply was retrieved from (None: the fallback answered)."""

    def match(self, text: str) -> Match | None:
        """The exchange that answers ``text``, or None when the fallback should."""
        found = self._index.best(text)
        if found is None or found.score < self.threshold:
            return None
        return found

    def respond(self, messages: Sequence[ChatMessage]) -> str:
        """The whole answer to the last user message (placeholders filled)."""
        text = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if not text.strip():
            return self.persona.greeting
        found = self.match(text)
        with self._lock:
            self.last_match = found
            if found is None:
                exchange = self._fallback[self._rng.randrange(len(self._fallback))]
                _LOGGER.info("scripted: no match for %r, fallback", text)
            else:
                exchange = found.exchange
                _LOGGER.info(
                    "scripted: %r → %s (%r, %.2f)",
                    text,
                    exchange.source,
                    found.pattern,
                    found.score,
                )
            self.last_emotion = exchange.emotion
            known = known_from_facts(read_memory(messages), _child_name(messages))
            template = self._pick(exchange, has_child_name=bool(known.name))
            answer = _fill(template, self.persona, known.name)
            history = [m for m in messages[:-1] if m.role != "system"]
            personal = personalise(answer, text, known, history, fallback=found is None)
            if personal.notes:
                _LOGGER.info("scripted: personalised (%s)", ", ".join(personal.notes))
            if personal.emotion is not None:
                self.last_emotion = personal.emotion
            self._last_answer = personal.text
            return personal.text

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str]:
        """Yield the answer word by word (with its trailing space); stop when ``cancel`` is set."""
        answer = self.respond(messages)
        for token in re.findall(r"\S+\s*", answer):
            if cancel.is_set():
                return
            yield token

    def _pick(self, exchange: Exchange, *, has_child_name: bool) -> str:
        """Rotate through the answers: never the one just said, rarely a recent one."""
        answers = exchange.answers
        indices = list(range(len(answers)))
        if not has_child_name:
            without = [i for i in indices if "{child_name}" not in answers[i]]
            indices = without or indices
        recent = self._recent.setdefault(exchange.source, deque(maxlen=max(1, len(answers) - 1)))
        fresh = [i for i in indices if i not in recent] or indices
        not_last = [i for i in fresh if answers[i] != self._last_answer] or fresh
        choice = self._rng.choice(not_last)
        recent.append(choice)
        return answers[choice]


def _child_name(messages: Sequence[ChatMessage]) -> str:
    """The child's name from "Меня зовут X" in the conversation (latest wins), or ""."""
    ordered = [m for m in reversed(messages) if m.role == "user"] + [
        m for m in messages if m.role == "system"
    ]
    for message in ordered:
        found = _NAME_RE.findall(message.content)
        if found:
            name: str = found[-1]
            return name[:1].upper() + name[1:].lower()
    return ""


def _fill(template: str, persona: Persona, child_name: str) -> str:
    values = {"name": persona.name, "child_name": child_name, "age": str(persona.age)}
    text = _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)
    if not child_name:
        # "{child_name}, привет!" / "Привет, {child_name}!" without a name.
        text = re.sub(r"\s*,\s*(?=[,.!?…])", "", text)
        text = re.sub(r",\s*,", ",", text)
        text = re.sub(r"^[\s,]+", "", text)
        text = text[:1].upper() + text[1:]
    return re.sub(r" {2,}", " ", text).strip()
