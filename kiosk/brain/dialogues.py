"""Dialogue files of the scripted brain, and finding the exchange that fits what was said.

Each ``*.toml`` in ``content/dialogues`` holds one topic::

    topic = "greetings"
    [[exchange]]
    patterns = ["привет", "здравствуй"]
    answers = ["Привет! Я {name}. Как у тебя дела?", "Приветик! 😊"]
    emotion = "happy"

Retrieval: texts are lower-cased, ё read as е, punctuation dropped. A pattern's score
mixes how much of the pattern is in the child's words (weighted by how rare each word
is across all patterns, like TF-IDF) with how much of the child's words the pattern
explains. Words match when equal, when they share a light stem (Russian endings vary:
``рисую``/``рисовать``) or, for longer words, when they are one typo apart (speech
recognition slips). Negation counts: "не"/"ни" joins the next word as ``!word``, which
matches only a negated word ("мне не скучно" does not select "мне скучно").
Measured on ``tests/brain/test_scripted.py``'s labelled set.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz, process

from kiosk.errors import KioskError

__all__ = [
    "FALLBACK_TOPIC",
    "DialogueError",
    "DialogueIndex",
    "Exchange",
    "Match",
    "load_dialogues",
    "mark_negation",
    "stem",
    "tokenize",
]

FALLBACK_TOPIC = "fallback"
"""Exchanges of this topic answer when nothing else matches."""
_FUZZY_CUTOFF = 82.0
_FUZZY_STRENGTH = 0.8
_PATTERN_WEIGHT = 0.65
_MIN_PATTERN_COVERAGE = 0.75
"""Most of a pattern (by word rarity) must be in the child's words for it to count."""


class DialogueError(KioskError):
    """A dialogue file is missing or invalid."""

    exit_code = 2


class _ExchangeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = []
    answers: list[str] = Field(min_length=1)
    emotion: (
        Literal["neutral", "happy", "sad", "surprised", "thinking", "excited", "calm", "concern"]
        | None
    ) = None


class _DialogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=1)
    exchange: list[_ExchangeFile] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Exchange:
    """Patterns the child might say and the answers to pick from."""

    topic: str
    """Topic of the file it came from (``fallback`` answers when nothing matches)."""
    patterns: tuple[str, ...]
    """Phrases that select this exchange."""
    answers: tuple[str, ...]
    """Answer templates with ``{name}``, ``{child_name}``, ``{age}``."""
    emotion: str | None
    """Emotion the author gave the answers, if any."""
    source: str
    """``file.toml#index`` for logs."""


@dataclass(frozen=True, slots=True)
class Match:
    """The exchange retrieved for a text."""

    exchange: Exchange
    """What matched."""
    score: float
    """0..1 similarity."""
    pattern: str
    """The pattern that scored best."""


def tokenize(text: str) -> list[str]:
    """Lower-cased words with ё read as е, punctuation dropped."""
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


_NEGATIONS = frozenset({"не", "ни"})
NEGATED = "!"
"""Prefix of a word that followed "не" or "ни" (``!скучно``)."""


def mark_negation(words: Sequence[str]) -> list[str]:
    """Join each "не"/"ни" to the word after it: ``мне не скучно`` → ``мне !скучно``."""
    marked: list[str] = []
    negate = False
    for word in words:
        if word in _NEGATIONS:
            negate = True
            continue
        marked.append(NEGATED + word if negate else word)
        negate = False
    if negate:  # a trailing "не" ("ну и не") stays a word of its own
        marked.append(words[-1])
    return marked


def load_dialogues(directory: Path) -> list[Exchange]:
    """Every exchange of every ``*.toml`` in ``directory``; raise ``DialogueError`` when invalid."""
    files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    if not files:
        raise DialogueError(
            f"No dialogue files in {directory}",
            "reinstall the kiosk (content/dialogues ships with it) or fix paths",
        )
    exchanges: list[Exchange] = []
    for path in files:
        try:
            with path.open("rb") as f:
                parsed = _DialogueFile(**tomllib.load(f))
        except tomllib.TOMLDecodeError as exc:
            raise DialogueError(
                f"Dialogue {path}: not valid TOML: {exc}", "fix the syntax at that line"
            ) from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise DialogueError(
                f"Dialogue {path}: {problems}",
                'each file needs topic = "…" and [[exchange]] tables with '
                "patterns, answers and an optional emotion",
            ) from exc
        for index, item in enumerate(parsed.exchange):
            if not item.patterns and parsed.topic != FALLBACK_TOPIC:
                raise DialogueError(
                    f"Dialogue {path}: exchange {index + 1} has no patterns",
                    'add patterns = ["…"] (only the fallback topic may omit them)',
                )
            exchanges.append(
                Exchange(
                    topic=parsed.topic,
                    patterns=tuple(item.patterns),
                    answers=tuple(item.answers),
                    emotion=item.emotion,
                    source=f"{path.name}#{index + 1}",
                )
            )
    return exchanges


_ENDINGS = tuple(
    sorted(
        {
            # verbs
            "ировать",
            "овать",
            "евать",
            "ывать",
            "ивать",
            "ать",
            "ять",
            "ить",
            "еть",
            "уть",
            "ешь",
            "ишь",
            "ете",
            "ите",
            "ет",
            "ит",
            "ут",
            "ют",
            "ат",
            "ят",
            "ем",
            "им",
            "ал",
            "ял",
            "ил",
            "ел",
            "ала",
            "яла",
            "ила",
            "ела",
            "али",
            "яли",
            "или",
            "ели",
            "ла",
            "ли",
            "ло",
            # adjectives
            "ого",
            "его",
            "ому",
            "ему",
            "ыми",
            "ими",
            "ая",
            "яя",
            "ое",
            "ее",
            "ые",
            "ие",
            "ый",
            "ий",
            "ой",
            "ую",
            "юю",
            "ых",
            "их",
            "ым",
            # nouns
            "ами",
            "ями",
            "ах",
            "ях",
            "ам",
            "ям",
            "ом",
            "ов",
            "ев",
            "ей",
            "ью",
            "а",
            "я",
            "о",
            "е",
            "ы",
            "и",
            "у",
            "ю",
            "ь",
            "й",
        },
        key=len,
        reverse=True,
    )
)


def stem(word: str) -> str:
    """A light Russian stem: the reflexive ending, then one inflection ending, cut off.

    Crude on purpose (no dictionary ships here): ``рисую``/``рисовать`` → ``рис``,
    ``сказку``/``сказка`` → ``сказк`` while ``сказал`` → ``сказ``.
    """
    for reflexive in ("ся", "сь"):
        if word.endswith(reflexive) and len(word) - 2 >= 4:
            word = word[:-2]
            break
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


class DialogueIndex:
    """Pattern words with their rarity, and the word matching rules (see module doc)."""

    def __init__(self, exchanges: Sequence[Exchange], ignore: frozenset[str]) -> None:
        self.ignore = ignore
        self.entries: list[tuple[Exchange, str, tuple[str, ...]]] = []
        df: dict[str, int] = defaultdict(int)
        for exchange in exchanges:
            seen: set[str] = set()
            for pattern in exchange.patterns:
                tokens = tuple(mark_negation([t for t in tokenize(pattern) if t not in ignore]))
                if tokens:
                    self.entries.append((exchange, pattern, tokens))
                    seen.update(tokens)
            for token in seen:
                df[token] += 1
        n = max(1, len(exchanges))
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        # A word no pattern knows says more about the question than any known word.
        self.unknown_weight = math.log(n + 1) + 1.5
        self.vocab = sorted(self.idf)
        self.by_stem: dict[str, list[str]] = defaultdict(list)
        for token in self.vocab:
            bare = token.removeprefix(NEGATED)
            self.by_stem[token[: len(token) - len(bare)] + stem(bare)].append(token)

    def matches(self, word: str) -> dict[str, float]:
        """Vocabulary words that ``word`` matches, with the strength of each match."""
        found: dict[str, float] = {}
        if word in self.idf:
            found[word] = 1.0
        negated = word.startswith(NEGATED)
        bare = word.removeprefix(NEGATED)
        prefix = NEGATED if negated else ""
        if len(bare) >= 4:
            for candidate in self.by_stem.get(prefix + stem(bare), ()):
                if len(candidate) - len(prefix) >= 4:
                    found.setdefault(candidate, 1.0)
        if len(bare) >= 5:
            for candidate, _score, _ in process.extract(
                word, self.vocab, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
            ):
                # A typo may slip, a missing "не" may not: negation must agree.
                if len(candidate) - len(prefix) >= 5 and candidate.startswith(NEGATED) == negated:
                    found.setdefault(candidate, _FUZZY_STRENGTH)
        return found

    def best(self, text: str) -> Match | None:
        """The best-scoring pattern for ``text``, or None when no word matches anything."""
        words = mark_negation([w for w in tokenize(text) if w not in self.ignore])
        if not words:
            return None
        word_matches = [self.matches(w) for w in words]
        weights = [max((self.idf[v] for v in m), default=self.unknown_weight) for m in word_matches]
        total_weight = sum(weights)
        best: tuple[float, int, int] | None = None
        best_match: Match | None = None
        for order, (exchange, pattern, tokens) in enumerate(self.entries):
            pattern_total = sum(self.idf[t] for t in tokens)
            covered = 0.0
            explained = [False] * len(words)
            for token in tokens:
                strength = 0.0
                for i, m in enumerate(word_matches):
                    s = m.get(token, 0.0)
                    if s:
                        explained[i] = True
                        strength = max(strength, s)
                covered += self.idf[token] * strength
            if covered < _MIN_PATTERN_COVERAGE * pattern_total:
                continue
            query_cov = sum(w for w, e in zip(weights, explained, strict=True) if e) / total_weight
            score = _PATTERN_WEIGHT * covered / pattern_total + (1 - _PATTERN_WEIGHT) * query_cov
            key = (round(score, 6), len(tokens), -order)
            if best is None or key > best:
                best = key
                best_match = Match(exchange=exchange, score=score, pattern=pattern)
        return best_match
