"""The transcript's second opinion on an acoustic «Аня», and the whole-sentence rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.events import SpeechEnded, WakeDetected
from kiosk.listen.acoustic import CONFIRM_SCORE, OwwWakeDetector, says_a_ya
from kiosk.listen.oww import WAKE_HEAD, WakeHead, backbone_dir

pytestmark = pytest.mark.skipif(
    backbone_dir() is None or not WAKE_HEAD.is_file(),
    reason="needs openwakeword==0.4.0 and content/wake/anya.npz",
)

UTTERANCE = SpeechEnded(bytes(16000 * 2 * 3), 16000, start=10.0, end=13.0, decided_at=13.3)


@pytest.fixture(scope="module")
def detector() -> OwwWakeDetector:
    return OwwWakeDetector(WakeHead.load())


def wake(score: float, seconds_in: float) -> WakeDetected:
    return WakeDetected("аня", score, UTTERANCE.start + seconds_in)


@pytest.mark.parametrize(
    ("heard", "score", "seconds_in"),
    [
        ("А нет, как дела?", 0.999, 0.76),  # whisper's usual "Аня, как дела?"
        ("Аня, что такое радуга?", 0.92, 0.7),
        ("Привет, Аня! Как дела?", 0.93, 1.3),
        ("Давай поиграем, Аня.", 0.95, 2.2),  # the name anywhere, once the text shows it
        ("Ань, смотри!", 0.91, 0.6),
    ],
)
def test_the_wake_stands_when_the_text_shows_her_or_the_sound_is_certain(
    detector: OwwWakeDetector, heard: str, score: float, seconds_in: float
) -> None:
    assert detector.veto(heard, wake(score, seconds_in), UTTERANCE) is None


@pytest.mark.parametrize(
    ("text", "a_ya"),
    [
        ("Аня не знаю...", True),
        ("Аня не хочу спать!", True),
        ("Аня уже поела.", True),  # a singular past goes with «я» too
        ("Аня, не знаю, что делать.", False),  # an address: whisper writes the comma
        ("Аня, я не знаю", False),
        ("Аня, хочу мультик", False),
        ("Аня расскажи сказку", False),  # no comma, but not a verb of «я»
        ("Аня почему идёт снег", False),
        ("Привет, Аня! Хочу играть", False),  # the name does not open the text
        ("А я не знаю...", True),  # whisper heard it right
        ("А я тоже хочу!", True),
        ("А нет, как дела?", False),  # whisper's usual garble of «Аня, как дела?»
    ],
)
def test_a_ya_is_told_from_an_address(text: str, a_ya: bool) -> None:
    pytest.importorskip("pymorphy3")
    assert says_a_ya(text) is a_ya


@pytest.mark.parametrize(
    ("heard", "score", "seconds_in"),
    [
        ("А нет, я не хочу", 0.995, 0.46),  # peaks below CONFIRM_SCORE
        ("Анализ показал хорошие результаты", 0.904, 0.4),
        ("Мама, можно мне конфету?", 0.999, 2.3),  # fired late, on "конфету"
        ("Санят, почему небы голубой?", 0.98, 1.3),  # a rhyming name
        ("Таня, иди обедать.", 0.999, 0.6),
        ("Аня не знаю...", 0.999, 0.4),  # «А я не знаю» as whisper writes it
        ("Аня тоже хочу!", 0.999, 0.4),
        ("А я не знаю...", 0.999, 0.4),
    ],
)
def test_the_text_vetoes_other_names_and_unsure_or_late_wakes(
    detector: OwwWakeDetector, heard: str, score: float, seconds_in: float
) -> None:
    assert detector.veto(heard, wake(score, seconds_in), UTTERANCE) is not None
    assert detector.check(UTTERANCE, heard) is None  # silence: nothing to veto either


def test_confirm_score_is_above_the_wake_threshold(detector: OwwWakeDetector) -> None:
    assert detector.threshold < CONFIRM_SCORE < 1.0


@pytest.mark.slow  # Festival + whisper on 12 clips: ~20 s on 2 cores
def test_whole_sentences_wake_on_the_name_and_the_text_vetoes_false_wakes(
    detector: OwwWakeDetector, whisper_base_dir: Path
) -> None:
    from kiosk.listen.wake_eval import sentence_clips, tally_wakes
    from kiosk.stt.whisper import WhisperTranscriber

    clips = sentence_clips(
        ["Аня, как дела?"],
        ["А нет, я не хочу.", "Мама, можно мне конфету?"],
        pitches=(0, 250),
        levels_db=(0.0,),
    )
    stt = WhisperTranscriber(whisper_base_dir, cpu_threads=2)

    def veto(text: str, utterance: SpeechEnded, found: WakeDetected) -> str | None:
        return detector.veto(text, found, utterance)

    tally = tally_wakes(clips, detector.check, veto, lambda pcm: stt.transcribe(pcm, 16000).text)
    assert (tally.wake_clips, tally.other_clips) == (4, 8)
    assert tally.confirmed == 4, tally.missed  # "А нет, как дела" still wakes her
    assert tally.false_heard >= 2  # the sound alone is fooled…
    assert tally.false_confirmed == 0, tally.false_by_text  # …the transcript is not
