"""The parent's limits on talk: quiet hours and a daily time limit.

When either applies, the wake word gets one short, kind line instead of a conversation
(the parent's own text and phrases from the TUI still work). Talk time is the child's
speech plus Аня's replies today, read from the stored turns so it survives a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import GeneralSettings
    from kiosk.store import Store

__all__ = [
    "CHILD_SPEECH_MARK",
    "REPLY_AUDIO_MARK",
    "Refusal",
    "TalkPolicy",
    "in_quiet_hours",
    "talk_seconds_since",
]

_LOGGER = logging.getLogger(__name__)

CHILD_SPEECH_MARK = "child_speech_ms"
"""Timing key on Аня's stored turn: milliseconds the child spoke (voice turns)."""
REPLY_AUDIO_MARK = "reply_audio_ms"
"""Timing key on Аня's stored turn: milliseconds of her reply that were played."""

_CHARS_PER_SECOND = 14.0
"""Russian speech at ~165 words per minute, for turns stored before the marks existed."""

QUIET_LINE = "Уже поздно, давай поговорим завтра! Спокойной ночи."
LIMIT_LINE = "На сегодня мы с тобой наговорились! Давай продолжим завтра. Пока-пока!"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why Аня will not talk now, and what she says instead."""

    reason: str
    """``quiet_hours`` or ``daily_limit``."""
    line: str
    """The short, kind line the child hears."""
    notice: str
    """The reason for the parent, in Russian (status and ``systemctl status``)."""


def _parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(now: time, start: str, end: str) -> bool:
    """True when ``now`` is in [start, end) ("HH:MM"); the span may wrap midnight.

    Empty ``start``/``end`` (or equal ones) mean no quiet hours.
    """
    if not start or not end or start == end:
        return False
    first, last = _parse_hhmm(start), _parse_hhmm(end)
    moment = now.replace(second=0, microsecond=0, tzinfo=None)
    if first < last:
        return first <= moment < last
    return moment >= first or moment < last


def talk_seconds_since(store: Store, since: datetime) -> float:
    """Seconds of talk (child speech + Аня's played replies) in turns stored after ``since``."""
    from kiosk.store.records import format_time

    rows = store.db.execute(
        "SELECT text, timings FROM turns WHERE role = 'avatar' AND created_at >= ?",
        [format_time(since)],
    ).fetchall()
    total = 0.0
    for text, raw in rows:
        try:
            timings = json.loads(raw or "{}")
        except ValueError:
            timings = {}
        total += float(timings.get(CHILD_SPEECH_MARK, 0.0)) / 1000.0
        if REPLY_AUDIO_MARK in timings:
            total += float(timings[REPLY_AUDIO_MARK]) / 1000.0
        else:
            total += len(text) / _CHARS_PER_SECOND
    return total


def _local_now() -> datetime:
    return datetime.now().astimezone()


class TalkPolicy:
    """Decides whether the child may talk now; the clock can be injected for tests."""

    def __init__(
        self,
        general: GeneralSettings,
        store: Store,
        clock: Callable[[], datetime] = _local_now,
    ) -> None:
        """Apply ``general``'s quiet hours and daily limit to the turns in ``store``."""
        self.general = general
        self.store = store
        self.clock = clock

    def talk_seconds_today(self) -> float:
        """Talk so far today (local day of the injected clock)."""
        now = self.clock()
        midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
        return talk_seconds_since(self.store, midnight)

    def refusal(self) -> Refusal | None:
        """None when talk is allowed now; else why not and what to say."""
        general = self.general
        now = self.clock()
        if in_quiet_hours(now.time(), general.quiet_start, general.quiet_end):
            return Refusal(
                "quiet_hours", QUIET_LINE, f"тихие часы ({general.quiet_start}–{general.quiet_end})"
            )
        if general.daily_limit_min:
            used = self.talk_seconds_today()
            if used >= general.daily_limit_min * 60:
                return Refusal(
                    "daily_limit",
                    LIMIT_LINE,
                    f"лимит на сегодня исчерпан ({used / 60:.0f} из {general.daily_limit_min} мин)",
                )
        return None

    def minutes_left(self) -> float | None:
        """Minutes of talk left today (None without a limit)."""
        if not self.general.daily_limit_min:
            return None
        left = self.general.daily_limit_min * 60 - self.talk_seconds_today()
        return round(max(0.0, left) / 60.0, 1)
