"""Topics a parent blocks in the persona (``blocked_topics``), matched on the text's lemmas.

``compile_topics`` turns "политика, выборы" into stems of lemmas; ``TopicFilter.match``
says which topic a text touches. ``kiosk.brain.safety`` runs it after the word lists
(``check_input(..., topics=...)``); the syntax is in ``content/safety/README.md``.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from kiosk.brain.morph import lemma

__all__ = ["TopicFilter", "compile_topics"]

_LOGGER = logging.getLogger(__name__)

_LEMMA_WORD = re.compile(r"[а-я]+(?:-[а-я]+)*")


def _plain(topic: str) -> str:
    """A parent's topic lower-cased, ё read as е, whitespace collapsed."""
    return " ".join(topic.lower().replace("ё", "е").split())


@dataclass(frozen=True, slots=True)
class TopicFilter:
    """Topics a parent blocked, compiled for matching on lemmas (``compile_topics``)."""

    topics: tuple[str, ...]
    """The topics as the parent wrote them, for the log and the report."""
    keys: tuple[tuple[str, ...], ...]
    """Per topic part: lemma stems that must all occur in the text."""
    owners: tuple[str, ...]
    """Per topic part: the topic it came from."""

    def match(self, lemma_words: set[str]) -> str:
        """The blocked topic whose every key starts some lemma of the text, or ``""``."""
        for keys, owner in zip(self.keys, self.owners, strict=True):
            if all(any(word.startswith(key) for word in lemma_words) for key in keys):
                return owner
        return ""


_TOPIC_SPLIT = re.compile(r"\s*(?:,|;|/|\bи\b|\bили\b)\s*")
_TOPIC_STOP = frozenset("про о об на в во с со для без от до из по за к и или не все всё".split())


def _topic_key(word: str) -> str:
    """Stem of a topic word's lemma: ``политика`` → ``политик``, ``покупки`` → ``покупк``.

    Matched as a prefix of the text's lemmas, so ``политик`` also covers the politician
    and ``покупк`` every form of the noun; at least four letters are kept.
    """
    base = lemma(word)
    for cut in (2, 1):
        if len(base) - cut >= 4 and base[-cut:] in _TOPIC_ENDINGS:
            return base[:-cut]
    return base


_TOPIC_ENDINGS = frozenset("ый ий ой ая яя ое ее ые ие ть ти а я о е ы и у ю ь й".split())


@functools.lru_cache(maxsize=32)
def compile_topics(topics: tuple[str, ...]) -> TopicFilter:
    """Compile a persona's ``blocked_topics`` (cached per tuple).

    A topic is split into parts at commas and "и"/"или" ("реклама и покупки" is two
    parts); a part matches when every content word of it appears in the text in any
    form ("религиозные споры" needs both words). Words under three letters and
    prepositions are ignored; a topic with no word left is skipped with a warning.
    """
    keys: list[tuple[str, ...]] = []
    owners: list[str] = []
    for topic in topics:
        parts = [p for p in _TOPIC_SPLIT.split(_plain(topic)) if p]
        found = False
        for part in parts:
            words = [w for w in _LEMMA_WORD.findall(part) if len(w) >= 3 and w not in _TOPIC_STOP]
            words += re.findall(r"[a-z]{3,}", part)
            if words:
                keys.append(tuple(dict.fromkeys(_topic_key(w) for w in words)))
                owners.append(topic)
                found = True
        if not found:
            _LOGGER.warning(
                "blocked topic %r has no word to match; it is only in the prompt", topic
            )
    return TopicFilter(tuple(topics), tuple(keys), tuple(owners))
