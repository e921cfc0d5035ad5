"""EchoCanceller: Аня's voice played into a simulated room is removed from the microphone."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from kiosk.audio.wav import resample
from kiosk.config import VoiceSettings
from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame
from kiosk.listen.echo import EchoCanceller, echo_similarity, simulate_room
from kiosk.listen.vad import frame_dbfs
from kiosk.voice import make_synthesizer

pytest.importorskip("livekit.rtc", reason="needs the livekit wheel (echo extra)")

RATE = 16000
FRAME = 480  # 30 ms
ANYA_TEXT = (
    "Привет! Меня зовут Аня. Давай поговорим о том, что ты любишь рисовать. "
    "Я очень люблю рисовать котов и собак, а ещё большие красивые деревья."
)


@pytest.fixture(scope="module")
def anya_speech() -> tuple[bytes, int]:
    """Аня's reply as the kiosk speaks it (espeak-ng ru+f3 at its own 22 050 Hz)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng")
    synthesis = make_synthesizer(VoiceSettings()).synthesize(ANYA_TEXT)
    return synthesis.pcm, synthesis.sample_rate


def cancel_echo(
    canceller: EchoCanceller, mic: bytes, reference: bytes, reference_rate: int
) -> bytes:
    """Play ``reference`` from t=0 and run the microphone through the canceller."""
    canceller.feed_reference(reference, reference_rate)
    out = bytearray()
    for at in range(0, len(mic) - FRAME * 2 + 1, FRAME * 2):
        frame = AudioFrame(mic[at : at + FRAME * 2], RATE, at / 2 / RATE)
        cleaned = canceller.process(frame)
        assert cleaned.timestamp == frame.timestamp and len(cleaned.pcm) == len(frame.pcm)
        out += cleaned.pcm
    return bytes(out)


def energy(pcm: bytes, start_s: float, end_s: float = math.inf) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    lo = int(start_s * RATE)
    hi = len(samples) if end_s == math.inf else int(end_s * RATE)
    return float(np.sum(samples[lo:hi] ** 2))


@pytest.mark.parametrize("delay_ms", [30, 55, 80])
def test_echo_of_own_voice_is_cancelled_by_15_db(
    anya_speech: tuple[bytes, int], delay_ms: int, record_property: pytest.RecordProperty
) -> None:
    pcm, rate = anya_speech
    played = resample(pcm, rate, RATE)
    mic = simulate_room(played, RATE, delay_ms=delay_ms, gain_db=-6.0, seed=delay_ms)
    cleaned = cancel_echo(EchoCanceller(RATE), mic, pcm, rate)
    # ERLE after convergence (AEC3 needs ~2 s of far-end speech to settle).
    erle = 10 * math.log10(energy(mic[: len(cleaned)], 2.0) / energy(cleaned, 2.0))
    record_property("erle_db", round(erle, 1))
    print(f"ERLE at {delay_ms} ms delay: {erle:.1f} dB")
    assert erle >= 15.0


def test_near_end_speech_passes_through(anya_speech: tuple[bytes, int]) -> None:
    """With the speaker silent the canceller must not eat the child's voice."""
    pcm, rate = anya_speech
    voice = resample(pcm, rate, RATE)[: RATE * 4]  # any voice will do as the near end
    cleaned = cancel_echo(EchoCanceller(RATE), voice, b"", RATE)
    loss = 10 * math.log10(energy(voice[: len(cleaned)], 0.5) / energy(cleaned, 0.5))
    assert loss < 3.0


def test_reference_is_resampled_queued_and_flushed() -> None:
    canceller = EchoCanceller(RATE)
    canceller.feed_reference(bytes(2 * 22050), 22050)  # one second at espeak's rate
    assert canceller.pending_reference() == pytest.approx(1.0, abs=0.01)
    canceller.process(AudioFrame(bytes(FRAME * 2), RATE, 0.0))
    assert canceller.pending_reference() == pytest.approx(0.97, abs=0.01)
    canceller.flush_reference()
    assert canceller.pending_reference() == 0.0


def test_reference_between_returns_what_played_under_the_microphone() -> None:
    canceller = EchoCanceller(RATE)
    tone = (np.sin(np.arange(RATE) * 2 * np.pi * 300 / RATE) * 8000).astype("<i2").tobytes()
    canceller.feed_reference(tone, RATE)
    for k in range(40):  # 1.2 s of microphone frames: 1 s of tone, then silence
        canceller.process(AudioFrame(bytes(FRAME * 2), RATE, k * 0.03))
    window = canceller.reference_between(0.5, 1.1)
    assert len(window) == int(0.6 * RATE) * 2
    assert window[: int(0.5 * RATE) * 2] == tone[int(0.5 * RATE) * 2 :]
    assert not any(window[int(0.5 * RATE) * 2 :])
    levels = canceller.last_levels
    assert levels.reference_dbfs == -math.inf and levels.mic_dbfs == -math.inf


def test_levels_describe_the_last_frame(anya_speech: tuple[bytes, int]) -> None:
    pcm, rate = anya_speech
    played = resample(pcm, rate, RATE)
    mic = simulate_room(played, RATE, delay_ms=50, gain_db=-6.0)
    canceller = EchoCanceller(RATE)
    canceller.feed_reference(pcm, rate)
    frame = AudioFrame(mic[: FRAME * 2], RATE, 0.0)
    canceller.process(frame)
    assert canceller.last_levels.mic_dbfs == pytest.approx(frame_dbfs(frame.pcm))
    assert canceller.last_levels.reference_dbfs == pytest.approx(
        frame_dbfs(played[: FRAME * 2]), abs=0.5
    )


def test_echo_similarity_tells_echo_from_other_sound() -> None:
    rng = np.random.default_rng(1)
    reference = rng.standard_normal(6400)
    echo = reference[3000:3480] * 0.3  # 30 ms of the reference, ~200 ms late
    other = rng.standard_normal(480)
    assert echo_similarity(echo, reference) > 0.99
    assert echo_similarity(other, reference) < 0.3
    assert echo_similarity(np.zeros(480), reference) == 0.0


def test_frames_of_the_wrong_size_are_rejected() -> None:
    with pytest.raises(AudioFormatError):
        EchoCanceller(RATE).process(AudioFrame(bytes(100), RATE, 0.0))


def tone_pcm(seconds: float, hz: float = 300.0) -> bytes:
    t = np.arange(int(seconds * RATE))
    return (np.sin(t * 2 * np.pi * hz / RATE) * 8000).astype("<i2").tobytes()


def process_silence(canceller: EchoCanceller, start: float, count: int) -> None:
    for k in range(count):
        canceller.process(AudioFrame(bytes(FRAME * 2), RATE, start + k * 0.03))


def test_reference_starts_where_capture_is_not_where_processing_is() -> None:
    """Frames captured before the speaker got the audio cannot hold its echo."""
    canceller = EchoCanceller(RATE)
    process_silence(canceller, 0.0, 2)  # processed up to 0.06 s...
    canceller.note_captured(0.36)  # ...while capture is 10 frames further
    assert canceller.captured_until == pytest.approx(0.36)
    tone = tone_pcm(0.3)
    canceller.feed_reference(tone, RATE)
    process_silence(canceller, 0.06, 30)
    assert not any(canceller.reference_between(0.0, 0.36))
    assert canceller.reference_between(0.36, 0.66) == tone
    assert not any(canceller.reference_between(0.66, 0.96))


def test_reference_queues_behind_what_still_plays_and_keeps_silent_gaps() -> None:
    canceller = EchoCanceller(RATE)
    first, second, third = tone_pcm(0.3), tone_pcm(0.3, 500.0), tone_pcm(0.15, 700.0)
    canceller.note_captured(0.0)
    canceller.feed_reference(first, RATE)
    canceller.note_captured(0.12)  # still playing the first: the second queues behind it
    canceller.feed_reference(second, RATE)
    canceller.note_captured(0.9)  # the speaker has been silent 0.3 s
    canceller.feed_reference(third, RATE)
    process_silence(canceller, 0.0, 40)
    assert canceller.reference_between(0.0, 0.3) == first
    assert canceller.reference_between(0.3, 0.6) == second
    assert not any(canceller.reference_between(0.6, 0.9))
    assert canceller.reference_between(0.9, 1.05) == third


def test_flush_keeps_the_reference_of_audio_already_captured() -> None:
    """Barge-in: the echo of what played is still in frames waiting to be processed."""
    canceller = EchoCanceller(RATE)
    tone = tone_pcm(1.0)
    canceller.note_captured(0.0)
    canceller.feed_reference(tone, RATE)
    canceller.note_captured(0.48)
    canceller.flush_reference()
    assert canceller.pending_reference() == pytest.approx(0.48, abs=0.001)
    process_silence(canceller, 0.0, 30)
    assert canceller.reference_between(0.0, 0.48) == tone[: int(0.48 * RATE) * 2]
    assert not any(canceller.reference_between(0.48, 0.9))


def test_reference_under_frames_never_processed_is_dropped() -> None:
    """Paused listening skips frames: their reference must not shift onto later ones."""
    canceller = EchoCanceller(RATE)
    tone = tone_pcm(1.0)
    canceller.note_captured(0.0)
    canceller.feed_reference(tone, RATE)
    process_silence(canceller, 0.6, 2)
    start = int(0.6 * RATE) * 2
    assert canceller.reference_between(0.6, 0.66) == tone[start : start + FRAME * 4]
    assert canceller.pending_reference() == pytest.approx(0.34, abs=0.001)


def test_a_microphone_clock_that_starts_over_does_not_strand_the_reference() -> None:
    canceller = EchoCanceller(RATE)
    process_silence(canceller, 100.0, 2)  # a long-running stream...
    tone = tone_pcm(0.3)
    canceller.feed_reference(tone, RATE)
    process_silence(canceller, 0.0, 10)  # ...replaced by one whose clock starts at 0
    assert canceller.reference_between(0.0, 0.3) == tone
