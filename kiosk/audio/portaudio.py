"""The live microphone and speaker over PortAudio (pyaudio).

PortAudio callbacks only copy bytes: ``CaptureQueue.callback`` stores what the
microphone delivered, ``PlaybackQueue.callback`` hands out queued speech (or silence)
and counts frames, which is the playback clock. Both can be driven without hardware
by calling the callback directly, which is how the tests exercise them.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

from kiosk.errors import AudioDeviceLost
from kiosk.events import AudioFrame, SpeechAudio
from kiosk.quiet import quiet_stderr

__all__ = [
    "CaptureQueue",
    "PlaybackQueue",
    "PyAudioSource",
    "PyAudioSpeaker",
    "open_portaudio",
    "select_device",
]

_LOGGER = logging.getLogger(__name__)

PA_CONTINUE = 0
"""``pyaudio.paContinue``: keep the stream running (kept here so the queues need no pyaudio)."""

_INSTALL_HINT = "установите PyAudio: pip install pyaudio==0.2.14 (нужен пакет portaudio19-dev)"


def open_portaudio() -> Any:
    """A ``pyaudio.PyAudio`` instance (terminate it when done); ``AudioDeviceLost`` if unusable."""
    try:
        import pyaudio
    except ImportError as exc:
        raise AudioDeviceLost("PyAudio не установлен, звук недоступен", _INSTALL_HINT) from exc
    with quiet_stderr():
        return pyaudio.PyAudio()


def _devices(pa: Any) -> list[dict[str, Any]]:
    with quiet_stderr():
        return [pa.get_device_info_by_index(i) for i in range(pa.get_device_count())]


def _default_index(pa: Any, kind: Literal["input", "output"]) -> int | None:
    try:
        with quiet_stderr():
            info = (
                pa.get_default_input_device_info()
                if kind == "input"
                else pa.get_default_output_device_info()
            )
    except OSError:
        return None
    return int(info["index"])


def select_device(
    devices: list[dict[str, Any]],
    spec: str,
    kind: Literal["input", "output"],
    default_index: int | None = None,
) -> dict[str, Any]:
    """Pick the device ``spec`` names (index or name substring; empty: the default).

    ``devices`` are PortAudio device-info dicts. Raises ``AudioDeviceLost`` naming the
    devices that exist when nothing fits.
    """
    channels_key = "maxInputChannels" if kind == "input" else "maxOutputChannels"
    usable = [d for d in devices if int(d.get(channels_key, 0)) > 0]
    what = "Микрофон" if kind == "input" else "Динамик"
    names = ", ".join(f"{d['index']}: {d['name']}" for d in usable) or "нет ни одного"
    setting = "audio.input_device" if kind == "input" else "audio.output_device"
    hint = f"подключите устройство или укажите другое в {setting} (доступны: {names})"
    spec = spec.strip()
    if not spec:
        chosen = [d for d in usable if d["index"] == default_index] or usable[:1]
        if not chosen:
            raise AudioDeviceLost(f"{what} не найден: звуковых устройств нет", hint)
        return chosen[0]
    if spec.isdigit():
        chosen = [d for d in usable if int(d["index"]) == int(spec)]
    else:
        chosen = [d for d in usable if spec.lower() in str(d["name"]).lower()]
    if not chosen:
        raise AudioDeviceLost(f"{what} «{spec}» не найден", hint)
    return chosen[0]


class CaptureQueue:
    """Bytes from the input callback → fixed-length 16-bit mono frames at ``sample_rate``."""

    def __init__(
        self, device_rate: int, sample_rate: int = 16000, frame_ms: int = 30, max_chunks: int = 500
    ) -> None:
        self.device_rate = device_rate
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * frame_ms // 1000
        self.overflows = 0
        """Chunks dropped because nobody read them in time."""
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_chunks)
        self._resampler: Any = None
        if device_rate != sample_rate:
            import soxr

            self._resampler = soxr.ResampleStream(device_rate, sample_rate, 1, dtype="int16")
        self._buffer = bytearray()
        self._emitted = 0

    def callback(
        self, in_data: bytes | None, frame_count: int, time_info: Any, status: int
    ) -> tuple[None, int]:
        """The PortAudio input callback: only copies the bytes into the queue."""
        if in_data:
            try:
                self._queue.put_nowait(bytes(in_data))
            except queue.Full:
                self.overflows += 1
        return None, PA_CONTINUE

    def end(self) -> None:
        """Wake the reader and make ``frames`` return (stream closed)."""
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def frames(self, timeout: float = 2.0) -> Iterator[AudioFrame]:
        """Yield frames as the callback delivers audio; ``AudioDeviceLost`` if it stops."""
        frame_bytes = self.frame_samples * 2
        while True:
            try:
                chunk = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AudioDeviceLost(
                    f"Микрофон замолчал: нет звука {timeout:.0f} с",
                    "проверьте, что микрофон подключён; киоск переподключится сам",
                ) from None
            if chunk is None:
                return
            if self._resampler is not None:
                samples = np.frombuffer(chunk, dtype="<i2")
                chunk = np.asarray(self._resampler.resample_chunk(samples), "<i2").tobytes()
            self._buffer += chunk
            while len(self._buffer) >= frame_bytes:
                pcm = bytes(self._buffer[:frame_bytes])
                del self._buffer[:frame_bytes]
                timestamp = self._emitted / self.sample_rate
                self._emitted += self.frame_samples
                yield AudioFrame(pcm=pcm, sample_rate=self.sample_rate, timestamp=timestamp)


class PlaybackQueue:
    """Queued speech for the output callback, and the clock counted from frames played."""

    def __init__(self, sample_rate: int, *, volume: float = 1.0, latency: float = 0.0) -> None:
        self.sample_rate = sample_rate
        self.volume = volume
        self.latency = latency
        """Seconds between handing a sample to PortAudio and hearing it."""
        self.frames_played = 0
        """Frames handed to the device since the stream opened (silence included)."""
        self._chunks: deque[bytes] = deque()
        self._head = 0  # bytes of _chunks[0] already played
        self._queued_frames = 0
        self._lock = threading.Lock()

    def play(self, audio: SpeechAudio) -> float:
        """Queue ``audio`` (resampled, volume applied); return when its first sample plays."""
        from kiosk.audio.wav import float_to_pcm, pcm_to_float, resample

        pcm = resample(audio.pcm, audio.sample_rate, self.sample_rate)
        if self.volume != 1.0:
            pcm = float_to_pcm(pcm_to_float(pcm) * self.volume)
        with self._lock:
            start = (self.frames_played + self._queued_frames) / self.sample_rate
            if pcm:
                self._chunks.append(pcm)
                self._queued_frames += len(pcm) // 2
        return start

    def position(self) -> float:
        """Seconds heard: frames played minus the device's output latency."""
        return max(0.0, self.frames_played / self.sample_rate - self.latency)

    def pending(self) -> float:
        """Seconds of queued audio not yet handed to the device."""
        return self._queued_frames / self.sample_rate

    def flush(self) -> None:
        """Drop everything queued; the clock keeps running."""
        with self._lock:
            self._chunks.clear()
            self._head = 0
            self._queued_frames = 0

    def callback(
        self, in_data: bytes | None, frame_count: int, time_info: Any, status: int
    ) -> tuple[bytes, int]:
        """The PortAudio output callback: ``frame_count`` frames of speech or silence."""
        wanted = frame_count * 2
        out = bytearray()
        with self._lock:
            while self._chunks and len(out) < wanted:
                head = self._chunks[0]
                take = head[self._head : self._head + wanted - len(out)]
                out += take
                self._head += len(take)
                if self._head >= len(head):
                    self._chunks.popleft()
                    self._head = 0
            self._queued_frames -= len(out) // 2
            self.frames_played += frame_count
        if len(out) < wanted:
            out += bytes(wanted - len(out))
        return bytes(out), PA_CONTINUE


class PyAudioSource:
    """The microphone: an ``AudioIn`` over a PortAudio input stream."""

    def __init__(self, device: str = "", *, sample_rate: int = 16000, frame_ms: int = 30) -> None:
        import pyaudio

        self._pa = open_portaudio()
        try:
            info = select_device(
                _devices(self._pa), device, "input", _default_index(self._pa, "input")
            )
            index = int(info["index"])
            rate = sample_rate
            try:
                with quiet_stderr():
                    self._pa.is_format_supported(
                        rate, input_device=index, input_channels=1, input_format=pyaudio.paInt16
                    )
            except ValueError:
                rate = int(info["defaultSampleRate"])
                _LOGGER.info(
                    "microphone %s: %d Hz, resampling to %d Hz", info["name"], rate, sample_rate
                )
            self._capture = CaptureQueue(rate, sample_rate, frame_ms)
            with quiet_stderr():
                self._stream = self._pa.open(
                    format=pyaudio.paInt16,
                    channels=1,
                    rate=rate,
                    input=True,
                    input_device_index=index,
                    frames_per_buffer=max(1, rate * frame_ms // 1000),
                    stream_callback=self._capture.callback,
                )
        except OSError as exc:
            self._pa.terminate()
            raise AudioDeviceLost(
                f"Не удалось открыть микрофон: {exc}", "проверьте подключение"
            ) from exc
        except BaseException:
            self._pa.terminate()
            raise
        self.name = str(info["name"])
        self.sample_rate = sample_rate
        self.frame_samples = self._capture.frame_samples
        self._closed = False

    def frames(self) -> Iterator[AudioFrame]:
        """Yield microphone frames until closed; ``AudioDeviceLost`` if the device vanishes."""
        for frame in self._capture.frames():
            yield frame
            if not self._closed and not self._stream.is_active():
                raise AudioDeviceLost(f"Микрофон «{self.name}» отключился", "подключите его снова")

    def close(self) -> None:
        """Stop the stream and release PortAudio."""
        if self._closed:
            return
        self._closed = True
        self._capture.end()
        with contextlib.suppress(OSError):
            self._stream.stop_stream()
            self._stream.close()
        self._pa.terminate()


class PyAudioSpeaker:
    """The speaker: an always-running PortAudio output stream (silence when idle)."""

    def __init__(self, device: str = "", *, volume: float = 0.9, buffer_ms: int = 20) -> None:
        import pyaudio

        self._pa = open_portaudio()
        try:
            info = select_device(
                _devices(self._pa), device, "output", _default_index(self._pa, "output")
            )
            rate = int(info["defaultSampleRate"])
            self._queue = PlaybackQueue(rate, volume=volume)
            with quiet_stderr():
                self._stream = self._pa.open(
                    format=pyaudio.paInt16,
                    channels=1,
                    rate=rate,
                    output=True,
                    output_device_index=int(info["index"]),
                    frames_per_buffer=max(1, rate * buffer_ms // 1000),
                    stream_callback=self._queue.callback,
                )
            self._queue.latency = float(self._stream.get_output_latency())
        except OSError as exc:
            self._pa.terminate()
            raise AudioDeviceLost(
                f"Не удалось открыть динамик: {exc}", "проверьте подключение"
            ) from exc
        except BaseException:
            self._pa.terminate()
            raise
        self.name = str(info["name"])
        self.sample_rate = rate
        self._closed = False

    def _check_alive(self) -> None:
        if not self._closed and not self._stream.is_active():
            raise AudioDeviceLost(f"Динамик «{self.name}» отключился", "подключите его снова")

    def play(self, audio: SpeechAudio) -> float:
        """Queue ``audio``; return the clock position of its first sample."""
        self._check_alive()
        return self._queue.play(audio)

    def position(self) -> float:
        """Seconds heard since the stream opened."""
        return self._queue.position()

    def pending(self) -> float:
        """Seconds queued, not yet played."""
        return self._queue.pending()

    def flush(self) -> None:
        """Barge-in: drop the queue; the stream keeps playing silence."""
        self._queue.flush()

    def close(self) -> None:
        """Stop the stream and release PortAudio."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._stream.stop_stream()
            self._stream.close()
        self._pa.terminate()
