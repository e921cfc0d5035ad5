"""The daemon's frame loop on its own thread during a bench turn: the first frame, measured.

``kiosk run`` draws the avatar on the playback clock at ``avatar.fps`` (``render_loop``
in ``kiosk.daemon.live``): draw the pose at the clock, show it, report the frame to
the turn's ``FrameWatch``, sleep the rest of the frame. ``FrameLoop`` runs that loop
on a ``HeadlessDisplay`` while the bench's turn runs, so the first lip-synced frame
includes frame pacing and the loop's competition with STT, brain and TTS for the CPU.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.audio.base import AudioOut
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.daemon.pipeline import FrameWatch

__all__ = ["FIRST_FRAME_WAIT_S", "FrameLoop"]

FIRST_FRAME_WAIT_S = 2.0
"""Seconds to wait after a turn for the frame that shows its first sample."""


class FrameLoop:
    """``render_loop``'s draw → show → ``frame_watch.drawn`` → sleep, on a thread.

    Every frame shown is logged as (``time.perf_counter()`` after ``show``, playback
    ``t``), so the first frame at or after a start can be read after the turn too:
    the turn stops waiting for it once its audio is queued (``FrameWatch.clear``),
    the daemon's turn only once the reply has been heard.
    """

    def __init__(
        self,
        renderer: AvatarRenderer,
        animator: Animator,
        speaker: AudioOut,
        fps: int,
        watch: FrameWatch | None = None,
    ) -> None:
        from kiosk.avatar.display import HeadlessDisplay

        self.display = HeadlessDisplay()
        self._renderer = renderer
        self._animator = animator
        self._speaker = speaker
        self._frame_time = 1.0 / fps
        self._watch = watch
        self._stop = threading.Event()
        self._shown = threading.Condition()
        self._frames: list[tuple[float, float]] = []
        self._failure: list[BaseException] = []
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FrameLoop:
        self._thread = threading.Thread(target=self._run, name="bench-frames", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._failure:
            raise self._failure[0]

    @property
    def frames(self) -> int:
        """Frames shown so far."""
        return len(self._frames)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                started = time.perf_counter()
                t = self._speaker.position()
                self.display.show(self._renderer.draw(self._animator.pose_at(t), t), t)
                shown = time.perf_counter()
                if self._watch is not None:
                    self._watch.drawn(t)
                with self._shown:
                    self._frames.append((shown, t))
                    self._shown.notify_all()
                self._stop.wait(max(0.0, self._frame_time - (time.perf_counter() - started)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the owner's thread by __exit__
            self._failure.append(exc)
            with self._shown:
                self._shown.notify_all()

    def first_shown_at(self, start: float, timeout: float = FIRST_FRAME_WAIT_S) -> float | None:
        """``perf_counter`` when the first frame with ``t >= start`` was shown (waits for it).

        None when the loop shows none within ``timeout`` seconds (or has failed).
        """

        def found() -> Any:
            return next((shown for shown, t in self._frames if t >= start), None)

        with self._shown:
            self._shown.wait_for(
                lambda: found() is not None or bool(self._failure) or self._stop.is_set(),
                timeout=timeout,
            )
            result: float | None = found()
            return result
