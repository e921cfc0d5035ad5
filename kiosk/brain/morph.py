"""Russian word forms for memory: lemmas, names, merge keys.

Uses pymorphy3 (with its Russian dictionaries) when installed; without it a crude
ending-cutter keeps everything working, only less exactly ("кошек" and "кошки" still
share the key ``кошк``).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

__all__ = [
    "content_keys",
    "is_name",
    "key_of",
    "lemma",
    "morphology_available",
    "name_nominative",
]

_LOGGER = logging.getLogger(__name__)

_VOWELS = set("аеиоуыэюя")
_ENDINGS = sorted(
    {
        "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ов", "ев", "ей",
        "ой", "ом", "ем", "ам", "ям", "ах", "ях", "ую", "юю", "ая", "яя", "ое",
        "ее", "ые", "ие", "ый", "ий", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й",
    },
    key=len,
    reverse=True,
)  # fmt: skip
# Words that are never the thing a fact is about.
_STOP = frozenset(
    "я ты мы вы он она оно они меня тебя его ее их нас вас это этот эта эти то тот "
    "все всех всё очень так тоже еще ещё и а но или да нет не ну вот же бы ли как "
    "когда потому что чтобы мой моя мое мои твой свой свою своего свои с со в во на "
    "по за к ко у о об от до из для про много мало сильно больше меньше самый самая "
    "туда сюда там тут здесь".split()
)


@functools.cache
def _analyzer() -> Any:
    try:
        import pymorphy3
    except ImportError:
        _LOGGER.info("pymorphy3 is not installed; memory uses simple word endings")
        return None
    try:
        return pymorphy3.MorphAnalyzer(lang="ru")
    except Exception as exc:  # missing dictionaries: fall back, never fail a turn
        _LOGGER.warning("pymorphy3 cannot load its dictionaries (%s); using simple endings", exc)
        return None


def morphology_available() -> bool:
    """Whether pymorphy3 and its Russian dictionaries are usable."""
    return _analyzer() is not None


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е").strip("-")


def _crude_stem(word: str, fleeting: bool = True) -> str:
    stem = word
    for ending in _ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= 3:
            stem = stem[: -len(ending)]
            break
    # Fleeting vowel of genitive plurals: кошек → кошк, собачек → собачк.
    if fleeting and len(stem) >= 5 and stem[-2] in "ео" and stem[-1] not in _VOWELS:
        if stem[-3] not in _VOWELS:
            stem = stem[:-2] + stem[-1]
    return stem


# Parses that are almost never what a child means by a lower-case word: abbreviations
# ("мид"), initials, and place names that tie with a common word — pymorphy3 reads
# "режу" as the dative of a toponym "Реж" as often as the verb "резать".
_RARE_READINGS = frozenset({"Abbr", "Init", "Geox"})


@functools.lru_cache(maxsize=4096)
def lemma(word: str) -> str:
    """The dictionary form of ``word`` (lower-case, ё as е); a rough stem without pymorphy3.

    The most probable parse that is not an abbreviation, initial or place name wins;
    words that are only those ("москве", "мид") keep their first parse.
    """
    folded = _fold(word)
    morph = _analyzer()
    if morph is None or not re.fullmatch(r"[а-я-]+", folded):
        return _crude_stem(folded) if re.fullmatch(r"[а-я-]+", folded) else folded
    parses = morph.parse(folded)
    best = next((p for p in parses if not _RARE_READINGS & p.tag.grammemes), parses[0])
    return str(best.normal_form).replace("ё", "е")


def key_of(text: str) -> str:
    """A merge key for the thing ``text`` names: the lemma of its first content word.

    Noun lemmas are preferred ("моих кошек" → ``кошка``); crude stems are used
    without pymorphy3 (``кошк``). Both sides of a comparison must use this function.
    """
    words = [w for w in re.findall(r"[а-яёa-z-]+", text.lower()) if _fold(w) not in _STOP]
    if not words:
        return _fold(text)[:24]
    morph = _analyzer()
    if morph is not None:
        for word in words:
            parse = morph.parse(_fold(word))[0]
            if parse.tag.POS == "NOUN":
                return _crude_stem(str(parse.normal_form).replace("ё", "е"), fleeting=False)
    if morph is None:
        return _crude_stem(_fold(words[0]))
    return _crude_stem(lemma(words[0]), fleeting=False)


# Words every fact and question shares; they make nothing relevant.
_GENERIC = frozenset(
    "любить нравиться зовут звать помнить знать говорить сказать рассказать хотеть "
    "мочь иметь быть есть расскажи расскажешь скажи давай ребенок".split()
)
_CONTENT_POS = frozenset({"NOUN", "ADJF", "ADJS", "INFN", "NUMR", None})


def content_keys(text: str) -> set[str]:
    """Merge keys of the content words of ``text`` (nouns, adjectives, infinitives).

    Finite verbs ("люблю", "помнишь"), pronouns and words every fact shares are left
    out, so "кого я люблю? кошек" relates to "Любит кошек" through "кошек" only.
    """
    keys = set()
    morph = _analyzer()
    for word in re.findall(r"[а-яёa-z-]{3,}", text.lower()):
        folded = _fold(word)
        if folded in _STOP:
            continue
        if morph is not None:
            parse = morph.parse(folded)[0]
            base = str(parse.normal_form).replace("ё", "е")
            if base in _GENERIC or base in _STOP or parse.tag.POS not in _CONTENT_POS:
                continue
            keys.add(_crude_stem(base, fleeting=False))
        else:
            stem = _crude_stem(folded)
            if not any(stem.startswith(g[:3]) for g in _GENERIC):
                keys.add(stem)
    return keys


@functools.lru_cache(maxsize=1024)
def word_forms(word: str) -> frozenset[str]:
    """Every form of the likely lemmas of ``word`` (lower-case, ё as е).

    Without pymorphy3: the word itself.
    """
    folded = word.lower().replace("ё", "е")
    morph = _analyzer()
    if morph is None:
        return frozenset({folded})
    parses = morph.parse(folded)
    best = max((p.score for p in parses), default=0.0)
    forms = {folded}
    for parse in parses:
        # "Жучку" is жучка or жучок, equally likely: both; "стали" as сталь (1%): no.
        if parse.score >= best / 4:
            forms.update(str(f.word).replace("ё", "е") for f in parse.lexeme)
    return frozenset(forms)


@functools.lru_cache(maxsize=1024)
def goes_with_ya(word: str) -> bool:
    """Whether ``word`` is a verb form that goes with «я» (False without pymorphy3).

    First person singular ("знаю", "хочу") or a singular past ("видела").
    """
    morph = _analyzer()
    if morph is None:
        return False
    for parse in morph.parse(_fold(word))[:2]:
        tag = parse.tag
        if (
            tag.POS == "VERB"
            and tag.number == "sing"
            and (tag.person == "1per" or tag.tense == "past")
        ):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def is_name(word: str) -> bool:
    """Whether ``word`` looks like a person's or pet's name (dictionary tag, else capital)."""
    if not re.fullmatch(r"[А-Яа-яЁё-]{2,20}", word) or _fold(word) in _STOP:
        return False
    morph = _analyzer()
    if morph is not None:
        if any("Name" in p.tag for p in morph.parse(_fold(word))[:3]):
            return True
    return word[:1].isupper()


def name_nominative(word: str) -> str:
    """``word`` as a name in the nominative, capitalised ("Петей" → "Петя")."""
    folded = _fold(word)
    morph = _analyzer()
    if morph is not None:
        for parse in morph.parse(folded)[:3]:
            if "Name" in parse.tag:
                folded = str(parse.normal_form)
                break
    return folded[:1].upper() + folded[1:]
