"""Quiet hours and the daily limit, decided on a clock the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from kiosk.config import GeneralSettings
from kiosk.daemon.policy import (
    CHILD_SPEECH_MARK,
    LIMIT_LINE,
    QUIET_LINE,
    REPLY_AUDIO_MARK,
    TalkPolicy,
    in_quiet_hours,
)
from kiosk.store import Store


@pytest.mark.parametrize(
    ("now", "start", "end", "quiet"),
    [
        ("22:30", "21:00", "07:00", True),  # wraps midnight
        ("03:00", "21:00", "07:00", True),
        ("07:00", "21:00", "07:00", False),  # the end is not quiet any more
        ("20:59", "21:00", "07:00", False),
        ("13:30", "13:00", "15:00", True),  # a nap in the afternoon
        ("15:00", "13:00", "15:00", False),
        ("12:00", "", "", False),
    ],
)
def test_quiet_hours_may_wrap_midnight(now: str, start: str, end: str, quiet: bool) -> None:
    hours, minutes = map(int, now.split(":"))
    assert in_quiet_hours(time(hours, minutes), start, end) is quiet


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kiosk.db") as db:
        yield db


def _talk(store: Store, child_s: float, reply_s: float) -> None:
    conversation = store.start_conversation("anya")
    store.add_turn(conversation, "child", "Привет!", source="voice")
    store.add_turn(
        conversation,
        "avatar",
        "Привет! Я Аня.",
        source="voice",
        timings={CHILD_SPEECH_MARK: child_s * 1000, REPLY_AUDIO_MARK: reply_s * 1000},
    )


def test_the_daily_limit_counts_child_speech_and_replies_from_the_database(
    store: Store,
) -> None:
    now = datetime.now().astimezone()
    limit = GeneralSettings(daily_limit_min=1)
    _talk(store, child_s=20, reply_s=30)
    assert TalkPolicy(limit, store, lambda: now).refusal() is None
    assert TalkPolicy(limit, store, lambda: now).minutes_left() == pytest.approx(10 / 60, abs=0.05)
    _talk(store, child_s=5, reply_s=6)
    # A new policy object is a restarted daemon: the count comes from the stored turns.
    refusal = TalkPolicy(limit, store, lambda: now).refusal()
    assert refusal is not None and refusal.reason == "daily_limit"
    assert refusal.line == LIMIT_LINE and "лимит" in refusal.notice
    tomorrow = now + timedelta(days=1)
    assert TalkPolicy(limit, store, lambda: tomorrow).refusal() is None


def test_turns_stored_before_the_marks_are_estimated_from_their_text(store: Store) -> None:
    conversation = store.start_conversation("anya")
    store.add_turn(conversation, "avatar", "а" * 140)  # ~10 s of speech
    policy = TalkPolicy(GeneralSettings(), store)
    assert policy.talk_seconds_today() == pytest.approx(10.0)
    assert policy.minutes_left() is None  # no limit set


def test_quiet_hours_come_before_the_limit(store: Store) -> None:
    late = datetime(2026, 11, 25, 23, 0).astimezone()
    general = GeneralSettings(quiet_start="21:00", quiet_end="07:00", daily_limit_min=30)
    refusal = TalkPolicy(general, store, lambda: late).refusal()
    assert refusal is not None and refusal.line == QUIET_LINE
    assert refusal.notice == "тихие часы (21:00–07:00)"
    morning = late.replace(hour=8)
    assert TalkPolicy(general, store, lambda: morning).refusal() is None
