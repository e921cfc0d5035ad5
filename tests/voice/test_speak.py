from __future__ import annotations

import shutil

import pytest

from kiosk.config import VoiceSettings
from kiosk.events import LipSyncTrack
from kiosk.voice import make_synthesizer, normalize_for_speech, speak, uncached
from kiosk.voice.base import Synthesis
from kiosk.voice.espeak import EspeakSynthesizer
from kiosk.voice.festival import FestivalSynthesizer


class RecordingSynth:
    """A synthesizer that records what it was asked to say (engine stand-in)."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        self.calls.append((text, emotion))
        return Synthesis(b"\x01\x00" * 100, 16000, LipSyncTrack(100, (0.5,)))


def test_speak_normalises_before_the_engine():
    synth = RecordingSynth()
    result = speak(synth, "Мне 12 лет 😀", "happy")
    assert result is not None and result.sample_rate == 16000
    assert synth.calls == [("Мне двенадцать лет", "happy")]


@pytest.mark.parametrize("text", ["", "   ", "😀🎉", "…", "**"])
def test_speak_skips_text_with_nothing_to_say(text):
    synth = RecordingSynth()
    assert speak(synth, text) is None
    assert synth.calls == []


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_speak_with_espeak_returns_audio():
    result = speak(EspeakSynthesizer(), "Сегодня 25.11.2026!", "happy")
    assert result is not None and result.duration > 1.0


def test_make_synthesizer_picks_the_configured_engine():
    espeak = uncached(make_synthesizer(VoiceSettings(voice="ru", rate_wpm=200, pitch=40)))
    assert isinstance(espeak, EspeakSynthesizer)
    assert (espeak.name, espeak.rate_wpm, espeak.pitch) == ("espeak:ru", 200, 40)
    festival = uncached(make_synthesizer(VoiceSettings(engine="festival")))
    assert isinstance(festival, FestivalSynthesizer)
    assert festival.name == "festival:msu_ru_nsh_clunits"
    named = make_synthesizer(VoiceSettings(engine="festival", voice="kal_diphone"))
    assert named.name == "festival:kal_diphone"


# espeak-ng's rate is words per minute of English-length words; Russian words vary
# (these numerals average six letters) and every utterance ends with a ~0.3 s pause.
# Over short Russian sentences the length runs 0.84-1.49× the word-count estimate
# (this one 1.09× with espeak-ng 1.51); the bounds allow 0.8-1.3× plus the pause: speech
# cut to two thirds, a second of padding or the rate setting off by a third fall outside.
_SLOWEST, _FASTEST, _END_PAUSE_S = 1.3, 0.8, 0.3


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_year_and_count_are_spoken_in_agreement_by_espeak():
    settings = VoiceSettings()
    synthesizer = uncached(make_synthesizer(settings))
    assert isinstance(synthesizer, EspeakSynthesizer)
    text = "в 2024 году 5 кошек"
    spoken = "в две тысячи двадцать четвёртом году пять кошек"
    assert normalize_for_speech(text) == spoken
    result = speak(synthesizer, text)
    assert result is not None
    expected_s = len(spoken.split()) / settings.rate_wpm * 60.0
    assert _FASTEST * expected_s <= result.duration <= _SLOWEST * expected_s + _END_PAUSE_S
