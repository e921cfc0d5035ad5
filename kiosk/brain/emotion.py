"""Label a Russian reply with the emotion the avatar shows, from words, emoji and "!".

Transparent on purpose: every cue is listed below and each hit adds one point.

- keywords (regex stems on lower-cased text, ё read as е) and emoji add a point to
  their emotion; a keyword right after "не" does not count ("не грусти");
- two or more "!" add one point per "!" beyond the first to ``excited``;
  "?!" adds a point to ``surprised``;
- the emotion with the most points wins; ties go to the earlier one in
  ``_TIE_ORDER`` (sadness first: missing a sad moment is worse than missing joy);
- no cue at all is ``neutral``.
"""

from __future__ import annotations

import re

__all__ = ["EMOTIONS", "classify_emotion"]

EMOTIONS = ("neutral", "happy", "sad", "surprised", "thinking", "excited", "calm", "concern")
"""Every label the brain emits, and the avatar knows how to show.

``concern`` is Аня worried for the child: her answer to a disclosure (danger,
self-harm, abuse, bullying) that asks the child to tell a trusted adult."""

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "happy": (
        r"ура+",
        r"здоров(?:о|енно|ски)",
        r"отлично",
        r"класс(?:но|ный|ная)?",
        r"рада?",
        r"весел\w*",
        r"весело",
        r"люблю",
        r"нрав\w+",
        r"супер",
        r"замечательн\w*",
        r"прекрасн\w*",
        r"молод(?:ец|чина)",
        r"круто",
        r"смешн\w*",
        r"(?:ха-?){2,}\w*",
        r"хи-хи\w*",
        r"радост\w*",
        r"счаст\w*",
    ),
    "sad": (
        r"жаль",
        r"жалко",
        r"грус\w*",
        r"печал\w*",
        r"плач\w*",
        r"плак\w*",
        r"скуча\w*",
        r"обидн\w*",
        r"сожалени\w*",
        r"расстро\w*",
        r"одинок\w*",
        r"увы",
    ),
    "surprised": (
        r"ого+",
        r"неужели",
        r"вау",
        r"ух ты",
        r"надо же",
        r"удивительн\w*",
        r"удивл\w*",
        r"не может быть",
        r"ничего себе",
        r"вот это да",
    ),
    "thinking": (
        r"х+м+",
        r"интересн\w*",
        r"дума\w*",
        r"подума\w*",
        r"наверное",
        r"пожалуй",
        r"дай-ка",
        r"размышля\w*",
        r"любопытн\w*",
    ),
    "excited": (
        r"скорее",
        r"вперед",
        r"обожаю",
        r"невероятн\w*",
        r"потрясающ\w*",
        r"давай(?:те)? скорее",
        r"не терпится",
    ),
    "concern": (
        r"беспоко\w*",
        r"тревож\w*",
        r"волнуюсь за тебя",
        r"переживаю за тебя",
        r"береги себя",
        r"будь осторожн\w*",
        r"(?:скажи|расскажи) (?:об этом )?(?:маме|папе|взрослому)",
    ),
    "calm": (
        r"спокойн\w*",
        r"тихо",
        r"тихонько",
        r"отдыха\w*",
        r"отдохн\w*",
        r"не волнуйся",
        r"не бойся",
        r"не переживай",
        r"все (?:будет )?хорошо",
        r"засыпа\w*",
        r"расслаб\w*",
        r"сладких снов",
        r"дыши\w*",
    ),
}

_EMOJI: dict[str, str] = {
    "happy": "😊😀😃😄😁🙂😍🥰😆😂☺❤💖💕🌞😺",
    "sad": "😢😭😞😔☹🙁💔😿",
    "surprised": "😮😲😯🤯😱🙀",
    "thinking": "🤔🧐💭",
    "excited": "🎉🤩🚀✨⚡🥳🔥",
    "calm": "🌙😌💤🌿🕊",
    "concern": "😟🥺😥",
}

_TIE_ORDER = ("sad", "concern", "surprised", "excited", "happy", "thinking", "calm")

# Negations cancel the cue that follows them ("не грусти"), except in the calm cues
# that are built from a negation themselves ("не волнуйся").
_PATTERNS: dict[str, re.Pattern[str]] = {
    emotion: re.compile(
        r"(?<!\w)(?P<neg>не\s+)?(?:" + "|".join(words) + r")(?!\w)",
    )
    for emotion, words in _KEYWORDS.items()
}


def _normalise(text: str) -> str:
    return text.lower().replace("ё", "е")


def _keyword_points(text: str, emotion: str) -> int:
    points = 0
    for match in _PATTERNS[emotion].finditer(text):
        phrase = match.group(0)
        if match.group("neg") and not phrase.startswith(("не волн", "не бой", "не пере")):
            continue
        points += 1
    return points


def classify_emotion(text: str) -> str:
    """The emotion label (one of ``EMOTIONS``) that best fits ``text``."""
    norm = _normalise(text)
    scores = {emotion: _keyword_points(norm, emotion) for emotion in _TIE_ORDER}
    for emotion, chars in _EMOJI.items():
        scores[emotion] += sum(norm.count(ch) for ch in chars)
    exclamations = norm.count("!")
    if exclamations >= 2:
        scores["excited"] += exclamations - 1
    scores["surprised"] += norm.count("?!") + norm.count("!?")
    best = max(_TIE_ORDER, key=lambda emotion: (scores[emotion], -_TIE_ORDER.index(emotion)))
    return best if scores[best] > 0 else "neutral"
