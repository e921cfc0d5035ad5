"""Case and gender of a spoken number from the noun it counts ("2 кошки" → "две кошки").

Russian numerals agree with their noun: one and two take the noun's gender
("одна девочка", "две кошки", "два окна"), and the numeral takes the noun's case
after prepositions ("с 5 друзьями" → "с пятью друзьями", "к 3 друзьям" → "к трём").
pymorphy3 reads the noun's gender and case; without it (or without a noun right
after the number) the caller keeps its nominative masculine default.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Agreement", "agreement_after", "morphology_ready"]

_LOGGER = logging.getLogger(__name__)

_NEXT_WORDS = re.compile(r"[\s\u00a0]+([А-Яа-яЁё]+)(?:[\s\u00a0]+([А-Яа-яЁё]+))?")
_CASES = {
    "nomn": "n", "gent": "g", "gen2": "g", "datv": "d", "accs": "a",
    "ablt": "i", "loct": "p", "loc2": "p",
}  # fmt: skip
_GENDERS = {"masc": "m", "femn": "f", "neut": "n", "ms-f": "m"}
_OBLIQUE = ("i", "d", "p")
_ADJECTIVE_POS = frozenset({"ADJF", "PRTF", "NUMR"})


@dataclass(frozen=True, slots=True)
class Agreement:
    """How to say a number so it agrees with its noun."""

    case: str
    """num2words case code: n, g, d, a, i, p."""
    gender: str
    """num2words gender code: m, f, n."""
    ordinal: bool = False
    """Read as an ordinal ("во 2 классе" → "во втором классе")."""


@functools.cache
def _analyzer() -> Any:
    try:
        import pymorphy3
    except ImportError:
        _LOGGER.info("pymorphy3 is not installed; numbers are read in the masculine nominative")
        return None
    try:
        return pymorphy3.MorphAnalyzer(lang="ru")
    except Exception as exc:  # missing dictionaries: keep speaking, only less exactly
        _LOGGER.warning("pymorphy3 cannot load its dictionaries (%s); numbers stay masculine", exc)
        return None


def morphology_ready() -> bool:
    """Whether pymorphy3 and its Russian dictionaries are usable for agreement."""
    return _analyzer() is not None


def _plural_index(n: int) -> int:
    """0: one (21, 101…), 1: two to four (22…), 2: five and more (11–14 too)."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def _noun_parses(morph: Any, first: str, second: str | None) -> list[Any]:
    """Noun readings of the counted word: ``first``, or ``second`` after an adjective."""
    first_parses = morph.parse(first.lower())
    if second is not None and any(p.tag.POS in _ADJECTIVE_POS for p in first_parses[:4]):
        second_parses = morph.parse(second.lower())
        if second_parses and second_parses[0].tag.POS == "NOUN":
            return [p for p in second_parses if p.tag.POS == "NOUN"]
    if first_parses and first_parses[0].tag.POS == "NOUN":
        return [p for p in first_parses if p.tag.POS == "NOUN"]
    return []


def _choose_case(index: int, forms: list[tuple[str, str]], preposition_case: str) -> str:
    """Case of the numeral from the noun's possible (number, case) forms."""
    singular = [case for number, case in forms if number == "sing"]
    plural = [case for number, case in forms if number == "plur"]
    if index == 0:  # "одна кошка", "одну кошку", "с одной кошкой": the noun is singular
        if preposition_case in singular:
            return preposition_case
        if "n" in singular:
            return "n"
        return singular[0] if singular else preposition_case
    if preposition_case != "n" and preposition_case in plural:
        return preposition_case
    for case in plural:
        if case in _OBLIQUE:  # "с пятью друзьями", "к трём друзьям", "о двух кошках"
            return case
    if index == 1 and "g" not in singular and "g" in plural:
        return "g"  # "двух кошек": genitive or animate accusative, the same words
    return preposition_case


def agreement_after(text: str, end: int, number: int, preposition_case: str) -> Agreement | None:
    """Case and gender for ``number`` (ending at ``end`` in ``text``) from the noun after it.

    ``preposition_case`` is what the word before the number asks for ("n" when
    nothing). None when pymorphy3 is missing or no noun follows the number.
    """
    match = _NEXT_WORDS.match(text, end)
    morph = _analyzer()
    if match is None or morph is None:
        return None
    parses = _noun_parses(morph, match[1], match[2])
    if not parses:
        return None
    gender = next((_GENDERS[p.tag.gender] for p in parses if p.tag.gender in _GENDERS), "m")
    forms = [
        (str(p.tag.number), _CASES[p.tag.case])
        for p in parses
        if p.tag.case in _CASES and p.tag.number in ("sing", "plur")
    ]
    index = _plural_index(number)
    if index == 0 and gender == "m" and preposition_case == "n" and "anim" in parses[0].tag:
        # "вижу одного друга": the animate masculine accusative is the genitive form.
        if ("sing", "a") in forms and ("sing", "n") not in forms:
            return Agreement("g", gender)
    if (
        index > 0
        and forms
        and all(number_ == "sing" and case in _OBLIQUE for number_, case in forms)
    ):
        # "во 2 классе": only an ordinal fits a singular noun in an oblique case.
        return Agreement(forms[0][1], gender, ordinal=True)
    return Agreement(_choose_case(index, forms, preposition_case), gender)
