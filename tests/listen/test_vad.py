"""WebRtcEndpointer: utterance bounds on real Festival speech, rejections, frame checks."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio.wav import read_wav
from kiosk.config import AudioSettings, ListenSettings, Settings
from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame, SpeechEnded, SpeechStarted
from kiosk.listen import Endpointer, make_endpointer
from kiosk.listen.vad import WebRtcEndpointer, frame_dbfs

RATE = 16000
FRAME_MS = 30
FRAME = FRAME_MS / 1000
SENTENCE = "Мне нравится рисовать кошек и собак."  # no pause inside (Festival)
SECOND = "Какого цвета небо?"


def frames_of(samples: np.ndarray, frame_ms: int = FRAME_MS, rate: int = RATE) -> list[AudioFrame]:
    n = rate * frame_ms // 1000
    pcm = np.asarray(samples, dtype="<i2")
    return [
        AudioFrame(pcm[i : i + n].tobytes(), rate, i / rate) for i in range(0, len(pcm) - n + 1, n)
    ]


def run(endpointer: WebRtcEndpointer, samples: np.ndarray) -> list[SpeechStarted | SpeechEnded]:
    events: list[SpeechStarted | SpeechEnded] = []
    for frame in frames_of(samples):
        events.extend(endpointer.feed(frame))
    events.extend(endpointer.flush())
    return events


def speech_bounds(samples: np.ndarray, threshold_dbfs: float = -40.0) -> tuple[float, float]:
    """First and last 10 ms window louder than the threshold: the true speech bounds."""
    win = RATE // 100
    loud = [
        i
        for i in range(0, len(samples) - win, win)
        if frame_dbfs(samples[i : i + win].astype("<i2").tobytes()) > threshold_dbfs
    ]
    return loud[0] / RATE, (loud[-1] + win) / RATE


def load(path) -> np.ndarray:
    pcm, rate = read_wav(path)
    assert rate == RATE
    return np.frombuffer(pcm, dtype="<i2").copy()


def noise(seconds: float, dbfs: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    amplitude = 32768 * 10 ** (dbfs / 20)
    return np.clip(rng.normal(0, amplitude, int(seconds * RATE)), -32768, 32767).astype("<i2")


def test_endpointer_implements_the_protocol() -> None:
    assert isinstance(WebRtcEndpointer(), Endpointer)


def test_one_sentence_gives_one_utterance_at_its_true_bounds(festival_wav) -> None:
    samples = load(festival_wav(SENTENCE, before=0.6, after=1.0))
    true_start, true_end = speech_bounds(samples)
    endpointer = WebRtcEndpointer()

    events = run(endpointer, samples)

    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    started, ended = events
    assert isinstance(started, SpeechStarted) and isinstance(ended, SpeechEnded)
    assert abs(started.timestamp - true_start) <= 0.15
    assert abs(ended.end - true_end) <= 0.15
    assert ended.decided_at - true_end <= endpointer.end_silence_ms / 1000 + FRAME + 1e-6
    assert ended.decided_at >= ended.end
    # Pre-roll: the audio starts ~pre_roll_ms before the first voiced frame.
    assert started.timestamp - ended.start == pytest.approx(0.3, abs=FRAME + 1e-6)
    assert len(ended.pcm) / 2 / RATE == pytest.approx(ended.decided_at - ended.start, abs=1e-6)


def test_sentences_separated_by_a_second_of_silence_are_two_utterances(festival_wav) -> None:
    first = load(festival_wav(SENTENCE, before=0.4, after=0.5))
    second = load(festival_wav(SECOND, before=0.5, after=0.8))

    events = run(WebRtcEndpointer(), np.concatenate([first, second]))

    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded] * 2
    assert ended[0].end < len(first) / RATE < ended[1].start + 0.3


@pytest.mark.parametrize(
    "samples",
    [
        pytest.param(np.zeros(3 * RATE, dtype="<i2"), id="digital-silence"),
        pytest.param(noise(3.0, -50.0), id="noise-at-minus-50-dbfs"),
        pytest.param(noise(3.0, -60.0), id="noise-at-minus-60-dbfs"),
    ],
)
def test_silence_and_quiet_noise_are_not_speech(samples: np.ndarray) -> None:
    assert run(WebRtcEndpointer(), samples) == []


def test_a_100_ms_burst_is_not_an_utterance_but_400_ms_of_speech_is(festival_wav) -> None:
    speech = load(festival_wav(SENTENCE, before=0.0, after=0.0))
    quiet = np.zeros(RATE, dtype="<i2")

    for burst, expected in ((speech[: RATE // 10], 0), (speech[: RATE * 4 // 10], 1)):
        events = run(WebRtcEndpointer(), np.concatenate([quiet, burst, quiet]))
        assert sum(isinstance(e, SpeechEnded) for e in events) == expected
    click = np.concatenate([quiet, noise(0.1, -6.0), quiet])
    assert run(WebRtcEndpointer(), click) == []


def test_speech_shorter_than_min_speech_is_dropped_without_a_start_event(festival_wav) -> None:
    speech = load(festival_wav(SENTENCE, before=0.0, after=0.0))
    quiet = np.zeros(RATE, dtype="<i2")
    samples = np.concatenate([quiet, speech[: RATE * 4 // 10], quiet])

    assert run(WebRtcEndpointer(min_speech_ms=1000), samples) == []


def test_long_speech_is_cut_at_max_speech_s(festival_wav) -> None:
    samples = load(festival_wav(SENTENCE, before=0.4, after=0.8))

    events = run(WebRtcEndpointer(max_speech_s=1.0), samples)

    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) >= 2
    first = ended[0]
    assert first.decided_at - first.start <= 1.0 + 0.3 + FRAME + 1e-6


def test_flush_returns_speech_still_in_progress(festival_wav) -> None:
    samples = load(festival_wav(SENTENCE, before=0.4, after=0.0))
    endpointer = WebRtcEndpointer()
    events = [e for f in frames_of(samples) for e in endpointer.feed(f)]
    assert [type(e) for e in events] == [SpeechStarted]
    assert endpointer.in_speech

    flushed = endpointer.flush()

    assert len(flushed) == 1 and flushed[0].end > 2.0
    assert not endpointer.in_speech and endpointer.flush() == []


def test_reset_forgets_the_utterance_in_progress(festival_wav) -> None:
    samples = load(festival_wav(SENTENCE, before=0.4, after=0.0))
    endpointer = WebRtcEndpointer()
    for frame in frames_of(samples):
        endpointer.feed(frame)

    endpointer.reset()

    assert endpointer.flush() == []


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_every_webrtc_frame_length_finds_the_sentence(festival_wav, frame_ms: int) -> None:
    samples = load(festival_wav(SENTENCE, before=0.4, after=0.8))
    endpointer = WebRtcEndpointer(frame_ms=frame_ms)
    events = [e for f in frames_of(samples, frame_ms) for e in endpointer.feed(f)]
    assert sum(isinstance(e, SpeechEnded) for e in events) == 1


def test_a_frame_of_the_wrong_length_is_refused() -> None:
    endpointer = WebRtcEndpointer(frame_ms=30)
    with pytest.raises(AudioFormatError, match="480"):
        endpointer.feed(AudioFrame(bytes(2 * 400), RATE, 0.0))  # 25 ms


def test_a_frame_at_another_rate_is_refused() -> None:
    with pytest.raises(AudioFormatError):
        WebRtcEndpointer().feed(AudioFrame(bytes(2 * 1323), 44100, 0.0))


@pytest.mark.parametrize(("rate", "frame_ms"), [(44100, 30), (16000, 25), (16000, 40)])
def test_formats_webrtcvad_cannot_take_are_refused_up_front(rate: int, frame_ms: int) -> None:
    with pytest.raises(AudioFormatError) as info:
        WebRtcEndpointer(sample_rate=rate, frame_ms=frame_ms)
    assert "audio.frame_ms" in info.value.hint


def test_factory_builds_the_endpointer_from_settings() -> None:
    settings = Settings(
        audio=AudioSettings(frame_ms=20),
        listen=ListenSettings(end_silence_ms=600, min_speech_ms=100, pre_roll_ms=200),
    )
    endpointer = make_endpointer(settings)
    assert isinstance(endpointer, WebRtcEndpointer)
    assert (endpointer.frame_ms, endpointer.end_silence_ms) == (20, 600)
    assert (endpointer.min_speech_ms, endpointer.pre_roll_ms) == (100, 200)
