"""A live loop in-process: a scripted microphone, a fast playback clock, real stages."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.audio.wav import TimelineSpeaker, read_wav, resample
from kiosk.daemon.loop import LiveLoop
from kiosk.events import AudioFrame, SpeechAudio, StateChanged

DEMO = Path(__file__).resolve().parents[2] / "content" / "demo"
RATE = 16000
FRAME = 480  # 30 ms


class ScriptedMic:
    """An ``AudioIn`` for absent hardware: silence, and what the test says into it."""

    sample_rate = RATE
    frame_samples = FRAME

    def __init__(self, pace: float = 4.0) -> None:
        self._said: queue.Queue[bytes] = queue.Queue()
        self._closed = threading.Event()
        self._pace = pace  # frames come this many times faster than real time

    def say(self, pcm: bytes) -> None:
        """Queue speech (16 kHz s16) followed by a second of silence."""
        self._said.put(pcm + bytes(RATE * 2))

    def frames(self) -> Iterator[AudioFrame]:
        """Frames of queued speech, else silence, until ``close``."""
        emitted = 0
        buffer = b""
        while not self._closed.is_set():
            if not buffer:
                try:
                    buffer = self._said.get_nowait()
                except queue.Empty:
                    buffer = bytes(FRAME * 2)
            chunk, buffer = buffer[: FRAME * 2], buffer[FRAME * 2 :]
            chunk = chunk.ljust(FRAME * 2, b"\0")
            yield AudioFrame(pcm=chunk, sample_rate=RATE, timestamp=emitted / RATE)
            emitted += FRAME
            time.sleep(FRAME / RATE / self._pace)

    def close(self) -> None:
        """Stop ``frames``."""
        self._closed.set()


class FastSpeaker:
    """A virtual-clock speaker (no sound card here) whose clock runs ``speed``× wall time."""

    def __init__(self, speed: float = 8.0) -> None:
        self.timeline = TimelineSpeaker(22050)
        self.sample_rate = 22050
        self.speed = speed
        self._wall = time.perf_counter()

    def position(self) -> float:
        """Seconds on the clock."""
        now = (time.perf_counter() - self._wall) * self.speed
        self.timeline.set_now(now)
        return now

    def play(self, audio: SpeechAudio) -> float:
        """Schedule ``audio``."""
        self.position()
        return self.timeline.play(audio)

    def pending(self) -> float:
        """Seconds scheduled ahead of the clock."""
        self.position()
        return self.timeline.pending()

    def flush(self) -> None:
        """Drop what has not played."""
        self.position()
        self.timeline.flush()

    def close(self) -> None:
        """Nothing to release."""

    def texts(self) -> list[str]:
        """Texts of everything played so far."""
        return [item.audio.text for item in self.timeline.timeline]


def speech(path: Path) -> bytes:
    """A WAV as 16 kHz s16 PCM."""
    pcm, rate = read_wav(path)
    return resample(pcm, rate, RATE)


@dataclass
class Running:
    """A live loop running on its own thread."""

    live: LiveLoop
    mic: Any
    speaker: FastSpeaker
    states: list[StateChanged] = field(default_factory=list)
    thread: threading.Thread | None = None

    def wait(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until ``predicate()`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; states: {[(s.state, s.reason) for s in self.states]}")

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` (a function or coroutine function) on the loop's thread; its result."""
        loop = self.live._loop
        assert loop is not None
        if asyncio.iscoroutinefunction(fn):
            return asyncio.run_coroutine_threadsafe(fn(*args), loop).result(60)
        done: queue.Queue[Any] = queue.Queue()
        loop.call_soon_threadsafe(lambda: done.put(fn(*args)))
        return done.get(timeout=30)

    def idle(self) -> bool:
        """No reply is being worked on or played."""
        return not self.live.busy() and not self.live.tasks

    def stop(self) -> None:
        """Stop the loop and wait for its thread."""
        self.live.stop()
        if self.thread is not None:
            self.thread.join(20)


StartLive = Callable[..., Running]
