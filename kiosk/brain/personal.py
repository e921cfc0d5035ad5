"""Make a scripted answer personal: the child's name, what Аня remembers, the child's mood.

The scripted engine sees only chat messages, like an LLM: the facts come from the
system prompt's memory block (``persona.FACTS_HEADER``), in the forms that
``kiosk.brain.facts`` writes ("Любит кошек", "Есть кошка Мурка"). Parent-written
facts in other words are kept for the LLM and ignored here.

Rules, in order:

1. a child in a negative mood gets empathy first (``mood.empathy_reply``), by name;
2. a greeting gets the name and, at the start of a conversation, a question about
   something remembered ("Привет, Маша! Как поживает Мурка?");
3. a message that mentions a remembered like or pet gets "я помню…" before the answer
   (once per conversation and thing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kiosk.brain.base import ChatMessage
from kiosk.brain.mood import NEGATIVE_MOODS, REPLY_EMOTION, detect_mood, empathy_reply
from kiosk.brain.morph import key_of
from kiosk.brain.persona import FACTS_HEADER

__all__ = ["KnownChild", "Personalised", "known_from_facts", "personalise", "read_memory"]


_GREETING = re.compile(
    r"^(?:ну\s+)?(?:привет\w*|здравствуй\w*|добр\w+ (?:утро|день|вечер)|хай|салют|"
    r"доброе утро|приветики)\b",
    re.IGNORECASE,
)
_LIKE = re.compile(r"^(Любит|Нравится|Нравятся|нравится|нравятся)\s+(.+)$")
_PET = re.compile(r"^Есть\s+(\S+)(?:\s+([А-ЯЁ][а-яё-]+))?$")
_PET_WORDS = re.compile(
    r"^(?:кош|кот|собак|собач|пес|пса|щен|хомя|попуга|рыбк|черепах|кролик|свинк|шиншилл|крыс)"
)
_NAME_FACT = re.compile(r"^Зовут\s+([А-ЯЁ][а-яё-]+)$")


@dataclass(frozen=True, slots=True)
class KnownChild:
    """What the scripted engine can use from memory."""

    name: str = ""
    """The child's name ("" when unknown)."""
    likes: tuple[tuple[str, str], ...] = ()
    """(phrase "ты любишь …" / "тебе нравится …", merge key) per like."""
    pets: tuple[tuple[str, str, str], ...] = ()
    """(kind as said, name or "", merge key) per pet."""


@dataclass(frozen=True, slots=True)
class Personalised:
    """The answer to say, and the emotion to show (None: keep the exchange's)."""

    text: str
    emotion: str | None = None
    notes: tuple[str, ...] = field(default=())
    """Which rules fired (``mood:sad``, ``greeting``, ``remember:pref:кошк``), for tests/logs."""


def known_from_facts(facts: Sequence[str], child_name: str = "") -> KnownChild:
    """Read the facts the extractor writes back into structure."""
    name = child_name
    likes: list[tuple[str, str]] = []
    pets: list[tuple[str, str, str]] = []
    for fact in facts:
        fact = fact.strip()
        if found := _NAME_FACT.match(fact):
            name = name or found.group(1)
        elif found := _LIKE.match(fact):
            verb, thing = found.groups()
            phrase = f"ты любишь {thing}" if verb == "Любит" else f"тебе {verb.lower()} {thing}"
            likes.append((phrase, key_of(thing)))
        elif (found := _PET.match(fact)) and _PET_WORDS.match(found.group(1).lower()):
            kind = found.group(1)
            pets.append((kind, found.group(2) or "", key_of(kind)))
    return KnownChild(name, tuple(likes), tuple(pets))


def read_memory(messages: Sequence[ChatMessage]) -> list[str]:
    """The "- fact" lines of the system prompt's memory block."""
    facts: list[str] = []
    for message in messages:
        if message.role != "system" or FACTS_HEADER not in message.content:
            continue
        block = message.content.split(FACTS_HEADER, 1)[1].splitlines()
        for line in block[1:] if block and not block[0].strip() else block:
            if not line.startswith("- "):
                break
            facts.append(line[2:].strip())
    return facts


def _said_before(history: Sequence[ChatMessage], phrase: str) -> bool:
    return any(m.role == "assistant" and phrase in m.content for m in history)


def _keys_in(text: str) -> set[str]:
    return {key_of(word) for word in re.findall(r"[А-Яа-яЁё-]{3,}", text)}


def _memory_question(known: KnownChild) -> str:
    for _, pet_name, _ in known.pets:
        if pet_name:
            return f"Как поживает {pet_name}?"
    if known.pets:
        return "Как поживает твой питомец?"
    if known.likes:
        return f"Я помню, {known.likes[0][0]}. Расскажешь что-нибудь новое?"
    return ""


def personalise(
    answer: str,
    text: str,
    known: KnownChild,
    history: Sequence[ChatMessage] = (),
    *,
    fallback: bool = False,
) -> Personalised:
    """``answer`` (from the dialogues) adjusted to the child's mood, name and memory.

    ``fallback``: the answer is a "don't know" line; a memory hit replaces it.
    """
    mood = detect_mood(text)
    prefix = f"{known.name}, " if known.name else ""
    if mood in NEGATIVE_MOODS:
        empathy = empathy_reply(mood)
        body = empathy[:1].lower() + empathy[1:] if prefix else empathy
        return Personalised(prefix + body, REPLY_EMOTION[mood], (f"mood:{mood}",))
    greeted = _GREETING.match(text.strip())
    if greeted:
        greeting = f"Привет, {known.name}!" if known.name else "Привет!"
        rest_of_text = re.findall(r"[А-Яа-яЁё]+", text[greeted.end() :])
        only_greeting = "?" not in text and len(rest_of_text) <= 2
        question = _memory_question(known) if not history else ""
        if only_greeting and (known.name or question):
            rest = question or "Как у тебя дела?"
            return Personalised(f"{greeting} {rest}", "happy", ("greeting",))
        if known.name and not answer.lower().startswith(("привет", "здравствуй")):
            return Personalised(f"{greeting} {answer}", None, ("greeting",))
        return Personalised(answer)
    words = _keys_in(text)
    body = "Расскажи мне ещё, мне очень интересно!" if fallback else answer
    for _, pet_name, key in known.pets:
        if key in words and pet_name and not _said_before(history, pet_name):
            asked = _cap(f"{prefix}а как там {pet_name}?")
            return Personalised(f"{asked} {body}", None, (f"remember:pet:{key}",))
    for phrase, key in known.likes:
        if key in words and not _said_before(history, phrase):
            remembered = _cap(f"{prefix}я помню, {phrase}!")
            return Personalised(f"{remembered} {body}", "happy", (f"remember:pref:{key}",))
    return Personalised(answer)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
