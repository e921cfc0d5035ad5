"""End of speech is known within 300 ms of the child stopping, on real Festival WAVs."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio.wav import read_wav
from kiosk.config import ListenSettings, Settings
from kiosk.listen import make_endpointer
from kiosk.listen.measure import endpoint_delay, speech_end, summarize, with_noise
from kiosk.listen.silero import SileroEndpointer, SileroVad, silero_model_path
from kiosk.listen.vad import WebRtcEndpointer

needs_silero = pytest.mark.skipif(
    silero_model_path() is None, reason="needs pip install --no-deps silero-vad==6.2.3"
)

# Sentences without a comma pause (Festival pauses ~330 ms at commas: see the module note).
SENTENCES = [
    "Мне нравится рисовать кошек и собак.",
    "Какая завтра будет погода?",
    "Мы с мамой ходили в парк и кормили уток.",
    "Почему кошки мурлычут?",
]


@pytest.fixture(scope="module")
def recordings(festival_wav) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    out = []
    for text in SENTENCES:
        pcm, rate = read_wav(festival_wav(text, before=0.5, after=1.5))
        assert rate == 16000
        out.append(np.frombuffer(pcm, dtype="<i2"))
    return out


def test_true_end_is_where_the_clean_speech_stops(recordings: list[np.ndarray]) -> None:
    for samples in recordings:
        end = speech_end(samples)
        assert 1.0 < end < len(samples) / 16000 - 1.4
        tail = samples[int((end + 0.05) * 16000) :].astype(np.float64)
        assert np.sqrt(np.mean(tail**2)) < 30  # the padding after it is silent


@pytest.mark.parametrize("engine", ["webrtc", pytest.param("silero", marks=needs_silero)])
def test_endpoint_at_240_ms_of_silence_lands_within_300_ms_of_the_end_of_speech(
    recordings: list[np.ndarray], engine: str
) -> None:
    listen = ListenSettings(vad_engine=engine, end_silence_ms=240)  # type: ignore[arg-type]
    settings = Settings(listen=listen)
    results = [endpoint_delay(make_endpointer(settings), s) for s in recordings]
    summary = summarize(results)
    assert summary["missed"] == 0 and summary["split"] == 0, summary
    assert all(r.delay_ms is not None and 0 <= r.delay_ms <= 300 for r in results), summary


@needs_silero
def test_silero_ends_speech_in_pink_noise_at_15_db(recordings: list[np.ndarray]) -> None:
    vad = SileroVad()
    results = []
    for i, clean in enumerate(recordings):
        vad.reset()
        endpointer = SileroEndpointer(end_silence_ms=180, vad=vad)
        results.append(endpoint_delay(endpointer, clean, with_noise(clean, 15.0, seed=i)))
    summary = summarize(results)
    assert summary["missed"] == 0 and summary["split"] == 0, summary
    assert summary["p95_ms"] is not None and summary["p95_ms"] <= 400, summary


@needs_silero
def test_silero_hears_speech_and_not_silence(recordings: list[np.ndarray]) -> None:
    vad = SileroVad()
    samples = recordings[0]
    end = speech_end(samples)
    probs = np.array(vad.push(samples))
    step = 512 / 16000
    during = probs[int(0.8 / step) : int((end - 0.3) / step)]
    after = probs[int((end + 0.3) / step) :]
    assert during.mean() > 0.6 and after.max() < 0.2


def test_make_endpointer_follows_the_vad_engine_setting() -> None:
    assert type(make_endpointer(Settings())) is WebRtcEndpointer or silero_model_path()
    if silero_model_path() is not None:
        made = make_endpointer(Settings(listen=ListenSettings(vad_engine="silero")))
        assert isinstance(made, SileroEndpointer)
