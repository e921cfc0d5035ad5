from __future__ import annotations

import numpy as np
import pytest
import soundfile

from kiosk.audio.base import AudioIn, AudioOut
from kiosk.audio.wav import (
    TimelineSpeaker,
    WavFileSource,
    float_to_pcm,
    pcm_to_float,
    read_wav,
    resample,
    write_wav,
)
from kiosk.errors import AudioFormatError
from kiosk.events import LipSyncTrack, SpeechAudio


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def speech(pcm: bytes, rate: int, index: int = 0) -> SpeechAudio:
    return SpeechAudio(
        pcm=pcm, sample_rate=rate, text="x", index=index, track=LipSyncTrack(100, ())
    )


def peak_frequency(pcm: bytes, rate: int) -> float:
    x = pcm_to_float(pcm)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_wav_round_trip_keeps_samples_and_rate(tmp_path):
    pcm = float_to_pcm(tone(440, 0.5, 16000))
    write_wav(tmp_path / "a.wav", pcm, 16000)
    assert read_wav(tmp_path / "a.wav") == (pcm, 16000)


def test_write_wav_leaves_no_temp_files(tmp_path):
    write_wav(tmp_path / "a.wav", b"\x01\x00" * 100, 8000)
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]


def test_float_pcm_conversion_clips_and_round_trips():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    back = pcm_to_float(float_to_pcm(x))
    assert back[0] == pytest.approx(-1.0, abs=1e-4) and back[-1] == pytest.approx(1.0, abs=1e-4)
    assert back[1:4] == pytest.approx([-0.5, 0.0, 0.5], abs=1e-4)


def test_read_wav_downmixes_stereo_flac(tmp_path):
    left, right = tone(440, 0.2, 22050, 0.4), np.zeros(int(0.2 * 22050))
    soundfile.write(tmp_path / "s.flac", np.stack([left, right], axis=1), 22050)
    pcm, rate = read_wav(tmp_path / "s.flac")
    assert rate == 22050
    assert np.max(np.abs(pcm_to_float(pcm))) == pytest.approx(0.2, abs=0.01)


def test_resample_48k_to_16k_keeps_duration_and_pitch():
    pcm = float_to_pcm(tone(440, 1.0, 48000))
    out = resample(pcm, 48000, 16000)
    assert len(out) // 2 == pytest.approx(16000, abs=2)
    assert peak_frequency(out, 16000) == pytest.approx(440, abs=2)


def test_resample_same_rate_is_identity():
    pcm = b"\x01\x02" * 10
    assert resample(pcm, 16000, 16000) is pcm


def test_text_file_named_wav_is_a_format_error(tmp_path):
    fake = tmp_path / "notes.wav"
    fake.write_text("это не звук", encoding="utf-8")
    with pytest.raises(AudioFormatError, match="не звуковой файл") as err:
        read_wav(fake)
    assert err.value.hint


@pytest.mark.parametrize("make", ["missing", "empty_file", "no_samples"])
def test_unusable_files_are_format_errors(tmp_path, make):
    path = tmp_path / "x.wav"
    if make == "empty_file":
        path.write_bytes(b"")
    elif make == "no_samples":
        soundfile.write(path, np.zeros(0), 16000)
    with pytest.raises(AudioFormatError):
        read_wav(path)


def test_file_source_frames_are_exact_and_last_is_padded(tmp_path):
    samples = 16000 + 100  # one second and a bit: the last frame is mostly padding
    write_wav(tmp_path / "a.wav", float_to_pcm(np.full(samples, 0.25)), 16000)
    source = WavFileSource(tmp_path / "a.wav", frame_ms=30)
    assert isinstance(source, AudioIn)
    frames = list(source.frames())
    assert {len(f.pcm) for f in frames} == {480 * 2}
    assert len(frames) == -(-samples // 480)
    stamps = [f.timestamp for f in frames]
    assert stamps == pytest.approx([i * 0.03 for i in range(len(frames))])
    last = np.frombuffer(frames[-1].pcm, dtype="<i2")
    tail = samples - (len(frames) - 1) * 480
    assert np.all(last[:tail] != 0) and np.all(last[tail:] == 0)


def test_file_source_delivers_44k_stereo_as_16k_mono(tmp_path):
    stereo = np.stack([tone(440, 1.0, 44100), tone(440, 1.0, 44100)], axis=1)
    soundfile.write(tmp_path / "s.wav", stereo, 44100)
    source = WavFileSource(tmp_path / "s.wav", sample_rate=16000, frame_ms=20)
    frames = list(source.frames())
    assert all(f.sample_rate == 16000 and len(f.pcm) == 320 * 2 for f in frames)
    assert len(frames) * 0.02 == pytest.approx(1.0, abs=0.021)
    joined = b"".join(f.pcm for f in frames)
    assert peak_frequency(joined, 16000) == pytest.approx(440, abs=3)


def test_file_source_close_stops_frames(tmp_path):
    write_wav(tmp_path / "a.wav", bytes(16000 * 2), 16000)
    source = WavFileSource(tmp_path / "a.wav")
    frames = source.frames()
    next(frames)
    source.close()
    assert list(frames) == []


def test_realtime_file_source_paces_frames(tmp_path):
    import time

    write_wav(tmp_path / "a.wav", bytes(int(0.3 * 16000) * 2), 16000)
    started = time.monotonic()
    count = sum(1 for _ in WavFileSource(tmp_path / "a.wav", realtime=True).frames())
    assert count == 10
    assert time.monotonic() - started >= 0.28


def test_timeline_places_chunks_back_to_back():
    speaker = TimelineSpeaker(16000)
    assert isinstance(speaker, AudioOut)
    one = speech(bytes(16000 * 2), 16000)  # 1 s
    assert speaker.play(one) == 0.0
    assert speaker.play(one) == pytest.approx(1.0)
    assert speaker.pending() == pytest.approx(2.0)
    speaker.advance_to(1.5)
    assert speaker.pending() == pytest.approx(0.5)


def test_timeline_leaves_a_gap_when_now_passed_the_end():
    speaker = TimelineSpeaker(16000)
    speaker.play(speech(bytes(16000), 16000))  # 0.5 s
    speaker.advance_to(2.0)
    assert speaker.play(speech(bytes(16000), 16000)) == pytest.approx(2.0)
    assert len(speaker.render()) // 2 == 2.5 * 16000


def test_timeline_resamples_speech_to_its_rate():
    speaker = TimelineSpeaker(16000)
    speaker.play(speech(float_to_pcm(tone(300, 1.0, 22050)), 22050))
    assert speaker.timeline[0].duration == pytest.approx(1.0, abs=1e-3)
    assert peak_frequency(speaker.render(), 16000) == pytest.approx(300, abs=2)


def test_flush_drops_future_chunks_and_cuts_the_playing_one():
    speaker = TimelineSpeaker(16000)
    for _ in range(3):
        speaker.play(speech(bytes(16000 * 2), 16000))
    speaker.advance_to(1.25)
    speaker.flush()
    chunks = speaker.timeline
    assert len(chunks) == 2
    assert chunks[1].end == pytest.approx(1.25)
    assert speaker.pending() == 0.0
    assert speaker.play(speech(bytes(3200), 16000)) == pytest.approx(1.25)


def test_render_puts_a_tone_at_its_scheduled_time():
    speaker = TimelineSpeaker(16000)
    speaker.set_now(1.5)
    speaker.play(speech(float_to_pcm(tone(440, 0.5, 16000)), 16000))
    track = pcm_to_float(speaker.render(duration=3.0))
    assert len(track) == 3 * 16000
    loud = np.flatnonzero(np.abs(track) > 0.05)
    assert loud[0] / 16000 == pytest.approx(1.5, abs=0.002)
    assert loud[-1] / 16000 == pytest.approx(2.0, abs=0.002)


def test_clock_cannot_be_advanced_backwards():
    speaker = TimelineSpeaker()
    speaker.advance_to(2.0)
    with pytest.raises(ValueError):
        speaker.advance_to(1.0)
    speaker.set_now(1.0)
    assert speaker.position() == 1.0


def test_realtime_timeline_clock_follows_wall_time():
    import time

    speaker = TimelineSpeaker(realtime=True)
    time.sleep(0.05)
    assert speaker.position() >= 0.05
    with pytest.raises(RuntimeError):
        speaker.set_now(0.0)
