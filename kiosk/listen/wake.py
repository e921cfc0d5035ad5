"""The skeleton's wake word: the phrase "Аня" spotted at the start of a transcript.

This is keyword spotting on text, not on sound. While the kiosk sleeps, every
utterance the endpointer cuts is transcribed and its first words are compared
with the wake phrases. It needs no extra model and shares whisper's robustness,
but it costs a full STT run for every burst of voice in the room (TV, siblings),
so the CPU/GPU is busy while "sleeping", and it only answers after the whole
utterance has ended. The Hearing issue measures this detector (false wakes per
hour, missed wakes) and replaces or fronts it with an acoustic one (an
openWakeWord head trained on synthesised "Аня" samples).

Matching rules, decided once so that tests can pin them:

- text is lower-cased, ``ё`` becomes ``е``, punctuation is dropped;
- the phrase must open the transcript ("Аня, привет" wakes, "Привет, Аня" wakes
  only through the phrase "привет аня");
- every word must start with the same letter as the phrase's word: other names
  that rhyme with Аня (Ваня, Таня, Саня, Маня, баня) never wake it;
- a word matches when it is close (rapidfuzz ratio) or differs only in its last
  letter, or lacks it (case endings and the vocative: Ань, Аню, Ане, Ан);
- other forms of the name (Анечка, Анюта, Анна) do not wake it: list them in
  ``listen.wake_phrases`` if the child uses them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from kiosk.events import SpeechEnded, WakeDetected

if TYPE_CHECKING:
    from kiosk.config import ListenSettings

__all__ = ["TranscriptWakeDetector", "WakeMatch", "normalize_words", "threshold_for", "word_score"]

_LOGGER = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+")
_AFTER_PHRASE = re.compile(r"^[\s,.!?;:…—–-]*")
_SAME_STEM_SCORE = 0.9
"""Score of a word that differs from the phrase word only in its last letter."""


def normalize_words(text: str) -> list[str]:
    """Lower-case words of ``text`` with ``ё`` → ``е`` and punctuation dropped."""
    return [w.replace("ё", "е") for w in _WORD.findall(text.lower())]


def threshold_for(sensitivity: float) -> float:
    """Score a phrase needs to wake the kiosk: 0.95 at sensitivity 0, 0.55 at 1.

    At the default 0.6 the threshold is 0.71: above a one-letter change in the
    middle of a short name (Ася, Аля score 0.67), below a changed ending (Ань, 0.9).
    """
    return 0.95 - 0.4 * min(max(sensitivity, 0.0), 1.0)


def word_score(heard: str, expected: str) -> float:
    """0..1: how well ``heard`` matches the phrase word ``expected`` (0 if first letters differ)."""
    if not heard or not expected or heard[0] != expected[0]:
        return 0.0
    score = fuzz.ratio(heard, expected) / 100.0
    stem = expected[:-1]
    if len(expected) >= 3 and stem in (heard[:-1], heard):
        score = max(score, _SAME_STEM_SCORE)
    return score


@dataclass(frozen=True, slots=True)
class WakeMatch:
    """Where a wake phrase was found in a transcript."""

    phrase: str
    """The configured phrase that matched."""
    score: float
    """0..1, the mean word score."""
    words: int
    """How many words of the transcript the phrase covers."""


class TranscriptWakeDetector:
    """A ``WakeDetector`` that fuzzy-matches wake phrases at the start of a transcript."""

    needs_transcript = True
    """``check`` decides from the STT text: every utterance must be transcribed."""

    def __init__(
        self, phrases: Sequence[str] = ("аня", "привет аня"), sensitivity: float = 0.6
    ) -> None:
        """``sensitivity`` 0..1: higher wakes more easily (and falsely more often)."""
        self.phrases = tuple(p for p in phrases if normalize_words(p))
        if not self.phrases:
            raise ValueError("at least one non-empty wake phrase is needed")
        self.sensitivity = sensitivity
        self.threshold = threshold_for(sensitivity)
        self._normalized = [(p, normalize_words(p)) for p in self.phrases]

    @classmethod
    def from_settings(cls, settings: ListenSettings) -> TranscriptWakeDetector:
        """Build from the ``[listen]`` section."""
        return cls(settings.wake_phrases, settings.wake_sensitivity)

    def match(self, text: str) -> WakeMatch | None:
        """The best wake phrase at the start of ``text``, or None below the threshold."""
        words = normalize_words(text)
        best: WakeMatch | None = None
        for phrase, expected in self._normalized:
            if len(words) < len(expected):
                continue
            scores = [word_score(h, e) for h, e in zip(words, expected, strict=False)]
            score = sum(scores) / len(scores)
            # On equal scores the longer phrase wins: it strips more of the transcript.
            if best is None or (score, len(expected)) > (best.score, best.words):
                best = WakeMatch(phrase, score, len(expected))
        if best is None or best.score < self.threshold:
            return None
        return best

    def check(self, utterance: SpeechEnded, text: str | None = None) -> WakeDetected | None:
        """Return a detection when the transcript ``text`` opens with a wake phrase.

        Without ``text`` there is nothing to match: this detector needs the
        transcript of ``utterance``. The timestamp is estimated by the share of
        characters the phrase takes in the transcript.
        """
        if text is None:
            _LOGGER.debug("transcript wake detector called without text")
            return None
        found = self.match(text)
        if found is None:
            return None
        rest = self.strip(text)
        spoken = max(len(text.strip()), 1)
        share = min(max((spoken - len(rest)) / spoken, 0.0), 1.0)
        timestamp = utterance.start + (utterance.end - utterance.start) * share
        return WakeDetected(phrase=found.phrase, score=round(found.score, 3), timestamp=timestamp)

    def strip(self, text: str) -> str:
        """Remove the wake phrase and the punctuation after it ("Аня, привет" → "привет").

        Text that does not open with a wake phrase is returned stripped but unchanged.
        """
        found = self.match(text)
        if found is None:
            return text.strip()
        spans = list(_WORD.finditer(text))
        cut = spans[found.words - 1].end()
        rest = text[cut:]
        return rest[_AFTER_PHRASE.match(rest).end() :].strip()  # type: ignore[union-attr]
