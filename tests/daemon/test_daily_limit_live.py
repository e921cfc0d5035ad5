"""The parent's daily limit in the live loop: once today's talk is used up, «Аня» gets
the kind goodbye and no conversation, until the next day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kiosk.daemon.commands import DaemonCommands
from kiosk.daemon.policy import CHILD_SPEECH_MARK, LIMIT_LINE, REPLY_AUDIO_MARK
from kiosk.events import State

from .harness import DEMO, Running, StartLive, speech

pytestmark = pytest.mark.slow


def _child_turns(running: Running) -> list[str]:
    rows = running.live.core.store.db.execute(
        "SELECT text FROM turns WHERE role = 'child' ORDER BY id"
    ).fetchall()
    return [row[0] for row in rows]


def _talk_earlier_today(running: Running, seconds: float) -> None:
    """A conversation from this morning, stored as the daemon stores one."""
    core = running.live.core
    store = core.store
    conversation = store.start_conversation(core.persona.id, source="voice")
    store.add_turn(conversation, "child", "Расскажи сказку про кота.", source="voice")
    store.add_turn(
        conversation,
        "avatar",
        "Жил-был кот, который очень любил рисовать.",
        source="voice",
        timings={CHILD_SPEECH_MARK: 3000.0, REPLY_AUDIO_MARK: (seconds - 3.0) * 1000.0},
    )
    store.end_conversation(conversation)


def test_the_limit_is_said_once_used_up_and_lifts_the_next_day(
    start_live: StartLive, festival_wav: Any
) -> None:
    today = datetime.now().astimezone()
    clock = [today]
    running = start_live(clock=lambda: clock[0], general={"daily_limit_min": 1})
    live = running.live
    _talk_earlier_today(running, seconds=58.0)
    assert live.policy.minutes_left() == pytest.approx(2 / 60, abs=0.05)

    # Two seconds are left: this question is answered, and its talk goes past the minute.
    running.mic.say(speech(DEMO / "02_risovat.wav"))
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=90)
    assert live.policy.minutes_left() == 0.0
    assert LIMIT_LINE not in running.speaker.texts()
    asked = _child_turns(running)
    assert "рисовать" in asked[-1].lower()

    # The next «Аня, …» hears the goodbye instead of an answer, and she goes to sleep.
    running.mic.say(speech(DEMO / "03_zagadka.wav"))
    running.wait(lambda: LIMIT_LINE in running.speaker.texts(), timeout=60)
    running.wait(lambda: running.idle() and live.state == State.SLEEPING)
    assert _child_turns(running) == asked
    assert any("лимит" in n for n in DaemonCommands(live).status()["notices"])

    # And so does the one after it: still no conversation today.
    running.mic.say(speech(festival_wav("Аня, расскажи мне сказку!")))
    running.wait(lambda: running.speaker.texts().count(LIMIT_LINE) == 2, timeout=60)
    running.wait(lambda: running.idle() and live.state == State.SLEEPING)
    assert live.turns == 1 and _child_turns(running) == asked

    # The next day the same child is answered again.
    clock[0] = today + timedelta(days=1)
    running.mic.say(speech(DEMO / "04_skolko_let.wav"))
    running.wait(lambda: live.turns == 2 and running.idle(), timeout=90)
    assert _child_turns(running)[:-1] == asked
    assert "сколько" in _child_turns(running)[-1].lower()
    assert running.speaker.texts().count(LIMIT_LINE) == 2
