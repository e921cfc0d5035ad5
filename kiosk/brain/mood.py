"""The child's mood, estimated from what the child said (Russian keywords).

Labels (``MOODS``): ``sad``, ``angry``, ``scared``, ``tired``, ``bored``,
``happy``, ``neutral``. Negative moods outrank positive ones on a tie (missing a
sad child is worse than missing a happy one); "не грустно" cancels the cue.
The brain answers a negative mood with empathy first (``EMPATHY``) and tells the
LLM about it; the avatar shows ``REPLY_EMOTION[mood]`` on that reply.
"""

from __future__ import annotations

import re

__all__ = [
    "EMPATHY",
    "MOODS",
    "NEGATIVE_MOODS",
    "REPLY_EMOTION",
    "detect_mood",
    "empathy_reply",
    "mood_hint",
]

MOODS = ("sad", "angry", "scared", "tired", "bored", "happy", "neutral")
"""Every mood label, most urgent first."""

NEGATIVE_MOODS = frozenset({"sad", "angry", "scared", "tired", "bored"})
"""Moods that call for empathy before anything else."""

_CUES: dict[str, tuple[str, ...]] = {
    "sad": (
        r"грустн\w*", r"грущу", r"груст\w*", r"печальн\w*", r"плач\w*", r"плакал\w*",
        r"расстроен\w*", r"расстроил\w*", r"обидн\w*", r"обидел\w*", r"одиноко",
        r"одинок\w*", r"скучаю", r"плохое настроение", r"мне плохо", r"тоскливо",
        r"никто со мной не дружит", r"никто меня не любит", r"поссорил\w*",
        r"умер\w*", r"умерл\w*", r"двойк\w*",
    ),
    "angry": (
        r"злюсь", r"злой", r"злая", r"зла", r"бесит", r"бесят", r"раздражает",
        r"достал\w*", r"надоел\w*", r"обидели", r"несправедлив\w*", r"ненавижу",
    ),
    "scared": (
        r"страшно", r"боюсь", r"испугал\w*", r"напуган\w*", r"жутко", r"тревожно",
        r"волнуюсь", r"переживаю", r"кошмар\w*",
    ),
    "tired": (r"устал\w*", r"хочу спать", r"сонн\w*", r"нет сил"),
    "bored": (r"скучно", r"нечего делать", r"скукота"),
    "happy": (
        r"ура+", r"рад", r"рада", r"весело", r"здорово", r"классно", r"круто",
        r"счастлив\w*", r"отлично", r"супер", r"пятерк\w*", r"получилось", r"победил\w*",
        r"хорошее настроение",
    ),
}  # fmt: skip

_PATTERNS = {
    mood: re.compile(r"(?<!\w)(?P<neg>не\s+)?(?:" + "|".join(cues) + r")(?!\w)")
    for mood, cues in _CUES.items()
}

EMPATHY: dict[str, str] = {
    "sad": "Мне очень жаль, что тебе грустно. Я рядом и слушаю тебя.",
    "angry": "Понимаю, когда злишься, это очень неприятно. Давай вместе глубоко вдохнём.",
    "scared": "Бояться — это нормально, так бывает со всеми. Я с тобой.",
    "tired": "Похоже, сил сегодня совсем мало. Отдых — это очень важно.",
    "bored": "Скучно? Это мы сейчас исправим!",
}
"""The first sentence of a reply to a child in a negative mood."""

_FOLLOW_UP: dict[str, str] = {
    "sad": "Хочешь рассказать, что случилось?",
    "angry": "Расскажешь, что тебя так рассердило?",
    "scared": "Если очень страшно, обязательно скажи об этом маме или папе. Что тебя пугает?",
    "tired": "Может, немножко отдохнёшь? А я потом расскажу тебе что-нибудь интересное.",
    "bored": "Хочешь загадку или интересный факт про космос?",
}

REPLY_EMOTION: dict[str, str] = {
    "sad": "sad",
    "angry": "calm",
    "scared": "calm",
    "tired": "calm",
    "bored": "excited",
    "happy": "happy",
    "neutral": "neutral",
}
"""The avatar's emotion for a reply that answers a child's mood."""

_HINTS: dict[str, str] = {
    "sad": "Ребёнку сейчас грустно: сначала посочувствуй, говори мягко и тепло.",
    "angry": "Ребёнок злится: спокойно посочувствуй, не спорь и не отчитывай.",
    "scared": "Ребёнку страшно: успокой его и предложи рассказать взрослому.",
    "tired": "Ребёнок устал: отвечай совсем коротко и спокойно.",
    "bored": "Ребёнку скучно: предложи весёлую игру, загадку или интересный факт.",
    "happy": "Ребёнок в хорошем настроении: порадуйся вместе с ним.",
}


def detect_mood(text: str) -> str:
    """The child's mood (one of ``MOODS``) in ``text``."""
    norm = text.lower().replace("ё", "е")
    scores: dict[str, int] = {}
    for mood, pattern in _PATTERNS.items():
        scores[mood] = sum(1 for m in pattern.finditer(norm) if not m.group("neg"))
    # "не весело" / "не рада" read as sad.
    negated_happy = sum(1 for m in _PATTERNS["happy"].finditer(norm) if m.group("neg"))
    scores["sad"] += negated_happy
    best = max(MOODS[:-1], key=lambda mood: (scores[mood], -MOODS.index(mood)))
    return best if scores[best] > 0 else "neutral"


def empathy_reply(mood: str) -> str:
    """A whole empathetic answer for ``mood`` (empty for a mood that needs none)."""
    if mood not in EMPATHY:
        return ""
    return f"{EMPATHY[mood]} {_FOLLOW_UP[mood]}"


def mood_hint(mood: str) -> str:
    """One line for the LLM about how the child feels (empty for neutral)."""
    return _HINTS.get(mood, "")
