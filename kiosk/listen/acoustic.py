"""``OwwWakeDetector``: hears "Аня" in the sound itself, streaming, 80 ms at a time.

It runs on every microphone frame while the kiosk sleeps (about 1.5 ms of one
core per 80 ms of audio, ~2 % of a core), so no utterance has to be transcribed
just to find out whether it was addressed to Аня. It fires on the name anywhere
in an utterance ("Аня, …" and "Привет, Аня"), about 0.1–0.3 s after the name
ends. The same object also implements the utterance-level ``WakeDetector``
protocol (``check``/``strip``) so a loop that cuts utterances first can use it
unchanged.

Whisper-base often writes "Аня, как…" as "А нет, как…": ``strip`` therefore
removes the name leniently once the sound has confirmed it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz

from kiosk.events import AudioFrame, SpeechEnded, WakeDetected
from kiosk.listen.oww import (
    HOP_SAMPLES,
    SAMPLE_RATE,
    WAKE_HEAD,
    OwwFeatures,
    WakeHead,
    dither,
)
from kiosk.listen.wake import TranscriptWakeDetector, normalize_words, word_score

if TYPE_CHECKING:
    from kiosk.config import ListenSettings

__all__ = [
    "says_a_ya",
    "CONFIRM_SCORE",
    "LEAD_IN_S",
    "OPENING_S",
    "OwwWakeDetector",
    "names_someone_else",
    "oww_threshold",
]

_LOGGER = logging.getLogger(__name__)

LEAD_IN_S = 1.0
"""Quiet padding put before an utterance in ``check``: the backbone needs 0.8 s to warm up."""
_REFRACTORY_S = 1.5
"""After a detection, the same name is not reported again for this long."""
_RHYME_SCORE = 55
"""rapidfuzz ratio from which another word counts as a rhyme of the name (Таня 75, няня 57)."""
_NAME_IN_TEXT = 0.85
"""Word score (``word_score``) at which a transcript word is the name (Аня, Ань, Аню)."""
CONFIRM_SCORE = 0.997
"""Peak head score a wake needs when the transcript does not show the name.

On the whole-sentence set (``kiosk.listen.wake_eval``) every "Аня, …" that whisper
wrote as "А нет, …" peaked at 0.998 or more; "А нет, я не хочу" peaked at 0.91–0.995.
"""
OPENING_S = 1.6
"""Seconds from an utterance's start (pre-roll included) within which a wake that the
transcript does not confirm must come: "Аня, …" peaks ~0.5–0.8 s in."""
_LENIENT_NAME_SCORE = 55
"""rapidfuzz ratio at which leading words merged together count as the name ("а нет")."""


def oww_threshold(sensitivity: float) -> float:
    """Head score that wakes the kiosk: 0.99 at sensitivity 0, 0.84 at 1, 0.9 at the default 0.6.

    Chosen on held-out Festival sentences (3 pitches × 3 levels × clean/15 dB
    noise): 141 of 144 "Аня" phrases score above 0.95, while rhyming names and
    "А нет" reach 0.6–0.99; going from 0.8 to 0.9 keeps every detection and
    cuts false wakes from 45 to 25 of 324.
    """
    return round(0.99 - 0.15 * min(max(sensitivity, 0.0), 1.0), 3)


def names_someone_else(text: str, name: str = "аня") -> bool:
    """True when the transcript opens with a name that rhymes with ``name`` but is not it.

    "Таня, …", "Ну, Саня, …", "Слушай, няня": a rhyming word (rapidfuzz ratio ≥ 55)
    with another first letter among the first three words. Whisper hears such
    names reliably, while it often garbles "Аня" itself ("А нет"), so the
    transcript can veto an acoustic wake but not confirm one.
    """
    for word in normalize_words(text)[:3]:
        score = fuzz.ratio(word, name)
        if word[0] == name[0] and score >= _LENIENT_NAME_SCORE:
            return False  # the name itself (or its garbled form) comes first
        if word[0] != name[0] and score >= _RHYME_SCORE:
            return True
    return False


class OwwWakeDetector:
    """Acoustic wake word detector on openWakeWord's backbone and our "Аня" head."""

    needs_transcript = False
    """``check`` decides from the audio alone: the caller may skip STT while asleep."""

    def __init__(
        self,
        head: WakeHead,
        phrases: Sequence[str] = ("аня", "привет аня"),
        sensitivity: float = 0.6,
        *,
        features: OwwFeatures | None = None,
    ) -> None:
        """``phrases`` only serve ``strip``; the head decides what wakes."""
        self.head = head
        self.sensitivity = sensitivity
        self.threshold = oww_threshold(sensitivity)
        self.features = features or OwwFeatures()
        self._text = TranscriptWakeDetector(phrases, sensitivity=1.0)
        self._name = normalize_words(head.phrase)[0]
        self._window: deque[np.ndarray] = deque(maxlen=head.frames)
        self._scan_lock = threading.Lock()
        self._t0: float | None = None
        self._last_wake = float("-inf")
        self.last_score = 0.0
        """The newest head score (0..1), for meters and logs."""

    @classmethod
    def from_settings(
        cls, settings: ListenSettings, head_path: Path = WAKE_HEAD
    ) -> OwwWakeDetector:
        """Build from the ``[listen]`` section; ``ModelMissing`` when head or backbone is absent."""
        head = WakeHead.load(head_path)
        return cls(head, settings.wake_phrases, settings.wake_sensitivity)

    # --- streaming -----------------------------------------------------------

    def reset(self) -> None:
        """Forget the audio so far (after a pause, or when the stream restarts)."""
        self.features.reset()
        self._window.clear()
        self._t0 = None
        self._last_wake = float("-inf")

    def feed(self, frame: AudioFrame) -> WakeDetected | None:
        """Take one 16 kHz frame (any length); return a detection when "Аня" was just heard.

        The detection's timestamp is the end of the 80 ms hop whose score crossed
        the threshold (shortly after the name ended).
        """
        if frame.sample_rate != SAMPLE_RATE:
            raise ValueError(
                f"wake detector needs {SAMPLE_RATE} Hz frames, got {frame.sample_rate}"
            )
        if self._t0 is None:
            self._t0 = frame.timestamp - self.features.hops * HOP_SAMPLES / SAMPLE_RATE
        found: WakeDetected | None = None
        for vector in self.features.push(np.frombuffer(frame.pcm, dtype="<i2")):
            self._window.append(vector)
            if len(self._window) < self.head.frames:
                continue
            score = float(self.head.score(np.stack(self._window)[None])[0])
            self.last_score = score
            t = self._t0 + self.features.hops * HOP_SAMPLES / SAMPLE_RATE
            if score >= self.threshold and t - self._last_wake >= _REFRACTORY_S and found is None:
                self._last_wake = t
                found = WakeDetected(phrase=self.head.phrase, score=round(score, 3), timestamp=t)
                _LOGGER.info("wake word at %.2f s (score %.2f)", t, score)
        return found

    def scan(self, pcm: bytes, start: float = 0.0) -> list[WakeDetected]:
        """All detections in a 16 kHz 16-bit mono recording that begins at ``start`` seconds.

        Each detection's score is the peak within 0.5 s of its threshold crossing.

        Uses a fresh stream (the live state is kept) with ``LEAD_IN_S`` of quiet
        before the audio, so a name in the first 0.8 s is heard too.
        """
        with self._scan_lock:  # reply tasks scan from worker threads
            return self._scan(pcm, start)

    def _scan(self, pcm: bytes, start: float) -> list[WakeDetected]:
        saved = (self.features, self._window, self._t0, self._last_wake, self.last_score)
        self.features = saved[0].fork()
        self._window = deque(maxlen=self.head.frames)
        self._last_wake = float("-inf")
        lead = dither(int(LEAD_IN_S * SAMPLE_RATE))
        self._t0 = start - LEAD_IN_S
        found = []
        try:
            samples = np.concatenate([lead, np.frombuffer(pcm, dtype="<i2")])
            for offset in range(0, len(samples), HOP_SAMPLES):
                chunk = samples[offset : offset + HOP_SAMPLES].tobytes()
                hit = self.feed(AudioFrame(chunk, SAMPLE_RATE, self._t0))
                if hit is not None:
                    found.append(hit)
                elif found and self.last_score > found[-1].score and self._since(found[-1]) < 0.5:
                    # Report the peak of this detection (the crossing hop may sit on its flank).
                    found[-1] = dataclasses.replace(found[-1], score=round(self.last_score, 3))
        finally:
            self.features, self._window, self._t0, self._last_wake, self.last_score = saved
        return found

    def _since(self, detection: WakeDetected) -> float:
        """Seconds from ``detection`` to the newest hop."""
        t0 = self._t0 if self._t0 is not None else 0.0
        return t0 + self.features.hops * HOP_SAMPLES / SAMPLE_RATE - detection.timestamp

    # --- the utterance-level WakeDetector protocol ----------------------------

    def check(self, utterance: SpeechEnded, text: str | None = None) -> WakeDetected | None:
        """The first detection in ``utterance``'s audio.

        ``text`` is optional: when given, a transcript that opens with a rhyming
        name ("Таня, …") vetoes the detection (``names_someone_else``).
        """
        if utterance.sample_rate != SAMPLE_RATE:
            return None
        found = self.scan(utterance.pcm, utterance.start)
        if not found:
            return None
        if text is not None and (reason := self.veto(text, found[0], utterance)) is not None:
            _LOGGER.info("wake vetoed (%s): %r", reason, text)
            return None
        return found[0]

    def veto(
        self,
        text: str,
        detection: WakeDetected | None = None,
        utterance: SpeechEnded | None = None,
    ) -> str | None:
        """Why the transcript ``text`` overrules a wake the sound heard, or None.

        Whisper hears other names reliably but garbles «Аня» itself ("А нет, как
        дела"), so the text can only say no: a rhyming name first ("Таня, …"), or,
        when the text does not show the name, a wake that is not near-certain
        (peak below ``CONFIRM_SCORE``: "А нет, я не хочу", "Анализ…") or that
        came late in the utterance rather than at its start ("Мама, можно мне
        конфету?" fires on "конфету").
        """
        if names_someone_else(text, self._name):
            return "another name"
        if says_a_ya(text, self._name):
            return "«А я …» heard as the name"
        if detection is None or self.names_her(text):
            return None
        if detection.score < CONFIRM_SCORE:
            return f"name not in the text, score {detection.score:.3f}"
        if utterance is not None and detection.timestamp - utterance.start > OPENING_S:
            return f"name not in the text, heard {detection.timestamp - utterance.start:.1f} s in"
        return None

    def names_her(self, text: str) -> bool:
        """True when the transcript shows the name: at the start, after a greeting, or anywhere."""
        if self._text.match(text) is not None:
            return True
        return any(word_score(word, self._name) >= _NAME_IN_TEXT for word in normalize_words(text))

    def strip(self, text: str) -> str:
        """Remove the name from a transcript's start, leniently ("А нет, как дела" → "как дела").

        Call it only on utterances the sound has already woken on.
        """
        if self._text.match(text) is not None:
            return self._text.strip(text)
        words = normalize_words(text)
        name = self._name
        for count in (2, 1):
            joined = "".join(words[:count])
            if len(words) < count or len(joined) < 2 or joined[0] != name[0]:
                continue
            if fuzz.ratio(joined, name) >= _LENIENT_NAME_SCORE:
                return _drop_words(text, count)
        return text.strip()


_PARTICLES = frozenset("не ни тоже уже еще же вот так просто правда и вообще".split())


def says_a_ya(text: str, name: str = "аня") -> bool:
    """True when the transcript reads «А я …» where the sound heard «Аня».

    Whisper writes "А я не знаю…" right, or "Аня не знаю"; an address is "Аня, …"
    (with the pause, the comma) or garbled "А нет, …". So: the text opens with "а я",
    or with the name running straight into the next word, and after particles ("не",
    "тоже", "уже") the first word is a verb that goes with «я» ("знаю", "хочу",
    "видела"). Measured with Festival speech: every «Аня, …» address kept its comma
    and none was written "А я" (kiosk.listen.wake_eval).
    """
    from kiosk.brain.morph import goes_with_ya

    words = normalize_words(text)
    if words[:2] == ["а", "я"]:
        rest = words[2:]
    else:
        opening = re.match(r"\s*([^\W\d_]+)\s+[^\W\d_]", text)
        if opening is None or normalize_words(opening.group(1)) != [name]:
            return False
        rest = words[1:]
    for word in rest:
        if word not in _PARTICLES:
            return goes_with_ya(word)
    return False


def _drop_words(text: str, count: int) -> str:
    spans = list(re.finditer(r"[^\W_]+", text))
    rest = text[spans[count - 1].end() :]
    return rest.lstrip(" ,.!?;:…—–-").strip()
