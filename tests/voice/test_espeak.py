from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from kiosk.audio.wav import pcm_to_float
from kiosk.errors import ModelMissing
from kiosk.voice.base import Synthesizer
from kiosk.voice.espeak import EspeakSynthesizer, parse_wav_bytes

requires_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

GREETING = "Привет! Меня зовут Аня."


def is_speech(pcm: bytes) -> bool:
    return float(np.sqrt(np.mean(pcm_to_float(pcm) ** 2))) > 0.02


@requires_espeak
def test_espeak_speaks_russian_greeting(espeak_greeting):
    assert espeak_greeting.sample_rate == 22050
    assert 0.8 <= espeak_greeting.duration <= 4.0
    assert is_speech(espeak_greeting.pcm)
    assert espeak_greeting.track.duration == pytest.approx(espeak_greeting.duration, abs=0.011)


@requires_espeak
def test_library_path_reports_visemes_in_time_order(espeak_greeting):
    starts = [start for start, _ in espeak_greeting.track.visemes]
    assert len(starts) > 5
    assert starts == sorted(starts) and starts[-1] < espeak_greeting.duration
    assert {"A", "MBP"} <= {label for _, label in espeak_greeting.track.visemes}


@requires_espeak
def test_command_path_speaks_the_same_text():
    synthesis = EspeakSynthesizer(use_library=False).synthesize(GREETING)
    assert synthesis.sample_rate == 22050
    assert 0.8 <= synthesis.duration <= 4.0 and is_speech(synthesis.pcm)
    assert synthesis.track.visemes == ()
    assert max(synthesis.track.openness) > 0.5


@requires_espeak
def test_command_path_does_not_read_a_leading_dash_as_an_option():
    synthesis = EspeakSynthesizer(use_library=False).synthesize("--help минус")
    assert is_speech(synthesis.pcm)


@requires_espeak
@pytest.mark.parametrize("use_library", [True, False])
def test_sad_speech_is_slower_than_excited(use_library):
    synth = EspeakSynthesizer(use_library=use_library)
    text = "Сегодня мы пойдём гулять в большой зелёный парк."
    sad, excited = synth.synthesize(text, "sad"), synth.synthesize(text, "excited")
    assert sad.duration > excited.duration * 1.1


def test_emotion_nudges_pitch_and_rate_within_limits():
    synth = EspeakSynthesizer(rate_wpm=400, pitch=95)
    assert synth.prosody("neutral") == (400, 95)
    rate, pitch = synth.prosody("excited")
    assert rate <= 450 and pitch == 99
    assert EspeakSynthesizer().prosody("sad") < EspeakSynthesizer().prosody("happy")
    assert EspeakSynthesizer().prosody("unknown-label") == (165, 70)


@pytest.mark.parametrize("use_library", [True, False])
def test_empty_text_gives_empty_synthesis(use_library):
    synthesis = EspeakSynthesizer(use_library=use_library).synthesize("  ")
    assert synthesis.pcm == b"" and synthesis.duration == 0.0 and synthesis.track.openness == ()


def test_name_and_protocol():
    synth = EspeakSynthesizer("ru")
    assert synth.name == "espeak:ru"
    assert isinstance(synth, Synthesizer)


def test_missing_binary_says_how_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ModelMissing) as err:
        EspeakSynthesizer(use_library=False).synthesize("привет")
    assert "apt install espeak-ng" in err.value.hint


@requires_espeak
@pytest.mark.parametrize("use_library", [True, False])
def test_unknown_voice_is_model_missing(use_library):
    with pytest.raises(ModelMissing, match="нет голоса"):
        EspeakSynthesizer("zz-nonexistent", use_library=use_library).synthesize("привет")


def test_parse_wav_bytes_tolerates_streaming_sizes():
    samples = np.arange(100, dtype="<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 0x7FFFFFFF) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 22050, 44100, 2, 16)
    data = b"data" + struct.pack("<I", 0x7FFFFFFF) + samples + b"\x01"
    assert parse_wav_bytes(header + fmt + data) == (samples, 22050)


@pytest.mark.parametrize("blob", [b"", b"hello world, not a wav", b"RIFF\0\0\0\0WAVE"])
def test_parse_wav_bytes_rejects_non_wav(blob):
    with pytest.raises(ValueError):
        parse_wav_bytes(blob)


@requires_espeak
def test_library_synthesis_is_safe_from_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    synth = EspeakSynthesizer()
    texts = ["Раз два три.", "Мама мыла раму.", "Кошка спит на окне."] * 2
    expected = [synth.synthesize(t).duration for t in texts]
    with ThreadPoolExecutor(max_workers=3) as pool:
        got = list(pool.map(synth.synthesize, texts))
    # libespeak-ng carries a few samples of state between calls, so compare lengths:
    # audio mixed up between threads would be far longer or shorter.
    assert [s.duration for s in got] == pytest.approx(expected, abs=0.08)
    assert all(is_speech(s.pcm) for s in got)


@requires_espeak
@pytest.mark.parametrize("use_library", [True, False])
def test_excited_speech_is_higher_pitched_than_sad(use_library):
    import soxr

    from kiosk.voice.enroll.audio import pitch_range

    synth = EspeakSynthesizer(use_library=use_library)
    text = "Сегодня мы пойдём гулять в большой зелёный парк."

    def median_f0(emotion: str) -> float:
        speech = synth.synthesize(text, emotion)
        samples = soxr.resample(pcm_to_float(speech.pcm), speech.sample_rate, 16000)
        return float(np.median(pitch_range(samples)))

    assert median_f0("excited") > median_f0("sad") * 1.05
