"""Facts about the child, found in what the child says by Russian patterns.

Works without any model: every clause of the child's words is matched against
patterns for the name, age, class, likes and dislikes, pets, friends, family,
hobbies, worries, plans, dreams and allergies. Each hit is an ``ExtractedFact``
with a merge ``key`` (same key: the same fact, so a later statement updates the
old one — "люблю кошек" then "не люблю кошек" share ``pref:кошк``), a category
and an importance (worries and allergies high, favourites low).

The fact text is short Russian in the third person ("Любит кошек", "Есть кошка
Мурка"); ``kiosk.brain.personal`` reads these forms back for the scripted engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kiosk.brain.morph import is_name, key_of, name_nominative

__all__ = ["CATEGORY_PRIORITY", "ExtractedFact", "extract_facts"]

CATEGORY_PRIORITY: dict[str, float] = {
    "health": 1.0,
    "worries": 0.85,
    "name": 0.9,
    "age": 0.7,
    "family": 0.65,
    "pets": 0.65,
    "friends": 0.6,
    "school": 0.6,
    "plans": 0.55,
    "dreams": 0.55,
    "hobbies": 0.5,
    "likes": 0.5,
    "dislikes": 0.45,
    "favourites": 0.4,
}
"""Importance of a new fact per category (0..1); repeated mentions raise it."""


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """One thing learnt about the child from one utterance."""

    key: str
    """Merge key: the same key is the same fact (``name``, ``pref:кошк``, ``pet:кошк``)."""
    category: str
    """One of ``CATEGORY_PRIORITY``."""
    text: str
    """The fact in Russian, third person ("Любит кошек")."""
    priority: float
    """Importance 0..1."""


_NUMBERS = {
    "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
    "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17,
}  # fmt: skip
_ORDINALS = {
    "первом": 1, "втором": 2, "третьем": 3, "четвертом": 4, "пятом": 5, "шестом": 6,
    "седьмом": 7, "восьмом": 8, "девятом": 9, "десятом": 10, "одиннадцатом": 11,
}  # fmt: skip
_PETS = (
    r"кошк[аиуой]|кош(?:ечк|еч)\w*|кот(?:ик|енок|ята)?\w*|собак\w*|собачк\w*|пес|пса|"
    r"щен(?:ок|ка)\w*|хомяк\w*|хомячок|попуга\w*|рыбк\w*|черепах\w*|кролик\w*|"
    r"морск\w+ свинк\w+|шиншилл\w*|крыс\w*|ящериц\w*|улитк\w*"
)
_FAMILY = r"брат\w*|сестр\w*|сестренк\w*|братик\w*|бабушк\w*|дедушк\w*|мам\w*|пап\w*"
_LEAD = r"(?:^|^(?:а|и|ну|вот|еще|кстати|знаешь)\s+)"
_ME = r"(?:(?:я|очень|так|просто|тоже|еще|сильно|больше всего|больше|уже|теперь|совсем)\s+)*"
_CUT = re.compile(
    r"\s+(?:потому что|потому|но|а|когда|если|чтобы|хотя|и поэтому|но не)\s.*$|\s+(?:тоже|очень)$"
)
_NOT_OBJECTS = frozenset(
    "тебя вас тебе его ее их это этого все всех всё так когда его, себя".split()
)


def _clauses(text: str) -> Iterator[tuple[str, str]]:
    """(normalised, original) clauses: split at sentence marks and commas."""
    for part in re.split(r"[.!?;:…\n]+|,\s*(?=(?:а|и|но|ещё|еще|я|мне|меня|у меня)\b)", text):
        original = " ".join(part.split()).strip(" ,—-\"'«»")
        if not original:
            continue
        norm = original.lower().replace("ё", "е")
        norm = re.sub(r"[^\w\s-]", " ", norm)
        yield " ".join(norm.split()), original


def _original_words(original: str, norm_fragment: str) -> str:
    """``norm_fragment`` as the child wrote it (keeps capitals and ё)."""
    words = original.split()
    folded = [re.sub(r"[^\w-]", "", w.lower().replace("ё", "е")) for w in words]
    target = norm_fragment.split()
    for i in range(len(folded) - len(target) + 1):
        if folded[i : i + len(target)] == target:
            return " ".join(re.sub(r"[^\w-]", "", w) for w in words[i : i + len(target)])
    return norm_fragment


def _objects(tail: str) -> list[str]:
    """The things in "кошек и собак, рисовать" (at most 4 words each)."""
    tail = _CUT.sub("", tail)
    items = re.split(r"\s*,\s*|\s+и\s+|\s+или\s+", tail)
    found = []
    for item in items:
        words = item.split()[:4]
        if not words or words[0] in _NOT_OBJECTS or all(w in _NOT_OBJECTS for w in words):
            continue
        found.append(" ".join(words))
    return found[:4]


def _fact(key: str, category: str, text: str, bonus: float = 0.0) -> ExtractedFact:
    priority = min(1.0, CATEGORY_PRIORITY[category] + bonus)
    return ExtractedFact(key, category, text[:1].upper() + text[1:], round(priority, 3))


_Rule = Callable[[re.Match[str], str], list[ExtractedFact]]
_RULES: list[tuple[re.Pattern[str], _Rule]] = []


def _rule(pattern: str) -> Callable[[_Rule], _Rule]:
    def register(func: _Rule) -> _Rule:
        _RULES.append((re.compile(pattern), func))
        return func

    return register


@_rule(r"(?:меня зовут|мое имя|зови меня|называй меня|можешь звать меня)\s+([а-я-]+)")
def _name(m: re.Match[str], original: str) -> list[ExtractedFact]:
    word = _original_words(original, m.group(1))
    if not is_name(word) and not word[:1].isupper():
        return []
    return [_fact("name", "name", f"Зовут {name_nominative(word)}")]


@_rule(r"мне\s+(\d{1,2}|[а-я]+)\s+(?:лет|год|года)\b")
def _age(m: re.Match[str], original: str) -> list[ExtractedFact]:
    raw = m.group(1)
    age = int(raw) if raw.isdigit() else _NUMBERS.get(raw, 0)
    if not 4 <= age <= 18:
        return []
    years = "лет" if age >= 5 else "года"
    return [_fact("age", "age", f"{age} {years}")]


@_rule(r"(?:учусь|хожу)\s+в\s+(\d{1,2}|[а-я]+)(?:\s*-?\s*(?:м|ом))?\s+класс")
def _grade(m: re.Match[str], original: str) -> list[ExtractedFact]:
    raw = m.group(1)
    grade = int(raw) if raw.isdigit() else _ORDINALS.get(raw, 0)
    if not 1 <= grade <= 11:
        return []
    return [_fact("grade", "school", f"Учится в {grade} классе")]


@_rule(_LEAD + _ME + r"(не люблю|ненавижу|терпеть не могу|не нравится|не нравятся)\s+(.+)")
def _dislike(m: re.Match[str], original: str) -> list[ExtractedFact]:
    verb = "Не любит" if m.group(1) in ("не люблю", "ненавижу", "терпеть не могу") else m.group(1)
    return [
        _fact(f"pref:{key_of(obj)}", "dislikes", f"{verb} {_original_words(original, obj)}")
        for obj in _objects(m.group(2))
    ]


@_rule(_LEAD + r"(?:мне\s+)?" + _ME + r"(люблю|обожаю|нравится|нравятся)\s+(.+)")
def _like(m: re.Match[str], original: str) -> list[ExtractedFact]:
    if re.search(r"\bне\s+(?:люблю|нравит|нравят)", m.group(0)):
        return []
    verb = "Любит" if m.group(1) in ("люблю", "обожаю") else m.group(1)
    bonus = 0.05 if m.group(1) == "обожаю" else 0.0
    return [
        _fact(f"pref:{key_of(obj)}", "likes", f"{verb} {_original_words(original, obj)}", bonus)
        for obj in _objects(m.group(2))
    ]


@_rule(r"(?:мой|моя|мое|мои)\s+любим\w+\s+([а-я]+)\s*(?:это|-)?\s+(.+)")
def _favourite(m: re.Match[str], original: str) -> list[ExtractedFact]:
    objects = _objects(m.group(2))
    if not objects:
        return []
    value = _original_words(original, objects[0])
    return [_fact(f"fav:{key_of(m.group(1))}", "favourites", f"Любимый {m.group(1)} — {value}")]


@_rule(
    r"у меня (?:есть\s+)?(?:(\w+)\s+)?("
    + _PETS
    + r")(?:\s+(?:по имени|зовут|его зовут|ее зовут))?(?:\s+([а-я-]+))?"
)  # noqa: E501
def _pet(m: re.Match[str], original: str) -> list[ExtractedFact]:
    kind = _original_words(original, m.group(2))
    name = _original_words(original, m.group(3)) if m.group(3) else ""
    text = f"Есть {kind}" + (f" {name_nominative(name)}" if name and is_name(name) else "")
    return [_fact(f"pet:{key_of(m.group(2))}", "pets", text)]


@_rule(r"(?:мою|моего|моих)\s+(" + _PETS + r")\s+зовут\s+([а-я-]+)")
def _pet_name(m: re.Match[str], original: str) -> list[ExtractedFact]:
    kind = key_of(m.group(1))
    name = name_nominative(_original_words(original, m.group(2)))
    from kiosk.brain.morph import lemma

    return [_fact(f"pet:{kind}", "pets", f"Есть {lemma(m.group(1))} {name}")]


@_rule(r"(?:мой|моя)\s+(?:лучш\w+\s+)?(друг|подруга|подружка)\s+(?:это\s+)?([а-я-]+)")
def _friend(m: re.Match[str], original: str) -> list[ExtractedFact]:
    word = _original_words(original, m.group(2))
    if not is_name(word):
        return []
    name = name_nominative(word)
    who = "друг" if m.group(1) == "друг" else "подруга"
    if "лучш" in m.group(0):
        who = "лучший друг" if who == "друг" else "лучшая подруга"
    return [_fact(f"friend:{name.lower()}", "friends", f"{who} — {name}")]


@_rule(r"(?:я\s+)?дружу\s+с\s+([а-я-]+)(?:\s+и\s+([а-я-]+))?")
def _friend_with(m: re.Match[str], original: str) -> list[ExtractedFact]:
    facts = []
    for group in (m.group(1), m.group(2)):
        if group:
            word = _original_words(original, group)
            if is_name(word):
                name = name_nominative(word)
                facts.append(_fact(f"friend:{name.lower()}", "friends", f"Дружит с: {name}"))
    return facts


@_rule(r"у меня (?:есть\s+)?(?:(младш\w+|старш\w+)\s+)?(" + _FAMILY + r")(?:\s+([а-я-]+))?")
def _family(m: re.Match[str], original: str) -> list[ExtractedFact]:
    relative = _original_words(original, " ".join(g for g in m.group(1, 2) if g))
    name = _original_words(original, m.group(3)) if m.group(3) else ""
    text = f"Есть {relative}" + (f" {name_nominative(name)}" if name and is_name(name) else "")
    return [_fact(f"family:{key_of(m.group(2))}", "family", text)]


@_rule(r"(?:я\s+)?(хожу на|хожу в|занимаюсь)\s+(.+)")
def _hobby(m: re.Match[str], original: str) -> list[ExtractedFact]:
    if re.search(r"класс|школ|туалет|магазин", m.group(2)):
        return []
    verb = {"хожу на": "Ходит на", "хожу в": "Ходит в"}.get(m.group(1), "Занимается")
    return [
        _fact(f"hobby:{key_of(obj)}", "hobbies", f"{verb} {_original_words(original, obj)}")
        for obj in _objects(m.group(2))[:2]
    ]


@_rule(_LEAD + _ME + r"(боюсь|переживаю|волнуюсь|беспокоюсь)\s+(?:из-за\s+|за\s+|что\s+|о\s+)?(.+)")
def _worry(m: re.Match[str], original: str) -> list[ExtractedFact]:
    verb = {"боюсь": "Боится", "переживаю": "Переживает"}.get(m.group(1), "Волнуется")
    tail = " ".join(_CUT.sub("", m.group(2)).split()[:6])
    if not tail:
        return []
    return [_fact(f"worry:{key_of(tail)}", "worries", f"{verb}: {_original_words(original, tail)}")]


@_rule(r"меня\s+(?:\w+\s+){0,3}(обижают|дразнят|бьют|травят|обзывают)")
def _bullied(m: re.Match[str], original: str) -> list[ExtractedFact]:
    return [_fact("worry:bullying", "worries", f"Говорит, что его/её {m.group(1)}", 0.1)]


@_rule(r"у меня аллерги\w*\s+на\s+(.+)")
def _allergy(m: re.Match[str], original: str) -> list[ExtractedFact]:
    return [
        _fact(f"allergy:{key_of(obj)}", "health", f"Аллергия на {_original_words(original, obj)}")
        for obj in _objects(m.group(1))
    ]


@_rule(r"(?:я\s+)?хочу\s+стать\s+(.+)|когда вырасту\s+(?:я\s+)?(?:стану|буду)\s+(.+)")
def _dream(m: re.Match[str], original: str) -> list[ExtractedFact]:
    objects = _objects(m.group(1) or m.group(2) or "")
    if not objects:
        return []
    return [_fact("dream", "dreams", f"Мечтает стать: {_original_words(original, objects[0])}")]


_WHEN = r"(завтра|послезавтра|скоро|летом|зимой|весной|осенью|в выходные|на выходных|на каникулах|в субботу|в воскресенье|вечером)"  # noqa: E501


@_rule(_WHEN + r"\s+(?:я|мы)\s+((?:пойд|поед|полет|буд|ид|ед|поплыв)\w*)\s+(.+)")
def _plan(m: re.Match[str], original: str) -> list[ExtractedFact]:
    what = " ".join(_CUT.sub("", m.group(3)).split()[:5])
    text = f"Планы ({m.group(1)}): {_original_words(original, m.group(2) + ' ' + what)}"
    return [_fact(f"plan:{key_of(what)}", "plans", text)]


@_rule(r"(?:у меня\s+)?(?:скоро|завтра|сегодня)\s+(?:у меня\s+)?(?:мой\s+)?день рождения")
def _birthday(m: re.Match[str], original: str) -> list[ExtractedFact]:
    when = "Сегодня" if "сегодня" in m.group(0) else "Завтра" if "завтра" in m.group(0) else "Скоро"
    return [_fact("birthday", "plans", f"{when} день рождения", 0.2)]


def extract_facts(text: str) -> list[ExtractedFact]:
    """Every fact the patterns find in ``text`` (one per key; later clauses win)."""
    found: dict[str, ExtractedFact] = {}
    for norm, original in _clauses(text):
        if norm.startswith(("ты ", "а ты ", "вы ")):
            continue  # a question about Аня, not about the child
        for pattern, rule in _RULES:
            match = pattern.search(norm)
            if match is None:
                continue
            for fact in rule(match, original):
                found[fact.key] = fact
    return list(found.values())
