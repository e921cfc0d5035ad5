"""A microphone that survives being unplugged: silence while it is gone, then it again.

``ResilientSource`` wraps whatever opens the real source (``PyAudioSource``).
When the source raises ``AudioDeviceLost`` or its frames stop without ``close``,
it reports "lost", keeps yielding silent frames at the normal pace (so the
timestamps, the endpointer and the daemon's watchdog keep going) and tries to
open the source again every ``retry_s`` seconds in a helper thread; when that
works it reports "restored" and yields the new source's frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from kiosk.audio.base import AudioIn
from kiosk.errors import AudioDeviceLost, AudioFormatError
from kiosk.events import AudioFrame

__all__ = ["LOST", "RESTORED", "ResilientSource"]

_LOGGER = logging.getLogger(__name__)

LOST = "lost"
"""State reported when the source went away (or could not be opened at start)."""
RESTORED = "restored"
"""State reported when a source opened again after being lost."""


class ResilientSource:
    """An ``AudioIn`` that reopens its source after the device disappears."""

    def __init__(
        self,
        open_source: Callable[[], AudioIn],
        *,
        retry_s: float = 2.0,
        on_state: Callable[[str], None] | None = None,
        sample_rate: int = 16000,
        frame_ms: int = 30,
    ) -> None:
        """Wrap ``open_source`` (called now and after every loss).

        ``on_state`` receives ``"lost"`` and ``"restored"``; it runs on the
        capture thread, so it must be quick (post a message, set a flag).
        ``sample_rate``/``frame_ms`` give the silence frames while no source is
        open; every opened source must deliver the same format.
        """
        self.retry_s = retry_s
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * frame_ms // 1000
        self.on_state = on_state
        self.losses = 0
        """How many times the source was lost."""
        self._open_source = open_source
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._source: AudioIn | None = None
        self._reopened: AudioIn | None = None
        self._reopener: threading.Thread | None = None
        self._emitted = 0
        try:
            self._source = self._open_checked()
        except (AudioDeviceLost, OSError) as exc:
            self._lose(exc)

    @property
    def connected(self) -> bool:
        """True while a real source is delivering frames."""
        return self._source is not None

    def frames(self) -> Iterator[AudioFrame]:
        """Yield frames until ``close``: the source's, or silence while it is lost."""
        while not self._closed.is_set():
            source = self._source
            if source is None:
                yield from self._silence_until_reopened()
                continue
            try:
                for frame in source.frames():
                    if self._closed.is_set():
                        return
                    yield self._restamp(frame.pcm)
            except (AudioDeviceLost, OSError) as exc:
                self._drop(source)
                self._lose(exc)
                continue
            if self._closed.is_set():
                return
            self._drop(source)
            self._lose(AudioDeviceLost("Микрофон перестал давать звук", "проверьте подключение"))

    def close(self) -> None:
        """Stop ``frames``, the reconnection attempts and the current source."""
        self._closed.set()
        with self._lock:
            sources = [s for s in (self._source, self._reopened) if s is not None]
            self._source = self._reopened = None
        for source in sources:
            source.close()
        reopener = self._reopener
        if reopener is not None and reopener is not threading.current_thread():
            reopener.join(timeout=self.retry_s + 1.0)

    # --- internals ----------------------------------------------------------------

    def _open_checked(self) -> AudioIn:
        source = self._open_source()
        if source.sample_rate != self.sample_rate or source.frame_samples != self.frame_samples:
            source.close()
            raise AudioFormatError(
                f"Микрофон даёт кадры {source.frame_samples} отсчётов при {source.sample_rate} Гц, "
                f"а нужно {self.frame_samples} при {self.sample_rate} Гц",
                "откройте источник с audio.sample_rate и audio.frame_ms из настроек",
            )
        return source

    def _restamp(self, pcm: bytes) -> AudioFrame:
        # Every source counts from 0; the stream's clock must not jump back.
        timestamp = self._emitted / self.sample_rate
        self._emitted += len(pcm) // 2
        return AudioFrame(pcm=pcm, sample_rate=self.sample_rate, timestamp=timestamp)

    def _drop(self, source: AudioIn) -> None:
        with self._lock:
            if self._source is source:
                self._source = None
        try:
            source.close()
        except (AudioDeviceLost, OSError) as exc:
            _LOGGER.debug("closing the lost source failed: %s", exc)

    def _lose(self, exc: Exception) -> None:
        self.losses += 1
        _LOGGER.warning(
            "microphone lost (%s); retrying every %.1f s",
            exc,
            self.retry_s,
            extra={"stage": "audio"},
        )
        self._report(LOST)
        self._reopener = threading.Thread(
            target=self._reopen_until_open, name="kiosk-mic-reopen", daemon=True
        )
        self._reopener.start()

    def _reopen_until_open(self) -> None:
        while not self._closed.wait(self.retry_s):
            try:
                source = self._open_checked()
            except (AudioDeviceLost, OSError) as exc:
                _LOGGER.debug("microphone still missing: %s", exc)
                continue
            except AudioFormatError:
                _LOGGER.exception("the reopened microphone is unusable; giving up")
                return
            with self._lock:
                if self._closed.is_set():
                    break
                self._reopened = source
                return
            source.close()  # closed while opening
            return

    def _silence_until_reopened(self) -> Iterator[AudioFrame]:
        silence = bytes(self.frame_samples * 2)
        frame_s = self.frame_samples / self.sample_rate
        next_at = time.monotonic() + frame_s
        while not self._closed.is_set():
            with self._lock:
                source, self._reopened = self._reopened, None
                if source is not None:
                    self._source = source
            if source is not None:
                _LOGGER.info("microphone restored", extra={"stage": "audio"})
                self._report(RESTORED)
                return
            # A microphone hands a frame over once all of it has been "heard".
            if self._closed.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at += frame_s
            yield self._restamp(silence)

    def _report(self, state: str) -> None:
        if self.on_state is None:
            return
        try:
            self.on_state(state)
        except Exception:  # a faulty observer must not stop the microphone
            _LOGGER.exception("state callback failed for %r", state)
