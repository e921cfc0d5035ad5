from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio import list_devices, make_audio_in, make_audio_out
from kiosk.audio.base import AudioOut
from kiosk.audio.portaudio import (
    PA_CONTINUE,
    CaptureQueue,
    PlaybackQueue,
    PyAudioSource,
    PyAudioSpeaker,
    select_device,
)
from kiosk.audio.wav import TimelineSpeaker, WavFileSource, float_to_pcm, write_wav
from kiosk.config import Settings
from kiosk.errors import AudioDeviceLost
from kiosk.events import LipSyncTrack, SpeechAudio

DEVICES = [
    {"index": 0, "name": "HDA Intel PCH: ALC892 Analog (hw:0,0)", "maxInputChannels": 2,
     "maxOutputChannels": 2, "defaultSampleRate": 44100.0},
    {"index": 1, "name": "USB PnP Sound Device: Audio (hw:1,0)", "maxInputChannels": 1,
     "maxOutputChannels": 0, "defaultSampleRate": 48000.0},
    {"index": 2, "name": "HDMI 0", "maxInputChannels": 0, "maxOutputChannels": 8,
     "defaultSampleRate": 48000.0},
]  # fmt: skip


def speech(samples: int, rate: int, value: int = 1000) -> SpeechAudio:
    pcm = np.full(samples, value, dtype="<i2").tobytes()
    return SpeechAudio(pcm=pcm, sample_rate=rate, text="x", index=0, track=LipSyncTrack(100, ()))


@pytest.mark.parametrize(
    ("spec", "kind", "default", "expected"),
    [
        ("", "input", 1, 1),
        ("", "output", None, 0),
        ("usb", "input", None, 1),
        ("HDMI", "output", None, 2),
        ("0", "input", None, 0),
        (" 2 ", "output", None, 2),
    ],
)
def test_select_device_by_default_name_or_index(spec, kind, default, expected):
    assert select_device(DEVICES, spec, kind, default)["index"] == expected


@pytest.mark.parametrize(("spec", "kind"), [("hdmi", "input"), ("usb", "output"), ("7", "input")])
def test_select_device_names_what_exists_when_nothing_fits(spec, kind):
    with pytest.raises(AudioDeviceLost) as err:
        select_device(DEVICES, spec, kind)
    assert spec.strip() in err.value.message
    assert "ALC892" in err.value.hint


def test_no_devices_at_all_is_a_clear_error():
    with pytest.raises(AudioDeviceLost, match="нет"):
        select_device([], "", "output")


def test_list_devices_never_raises():
    devices = list_devices()
    assert isinstance(devices, list)
    assert all({"index", "name", "inputs", "outputs"} <= set(d) for d in devices)


@pytest.mark.skipif(bool(list_devices()), reason="this machine has sound devices")
def test_opening_devices_without_a_sound_card_reports_device_lost():
    with pytest.raises(AudioDeviceLost):
        PyAudioSpeaker()
    with pytest.raises(AudioDeviceLost):
        PyAudioSource("usb")


@pytest.mark.skipif(bool(list_devices()), reason="this machine has sound devices")
def test_factories_fall_back_without_a_sound_card(tmp_path):
    settings = Settings()
    speaker = make_audio_out(settings, headless=False)
    assert isinstance(speaker, TimelineSpeaker) and speaker.realtime
    with pytest.raises(AudioDeviceLost) as err:
        make_audio_in(settings)
    assert "--file" in err.value.hint


def test_factories_give_file_source_and_virtual_speaker(tmp_path):
    write_wav(tmp_path / "q.wav", bytes(3200), 16000)
    settings = Settings()
    source = make_audio_in(settings, tmp_path / "q.wav")
    assert isinstance(source, WavFileSource) and source.frame_samples == 480
    speaker = make_audio_out(settings, headless=True)
    assert isinstance(speaker, TimelineSpeaker) and not speaker.realtime


def test_playback_clock_advances_by_frames_played_and_plays_silence_when_idle():
    queue = PlaybackQueue(16000)
    out, flag = queue.callback(None, 160, None, 0)
    assert flag == PA_CONTINUE and out == bytes(320)
    assert queue.position() == pytest.approx(0.01)
    start = queue.play(speech(400, 16000))
    assert start == pytest.approx(0.01)
    assert queue.pending() == pytest.approx(400 / 16000)
    first, _ = queue.callback(None, 300, None, 0)
    second, _ = queue.callback(None, 300, None, 0)
    samples = np.frombuffer(first + second, dtype="<i2")
    assert np.all(samples[:400] == 1000) and np.all(samples[400:] == 0)
    assert len(samples) == 600
    assert queue.position() == pytest.approx(760 / 16000)
    assert queue.pending() == 0.0


def test_play_returns_start_after_what_is_queued():
    queue = PlaybackQueue(16000)
    queue.callback(None, 1600, None, 0)
    assert queue.play(speech(8000, 16000)) == pytest.approx(0.1)
    assert queue.play(speech(8000, 16000)) == pytest.approx(0.6)


def test_position_subtracts_output_latency():
    queue = PlaybackQueue(16000, latency=0.05)
    queue.callback(None, 160, None, 0)
    assert queue.position() == 0.0
    queue.callback(None, 1600, None, 0)
    assert queue.position() == pytest.approx(0.11 - 0.05)


def test_flush_empties_queue_and_clock_keeps_running():
    queue = PlaybackQueue(16000)
    queue.play(speech(16000, 16000))
    queue.callback(None, 100, None, 0)
    queue.flush()
    assert queue.pending() == 0.0
    out, _ = queue.callback(None, 100, None, 0)
    assert out == bytes(200)
    assert queue.position() == pytest.approx(200 / 16000)


def test_playback_resamples_and_applies_volume():
    queue = PlaybackQueue(48000, volume=0.5)
    queue.play(speech(16000, 16000, value=10000))
    assert queue.pending() == pytest.approx(1.0, abs=1e-3)
    out, _ = queue.callback(None, 24000, None, 0)
    middle = np.frombuffer(out, dtype="<i2")[12000:12100]
    assert np.all(np.abs(middle - 5000) < 50)


def test_capture_queue_assembles_exact_frames_with_timestamps():
    capture = CaptureQueue(16000, 16000, frame_ms=30)
    for _ in range(5):  # PortAudio hands over 256-sample blocks, not frames
        assert capture.callback(bytes(512), 256, None, 0) == (None, PA_CONTINUE)
    capture.end()
    frames = list(capture.frames(timeout=0.5))
    assert [len(f.pcm) for f in frames] == [960, 960]
    assert [f.timestamp for f in frames] == pytest.approx([0.0, 0.03])


def test_capture_queue_resamples_device_rate():
    capture = CaptureQueue(48000, 16000, frame_ms=20)
    block = float_to_pcm(np.full(4800, 0.3))
    for _ in range(10):  # one second at 48 kHz
        capture.callback(block, 4800, None, 0)
    capture.end()
    frames = list(capture.frames(timeout=0.5))
    assert all(f.sample_rate == 16000 and len(f.pcm) == 640 for f in frames)
    assert len(frames) >= 45  # soxr keeps a few ms in its filter until the stream ends


def test_silent_capture_device_is_reported_lost():
    capture = CaptureQueue(16000)
    with pytest.raises(AudioDeviceLost):
        next(capture.frames(timeout=0.05))


def test_capture_overflow_drops_and_counts():
    capture = CaptureQueue(16000, max_chunks=2)
    for _ in range(5):
        capture.callback(bytes(64), 32, None, 0)
    assert capture.overflows == 3


def test_timeline_speaker_satisfies_the_protocol():
    assert isinstance(TimelineSpeaker(), AudioOut)
