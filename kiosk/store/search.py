"""Turn what a parent types into a safe FTS5 query that tolerates Russian word endings.

No FTS syntax from the input survives: every word becomes a quoted prefix term, so
quotes, ``NOT``, ``*``, ``:`` or brackets can never break the query. Each word is
matched by its rough stem (inflection endings cut off), so "кошек" finds "кошки" and
"кошкам" finds "кошек".
"""

from __future__ import annotations

import re

__all__ = ["fold_text", "fts_query", "word_stems"]

_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 16
_MIN_STEM = 3
_VOWELS = set("аеёиоуыэюяaeiouy")

# Common Russian noun/adjective/verb endings, longest first. Cutting them is crude
# (no dictionary) but only widens a prefix search, which is what a parent wants.
_ENDINGS = sorted(
    {
        "иями", "ями", "ами", "иях", "ией", "ием", "ого", "его", "ому", "ему",
        "ыми", "ими", "ешь", "ишь", "ете", "ите", "ых", "их", "ая", "яя", "ое",
        "ее", "ые", "ие", "ый", "ий", "ой", "ей", "ом", "ем", "ам", "ям", "ах",
        "ях", "ов", "ев", "ию", "ью", "ую", "юю", "ия", "ья", "ье", "ть", "ла",
        "ли", "ло", "ет", "ут", "ют", "ит", "ат", "ят", "а", "я", "о", "е", "ы",
        "и", "у", "ю", "ь", "й",
    },
    key=len,
    reverse=True,
)  # fmt: skip


def fold_text(text: str) -> str:
    """Lower-case ``text`` and fold "ё" to "е" (as the index does)."""
    return text.lower().replace("ё", "е")


def word_stems(word: str) -> list[str]:
    """Prefixes that should match forms of ``word`` (first is the most specific).

    A stem ending in two consonants also yields the stem without its last letter,
    for the fleeting vowel of Russian genitive plurals (кошка → кошек, девочка →
    девочек); a stem that has one (…ек, …ок) also yields the form without it.
    """
    word = fold_text(word)
    stems = [word]
    stem = word
    for ending in _ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= _MIN_STEM:
            stem = stem[: -len(ending)]
            break
    stems.append(stem)
    if len(stem) > _MIN_STEM and stem[-1] not in _VOWELS and stem[-2] not in _VOWELS:
        stems.append(stem[:-1])
    if (
        len(stem) > _MIN_STEM + 1
        and stem[-1] not in _VOWELS
        and stem[-2] in "ео"
        and stem[-3] not in _VOWELS
    ):
        stems.append(stem[:-2] + stem[-1])
    return list(dict.fromkeys(s for s in stems if s))


def fts_query(text: str) -> str | None:
    """An FTS5 ``MATCH`` expression for ``text``, or ``None`` when it has no words.

    Every word must match (AND); a word matches any of its stems as a prefix.
    """
    words = _WORD.findall(text.replace("_", " "))[:_MAX_WORDS]
    clauses = []
    for word in words:
        terms = " OR ".join(f'"{stem}"*' for stem in word_stems(word))
        clauses.append(f"({terms})")
    return " AND ".join(clauses) if clauses else None
