"""ResilientSource: the microphone is unplugged and plugged back; capture never stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.base import AudioIn
from kiosk.audio.resilient import LOST, RESTORED, ResilientSource
from kiosk.audio.wav import WavFileSource, write_wav
from kiosk.errors import AudioDeviceLost, AudioFormatError
from kiosk.events import AudioFrame

RATE = 16000
FRAME_S = 0.03


@pytest.fixture
def tone_wav(tmp_path: Path) -> Path:
    """Three seconds of a 440 Hz tone: every real frame is loud, silence is easy to tell."""
    t = np.arange(3 * RATE) / RATE
    pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes()
    path = tmp_path / "tone.wav"
    write_wav(path, pcm, RATE)
    return path


class UsbMicrophone:
    """A stand-in for the absent USB microphone: a WAV file that can be "unplugged".

    While plugged, ``open`` gives a source reading the file in real time; after
    ``lose_after`` frames that source raises ``AudioDeviceLost`` (the device
    vanished) and the microphone counts as unplugged until ``plug_in``.
    """

    def __init__(self, wav: Path, *, lose_after: int | None = None, plugged: bool = True) -> None:
        self.wav = wav
        self.lose_after = lose_after
        self.plugged = plugged
        self.opened = 0
        self.end_quietly = False

    def plug_in(self) -> None:
        self.plugged = True

    def open(self) -> AudioIn:
        if not self.plugged:
            raise AudioDeviceLost("Микрофон «USB» не найден", "подключите его")
        self.opened += 1
        return _FlakySource(self)


class _FlakySource(WavFileSource):
    def __init__(self, mic: UsbMicrophone) -> None:
        super().__init__(mic.wav, sample_rate=RATE, frame_ms=30, realtime=True)
        self.mic = mic
        self.lose_after = mic.lose_after
        mic.lose_after = None  # only the first opened source fails

    def frames(self) -> Iterator[AudioFrame]:
        for index, frame in enumerate(super().frames()):
            if self.lose_after is not None and index >= self.lose_after:
                self.mic.plugged = False
                if self.mic.end_quietly:
                    return
                raise AudioDeviceLost("Микрофон «USB» отключился", "подключите его снова")
            yield frame


def collect(source: ResilientSource, until: int, on_frame=None) -> list[AudioFrame]:
    frames: list[AudioFrame] = []
    for frame in source.frames():
        frames.append(frame)
        if on_frame is not None:
            on_frame(frames)
        if len(frames) >= until:
            source.close()
    return frames


def is_silent(frame: AudioFrame) -> bool:
    return not any(frame.pcm)


def assert_contiguous(frames: list[AudioFrame]) -> None:
    stamps = np.array([f.timestamp for f in frames])
    assert np.allclose(np.diff(stamps), FRAME_S), "timestamps must advance one frame at a time"


def plug_in_later(mic: UsbMicrophone, delay: float) -> threading.Timer:
    timer = threading.Timer(delay, mic.plug_in)
    timer.start()
    return timer


def test_frames_keep_flowing_through_an_unplug_and_recover(tone_wav: Path) -> None:
    mic = UsbMicrophone(tone_wav, lose_after=10)
    states: list[str] = []
    source = ResilientSource(mic.open, retry_s=0.05, on_state=states.append)
    timer: list[threading.Timer] = []

    def replug_once_lost(frames: list[AudioFrame]) -> None:
        if states == [LOST] and not timer:
            timer.append(plug_in_later(mic, 0.3))

    frames = collect(source, until=40, on_frame=replug_once_lost)

    assert states == [LOST, RESTORED]
    assert mic.opened == 2
    assert_contiguous(frames)
    pattern = "".join("s" if is_silent(f) else "a" for f in frames)
    # Ten frames of sound, silence while unplugged, then sound again to the end.
    assert pattern.startswith("a" * 10 + "s")
    gap = pattern[10:].index("a")
    assert 8 <= gap <= 20, f"~0.3 s of silence expected, got {gap} frames"
    assert set(pattern[10 + gap :]) == {"a"}


def test_silence_comes_at_the_microphones_pace(tone_wav: Path) -> None:
    mic = UsbMicrophone(tone_wav, plugged=False)
    source = ResilientSource(mic.open, retry_s=10.0)
    started = time.monotonic()
    frames = collect(source, until=10)
    elapsed = time.monotonic() - started
    assert all(is_silent(f) for f in frames)
    assert 0.25 <= elapsed <= 0.6, f"10 frames of 30 ms took {elapsed:.2f} s"


def test_missing_at_start_is_reported_and_recovers(tone_wav: Path) -> None:
    mic = UsbMicrophone(tone_wav, plugged=False)
    states: list[str] = []
    source = ResilientSource(mic.open, retry_s=0.05, on_state=states.append)
    assert states == [LOST] and not source.connected
    plug_in_later(mic, 0.2)
    frames = collect(source, until=15)
    assert states == [LOST, RESTORED]
    assert is_silent(frames[0]) and not is_silent(frames[-1])
    assert_contiguous(frames)


def test_a_source_that_just_stops_counts_as_lost(tone_wav: Path) -> None:
    mic = UsbMicrophone(tone_wav, lose_after=5)
    mic.end_quietly = True
    states: list[str] = []
    source = ResilientSource(mic.open, retry_s=0.05, on_state=states.append)
    plug_in_later(mic, 0.5)  # well after the source stops at 0.15 s
    frames = collect(source, until=30)
    assert states[:2] == [LOST, RESTORED]
    assert not is_silent(frames[-1])
    assert_contiguous(frames)


def test_close_while_lost_stops_promptly(tone_wav: Path) -> None:
    mic = UsbMicrophone(tone_wav, plugged=False)
    source = ResilientSource(mic.open, retry_s=0.05)
    threading.Timer(0.2, source.close).start()
    started = time.monotonic()
    frames = list(source.frames())
    assert time.monotonic() - started < 1.0
    assert frames and all(is_silent(f) for f in frames)
    assert mic.opened == 0


def test_a_failing_state_callback_does_not_stop_capture(tone_wav: Path) -> None:
    mic = UsbMicrophone(tone_wav, lose_after=3)

    def broken(state: str) -> None:
        raise ValueError(state)

    source = ResilientSource(mic.open, retry_s=0.05, on_state=broken)
    plug_in_later(mic, 0.4)  # well after the loss at 0.09 s
    frames = collect(source, until=30)
    assert len(frames) == 30 and not is_silent(frames[-1])
    assert mic.opened == 2


def test_a_source_in_another_format_is_rejected(tone_wav: Path) -> None:
    def open_8k() -> AudioIn:
        return WavFileSource(tone_wav, sample_rate=8000, frame_ms=30)

    with pytest.raises(AudioFormatError):
        ResilientSource(open_8k)


def test_implements_audio_in(tone_wav: Path) -> None:
    source = ResilientSource(UsbMicrophone(tone_wav).open)
    assert isinstance(source, AudioIn)
    source.close()
