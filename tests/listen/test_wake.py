"""TranscriptWakeDetector: which openings wake Аня, which names do not, and stripping."""

from __future__ import annotations

import pytest

from kiosk.config import ListenSettings, Settings
from kiosk.events import SpeechEnded, WakeDetected
from kiosk.listen import WakeDetector, make_wake_detector
from kiosk.listen.wake import TranscriptWakeDetector, normalize_words, threshold_for


def utterance(start: float = 1.0, end: float = 3.0) -> SpeechEnded:
    return SpeechEnded(
        pcm=bytes(640), sample_rate=16000, start=start, end=end, decided_at=end + 0.3
    )


@pytest.fixture
def detector() -> TranscriptWakeDetector:
    return TranscriptWakeDetector()


def test_detector_implements_the_protocol(detector: TranscriptWakeDetector) -> None:
    assert isinstance(detector, WakeDetector)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Аня", "аня"),
        ("аня,", "аня"),
        ("Аня!", "аня"),
        ("АНЯ, ты тут?", "аня"),
        ("Ань, привет", "аня"),  # vocative
        ("Аню позови", "аня"),  # another case ending
        ("Аня что ты любишь рисовать", "аня"),
        ("Привет, Аня", "привет аня"),
        ("привет аня как дела", "привет аня"),
        ("Привет, Аня! Как тебя зовут?", "привет аня"),
    ],
)
def test_wake_phrase_at_the_start_wakes(
    detector: TranscriptWakeDetector, text: str, phrase: str
) -> None:
    found = detector.match(text)
    assert found is not None and found.phrase == phrase
    assert found.score >= detector.threshold


@pytest.mark.parametrize(
    "text",
    [
        "Ваня",
        "Таня, иди сюда",
        "баня",
        "Саня",
        "Маня",
        "Ася",
        "Аля, привет",
        "Анна",
        "Анечка",  # decided: other forms of the name must be listed as phrases
        "А нет, пока",  # whisper's mishearing of "Аня" must not wake it either
        "ананас",
        "Мама, где мой телефон?",
        "Ну, Аня",  # not at the start
        "Привет, Ваня",
        "",
        "...",
    ],
)
def test_near_misses_and_other_names_do_not_wake(
    detector: TranscriptWakeDetector, text: str
) -> None:
    assert detector.match(text) is None
    assert detector.check(utterance(), text) is None


def test_listed_diminutive_wakes_when_the_parent_adds_it() -> None:
    assert TranscriptWakeDetector(("аня", "анечка")).match("Анечка, привет") is not None


def test_sensitivity_moves_the_threshold() -> None:
    strict, default, eager = (TranscriptWakeDetector(sensitivity=s) for s in (0.0, 0.6, 1.0))
    assert strict.threshold > default.threshold > eager.threshold
    assert strict.match("Ань") is None and default.match("Ань") is not None
    assert default.match("Ася") is None and eager.match("Ася") is not None
    assert threshold_for(-1) == threshold_for(0) and threshold_for(2) == threshold_for(1)


def test_normalisation_drops_case_yo_and_punctuation() -> None:
    assert normalize_words("Ёжик, ПРИВЕТ!!! — как дела?") == ["ежик", "привет", "как", "дела"]


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("Аня, привет", "привет"),
        ("Аня, что ты любишь рисовать?", "что ты любишь рисовать?"),
        ("Аня! Расскажи загадку.", "Расскажи загадку."),
        ("Привет, Аня! Как тебя зовут?", "Как тебя зовут?"),
        ("Аня — пока!", "пока!"),
        ("Аня.", ""),
        ("Ань, ну всё, пока!", "ну всё, пока!"),
        ("Мама, где мой телефон?", "Мама, где мой телефон?"),
        ("  Таня, привет ", "Таня, привет"),
    ],
)
def test_strip_removes_the_wake_phrase_and_the_comma_after_it(
    detector: TranscriptWakeDetector, text: str, rest: str
) -> None:
    assert detector.strip(text) == rest


def test_check_reports_phrase_score_and_a_time_inside_the_utterance(
    detector: TranscriptWakeDetector,
) -> None:
    detected = detector.check(utterance(1.0, 3.0), "Аня, что ты любишь рисовать?")
    assert isinstance(detected, WakeDetected)
    assert detected.phrase == "аня" and detected.score == 1.0
    assert 1.0 < detected.timestamp < 1.5  # the name is the first fifth of the text


def test_check_without_a_transcript_detects_nothing(detector: TranscriptWakeDetector) -> None:
    assert detector.check(utterance(), None) is None


def test_factory_uses_the_configured_phrases_and_sensitivity() -> None:
    settings = Settings(listen=ListenSettings(wake_phrases=("кеша",), wake_sensitivity=0.3))
    detector = make_wake_detector(settings)
    assert isinstance(detector, TranscriptWakeDetector)
    assert detector.threshold == pytest.approx(threshold_for(0.3))
    assert detector.check(utterance(), "Кеша, привет") is not None
    assert detector.check(utterance(), "Аня, привет") is None


def test_a_detector_needs_a_phrase() -> None:
    with pytest.raises(ValueError):
        TranscriptWakeDetector(("", "!!"))
