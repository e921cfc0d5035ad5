"""Latin words → Cyrillic, so a Russian voice says "YouTube" as a Russian child does.

Names a 12-year-old uses come from a small table read the Russian way ("ютуб",
"майнкрафт"); short all-capital words are read as English letter names ("TV" →
"ти ви"); any other Latin word is transliterated letter by letter (cyrtranslit's
Russian table), which is how Russians read an unknown Latin word aloud. Without
this espeak-ng switches to its English voice mid-sentence and the other engines,
trained on Cyrillic only, spell or drop the word.
"""

from __future__ import annotations

import re

import cyrtranslit

__all__ = ["LATIN_WORD", "READINGS", "latin_to_cyrillic"]

READINGS: dict[str, str] = {
    "youtube": "ютуб",
    "minecraft": "майнкрафт",
    "roblox": "роблокс",
    "tiktok": "тикток",
    "fortnite": "фортнайт",
    "brawl": "бравл",
    "among": "эмонг",
    "us": "ас",
    "google": "гугл",
    "python": "пайтон",
    "scratch": "скретч",
    "iphone": "айфон",
    "ipad": "айпад",
    "xbox": "иксбокс",
    "playstation": "плейстейшн",
    "nintendo": "нинтендо",
    "switch": "свитч",
    "pokemon": "покемон",
    "pikachu": "пикачу",
    "lego": "лего",
    "barbie": "барби",
    "disney": "дисней",
    "netflix": "нетфликс",
    "telegram": "телеграм",
    "whatsapp": "вотсап",
    "discord": "дискорд",
    "likee": "лайки",
    "wi-fi": "вай-фай",
    "wifi": "вайфай",
    "ok": "окей",
    "okay": "окей",
    "chatgpt": "чат джи пи ти",
    "hello": "хэллоу",
    "hi": "хай",
    "bye": "бай",
    "wow": "вау",
    "cool": "кул",
}
"""Lower-case word → how a Russian child says it (checked before anything else)."""

_LETTER_NAMES = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            "эй би си ди и эф джи эйч ай джей кей эл эм эн оу пи кью ар эс ти ю ви дабл-ю "
            "икс уай зед"
        ).split(),
        strict=True,
    )
)
"""English letter names, for abbreviations ("PC" → "пи си")."""

_ACRONYM_MAX = 3
"""All-capital words up to this many letters are read letter by letter, as is a lone letter."""

LATIN_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
"""A run of Latin letters, with inner hyphens or apostrophes ("wi-fi", "don't")."""


def _transliterate(word: str) -> str:
    # cyrtranslit keeps "x", reads a capital "Ch" as "Chа" and an apostrophe as "ь".
    plain = word.lower().replace("x", "кс").replace("'", "").replace("’", "")
    return str(cyrtranslit.to_cyrillic(plain, "ru"))


def _reading(match: re.Match[str]) -> str:
    word, text = match[0], match.string
    # Glued to Cyrillic letters it is a look-alike letter ("мaма"), never a name or abbreviation.
    glued = text[match.start() - 1 : match.start()].isalpha() or text[match.end() :][:1].isalpha()
    known = None if glued else READINGS.get(word.lower())
    spelled = word.isupper() and len(word) <= _ACRONYM_MAX or len(word) == 1
    if known is None and not glued and spelled:
        spoken = " ".join(_LETTER_NAMES[ch] for ch in word.upper())
    else:
        spoken = known if known is not None else _transliterate(word)
    return spoken[:1].upper() + spoken[1:] if word[:1].isupper() else spoken


def latin_to_cyrillic(text: str) -> str:
    """``text`` with every Latin word written in Cyrillic as it should be said."""
    return LATIN_WORD.sub(_reading, text)
