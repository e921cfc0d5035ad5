"""Persistent sadness: tell the parent when the child has been sad over several turns.

The rule: **3 of the child's last 5 turns said within 7 days read as sad**
(``kiosk.brain.mood.detect_mood``). Why this one:

- one sad remark ("получила двойку") is ordinary and must not alarm the parent, but a
  child who comes back to it again and again, in one talk or across a few, is the
  pattern the parent wants to hear about;
- a window of turns rather than of days works for a child who talks a lot in one
  evening and for one who says two sentences a day; the 7-day bound keeps two sad
  days a month apart from counting as a streak;
- 3 of 5, not 3 in a row, because a sad child also says "да" and "не знаю".

One alert per streak: the alert is raised on the turn where the rule starts to hold
(it did not for the window ending one child turn earlier) and not again while it keeps
holding. It is stateless, read from the store, so a restart neither repeats nor loses it.
The alert is recorded like the safety check's: Аня's reply to that turn carries the
category ``sadness`` (the admin's alerts list reads it) and the journal gets a
"parent alert" warning. The child's reply is not changed: the mood rules already
answer sadness with empathy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from kiosk.brain.mood import detect_mood

if TYPE_CHECKING:
    from kiosk.store import Store

__all__ = [
    "SADNESS_ALERT",
    "SAD_TURNS",
    "WINDOW_DAYS",
    "WINDOW_TURNS",
    "sadness_streak_begins",
    "watch_sadness",
]

_LOGGER = logging.getLogger(__name__)

SADNESS_ALERT = "sadness"
"""The safety category of the parent alert for persistent sadness."""

WINDOW_TURNS = 5
"""How many of the child's latest turns the rule looks at."""

SAD_TURNS = 3
"""How many of them must read as sad."""

WINDOW_DAYS = 7
"""Turns older than this many days do not count."""


def _holds(moods: Sequence[str]) -> bool:
    return sum(mood == "sad" for mood in moods[-WINDOW_TURNS:]) >= SAD_TURNS


def sadness_streak_begins(moods: Sequence[str]) -> bool:
    """Whether the latest of ``moods`` (child turns, oldest first) starts a sad streak."""
    return bool(moods) and _holds(moods) and not _holds(moods[:-1])


def watch_sadness(store: Store, child_turn_id: int, *, now: datetime | None = None) -> int | None:
    """Raise the sadness alert when child turn ``child_turn_id`` starts a sad streak.

    Call it after Аня's reply to that turn is stored. Returns the id of the reply
    now carrying the alert, or None (no new streak, or no reply to mark).
    """
    since = (now or datetime.now(UTC)) - timedelta(days=WINDOW_DAYS)
    turns = [
        turn
        for turn in store.recent_turns(
            WINDOW_TURNS + 1, role="child", through_turn_id=child_turn_id
        )
        if turn.created_at >= since and turn.speaker != "parent"
    ]
    if not turns or turns[-1].id != child_turn_id:
        return None
    if not sadness_streak_begins([detect_mood(turn.text) for turn in turns]):
        return None
    reply = store.reply_to(child_turn_id)
    if reply is None:
        _LOGGER.warning(
            "parent alert (%s) not recorded: turn %d has no reply to mark",
            SADNESS_ALERT,
            child_turn_id,
            extra={"stage": "brain", "safety": SADNESS_ALERT},
        )
        return None
    if not store.flag_turn(reply.id, SADNESS_ALERT):
        return None  # the safety check already flagged this exchange: the parent sees it
    _LOGGER.warning(
        "parent alert (%s): the child has been sad in %d of the last %d turns",
        SADNESS_ALERT,
        sum(detect_mood(turn.text) == "sad" for turn in turns[-WINDOW_TURNS:]),
        len(turns[-WINDOW_TURNS:]),
        extra={"stage": "brain", "safety": SADNESS_ALERT, "turn": reply.id},
    )
    return reply.id
