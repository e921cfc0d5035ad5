"""Running numbers of the daemon: turns and talk time today, the last turn, errors, FPS."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.daemon.pipeline import TurnResult
    from kiosk.events import StageError
    from kiosk.store import Store

__all__ = ["DaemonStats", "FpsMeter"]


def _now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class FpsMeter:
    """Frames per second over a sliding window; ``tick`` from the render loop, read anywhere."""

    def __init__(self, window_s: float = 2.0) -> None:
        """Average over the last ``window_s`` seconds."""
        self.window_s = window_s
        self._ticks: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        """One frame was shown."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._ticks.append(now)
            while self._ticks and now - self._ticks[0] > self.window_s:
                self._ticks.popleft()

    def fps(self, now: float | None = None) -> float:
        """Frames per second over the window (0 before two frames, or when frames stop)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            ticks = [t for t in self._ticks if now - t <= self.window_s]
        if len(ticks) < 2:
            return 0.0
        return round((len(ticks) - 1) / (ticks[-1] - ticks[0]), 1) if ticks[-1] > ticks[0] else 0.0


@dataclass
class DaemonStats:
    """Counters the control socket reports; the day rolls over at local midnight."""

    started: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the daemon started."""
    day: date = field(default_factory=date.today)
    """The day the counters below belong to."""
    turns_today: int = 0
    """The child's turns answered today."""
    talk_seconds_today: float = 0.0
    """Seconds of Аня's speech today."""
    last_turn: dict[str, Any] | None = None
    """``{"text", "reply", "timings_ms", "at"}`` of the latest turn."""
    errors: collections.deque[dict[str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=20)
    )
    """The latest stage errors, oldest first: ``{"at", "stage", "message"}``."""

    @classmethod
    def from_store(cls, store: Store) -> DaemonStats:
        """Start with today's turns already in the database (after a restart)."""
        stats = cls()
        midnight = datetime.combine(date.today(), datetime.min.time()).astimezone()
        from kiosk.store.records import format_time

        rows = store.db.execute(
            "SELECT count(*) FROM turns WHERE role = 'child' AND created_at >= ?",
            [format_time(midnight)],
        ).fetchone()
        stats.turns_today = int(rows[0]) if rows else 0
        return stats

    def _roll_day(self) -> None:
        today = date.today()
        if today != self.day:
            self.day = today
            self.turns_today = 0
            self.talk_seconds_today = 0.0

    @property
    def uptime_s(self) -> float:
        """Seconds since the daemon started."""
        return round(time.monotonic() - self.started, 1)

    def add_turn(self, result: TurnResult) -> dict[str, Any]:
        """Count a finished turn; returns its ``last_turn`` record."""
        self._roll_day()
        self.turns_today += 1
        self.talk_seconds_today += sum(audio.duration for _, audio in result.speech)
        self.last_turn = {
            "text": result.user_text,
            "reply": result.reply,
            "timings_ms": dict(result.timings),
            "at": _now_iso(),
        }
        return self.last_turn

    def add_speech(self, seconds: float) -> None:
        """Count speech outside a turn (``speak`` from the TUI)."""
        self._roll_day()
        self.talk_seconds_today += seconds

    def add_error(self, error: StageError) -> dict[str, str]:
        """Remember a stage error; returns its record."""
        record = {"at": _now_iso(), "stage": error.stage, "message": error.message}
        self.errors.append(record)
        return record

    def snapshot(self) -> dict[str, Any]:
        """The counters as the ``status`` result has them."""
        self._roll_day()
        return {
            "uptime_s": self.uptime_s,
            "turns_today": self.turns_today,
            "talk_seconds_today": round(self.talk_seconds_today, 1),
            "last_turn": self.last_turn,
            "errors": list(self.errors),
        }
