"""A sentence cut in two by a pause is joined back into one utterance."""

from __future__ import annotations

import numpy as np

from kiosk.audio.wav import read_wav
from kiosk.events import SpeechEnded
from kiosk.listen.hearing import join_pauses, join_utterances
from kiosk.listen.measure import frames_of
from kiosk.listen.vad import WebRtcEndpointer


def test_joined_audio_keeps_every_sample_once() -> None:
    signal = np.arange(16000 * 3, dtype=np.int16)
    first = SpeechEnded(signal[:24000].tobytes(), 16000, start=0.0, end=1.2, decided_at=1.5)
    # The second utterance's pre-roll starts 0.3 s before the first one's audio stops.
    second = SpeechEnded(signal[19200:].tobytes(), 16000, start=1.2, end=2.9, decided_at=3.0)
    joined = join_utterances(first, second)
    assert np.array_equal(np.frombuffer(joined.pcm, dtype=np.int16), signal)
    assert (joined.start, joined.end, joined.decided_at) == (0.0, 2.9, 3.0)


def test_a_comma_pause_split_by_a_short_timeout_joins_back(festival_wav) -> None:  # type: ignore[no-untyped-def]
    pcm, _ = read_wav(festival_wav("Расскажи, пожалуйста, про динозавров.", after=1.0))
    samples = np.frombuffer(pcm, dtype="<i2")
    endpointer = WebRtcEndpointer(end_silence_ms=240)
    ended = [e for f in frames_of(samples) for e in endpointer.feed(f)
             if isinstance(e, SpeechEnded)]  # fmt: skip
    assert len(ended) >= 2  # Festival pauses ~330 ms after "Расскажи,"
    joined = ended[0]
    for part in ended[1:]:
        joined = join_utterances(joined, part)
    start = round(joined.start * 16000) * 2
    assert joined.pcm == pcm[start : start + len(joined.pcm)]


def test_demo_questions_cut_at_240_ms_become_one_utterance_each() -> None:
    from pathlib import Path

    demo = Path(__file__).resolve().parents[2] / "content" / "demo"
    split = 0
    for wav in sorted(demo.glob("*.wav")):
        pcm, rate = read_wav(wav)
        samples = np.frombuffer(pcm, dtype="<i2")
        endpointer = WebRtcEndpointer(end_silence_ms=240, sample_rate=rate)
        ended = [e for f in frames_of(samples, rate) for e in endpointer.feed(f)
                 if isinstance(e, SpeechEnded)] + endpointer.flush()  # fmt: skip
        split += len(ended) > 1
        assert len(join_pauses(ended)) == 1, wav.name
    assert split >= 2  # the short timeout does cut them: the join is what keeps them whole


def test_speech_after_a_long_pause_stays_separate() -> None:
    first = SpeechEnded(bytes(3200), 16000, start=0.0, end=0.1, decided_at=0.4)
    second = SpeechEnded(bytes(3200), 16000, start=1.5, end=1.6, decided_at=1.9)
    assert join_pauses([first, second]) == [first, second]
