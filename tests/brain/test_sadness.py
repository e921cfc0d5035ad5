"""Persistent sadness: one parent alert per streak, on a real store, seen by the admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.admin.data import safety_alerts
from kiosk.brain import make_brain
from kiosk.brain.memory import Memory
from kiosk.brain.sadness import SADNESS_ALERT, sadness_streak_begins, watch_sadness
from kiosk.config import Settings
from kiosk.daemon.pipeline import TurnRunner
from kiosk.events import UserText
from kiosk.paths import resolve_paths
from kiosk.store import Store

SAD = "Мне грустно"
FINE = "Расскажи про космос"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "kiosk.db") as db:
        yield db  # type: ignore[misc]


def _exchange(store: Store, conversation: int, text: str, memory: Memory) -> int:
    """A child turn and Аня's reply, then what the daemon does after every turn."""
    child = store.add_turn(conversation, "child", text)
    store.add_turn(conversation, "avatar", "Я рядом и слушаю тебя.")
    memory.after_turn(store, conversation, child, text)
    return child


@pytest.mark.parametrize(
    ("moods", "begins"),
    [
        (["sad", "sad", "sad"], True),
        (["sad", "neutral", "sad", "happy", "sad"], True),
        (["sad", "sad"], False),
        (["sad", "sad", "sad", "sad"], False),  # the streak began a turn earlier
        (["sad", "sad", "neutral", "neutral", "neutral", "sad"], False),
        (["sad", "sad", "sad", "neutral", "neutral", "neutral", "sad", "sad"], False),
        (["sad", "neutral", "neutral", "neutral", "neutral", "neutral", "sad", "sad", "sad"], True),
        ([], False),
    ],
)
def test_streak_begins_when_three_of_five_turns_are_sad(moods: list[str], begins: bool) -> None:
    assert sadness_streak_begins(moods) is begins


def test_one_alert_per_streak_on_the_reply_that_started_it(store: Store) -> None:
    memory = Memory()
    conversation = store.start_conversation("anya")
    for text in (SAD, FINE, "Я плакала весь день", SAD, SAD, SAD):
        _exchange(store, conversation, text, memory)
    alerts = safety_alerts(store)
    assert [a.category for a in alerts] == [SADNESS_ALERT]
    assert alerts[0].child_text == SAD  # the third sad turn, the fourth exchange
    flagged = [t for t in store.turns(conversation) if t.safety == SADNESS_ALERT]
    assert [t.id for t in flagged] == [alerts[0].turn_id] == [8]


def test_a_new_streak_after_a_break_alerts_again(store: Store) -> None:
    memory = Memory()
    conversation = store.start_conversation("anya")
    for text in [SAD] * 3 + [FINE] * 5 + [SAD] * 3:
        _exchange(store, conversation, text, memory)
    assert [a.category for a in safety_alerts(store)] == [SADNESS_ALERT] * 2


def test_the_streak_spans_conversations(store: Store) -> None:
    memory = Memory()
    for text in (SAD, SAD, SAD):
        conversation = store.start_conversation("anya")
        _exchange(store, conversation, text, memory)
        store.end_conversation(conversation)
    assert len(safety_alerts(store)) == 1


def test_sad_turns_a_week_apart_are_not_a_streak(store: Store) -> None:
    conversation = store.start_conversation("anya")
    ids = [
        store.add_turn(conversation, role, text)
        for _ in range(3)
        for role, text in (("child", SAD), ("avatar", "Я рядом."))
    ][::2]
    later = datetime.now(UTC) + timedelta(days=8)
    assert watch_sadness(store, ids[-1], now=later) is None
    assert watch_sadness(store, ids[-1]) == ids[-1] + 1


def test_no_alert_when_the_parent_turned_alerts_off(store: Store) -> None:
    memory = Memory()
    memory.parent_alerts = False
    conversation = store.start_conversation("anya")
    for _ in range(4):
        _exchange(store, conversation, SAD, memory)
    assert safety_alerts(store) == []


def test_an_exchange_already_flagged_keeps_its_safety_alert(store: Store) -> None:
    conversation = store.start_conversation("anya")
    for _ in range(2):
        store.add_turn(conversation, "child", SAD)
        store.add_turn(conversation, "avatar", "Я рядом.")
    child = store.add_turn(conversation, "child", "Мне грустно, меня травят в школе")
    reply = store.add_turn(conversation, "avatar", "Расскажи взрослому.", safety="bullying")
    assert watch_sadness(store, child) is None
    assert store.turns(conversation)[-1].safety == "bullying"
    assert [a.turn_id for a in safety_alerts(store)] == [reply]


def test_sad_exchanges_stay_in_the_summary(store: Store) -> None:
    memory = Memory(history_turns=1)
    conversation = store.start_conversation("anya")
    for text in ("Мне грустно, умер хомяк", SAD, SAD, FINE, FINE):
        _exchange(store, conversation, text, memory)
    summary, _ = store.conversation_summary(conversation)
    assert "хомяк" in summary


async def test_the_daemon_turns_raise_the_alert_and_answer_gently(tmp_path: Path) -> None:
    settings = Settings(paths={"data_dir": tmp_path / "data"}, brain={"engine": "scripted"})  # type: ignore[arg-type]
    paths = resolve_paths(settings).ensure()
    with Store.open(paths.database) as store:
        runner = TurnRunner(make_brain(settings, paths), store, persona_id="anya")
        replies = [await runner.run(UserText(text)) for text in (SAD, "Мне так одиноко", SAD)]
        assert all(r.safety == "ok" for r in replies), "the child is not redirected"
        assert "жаль" in replies[-1].reply.lower()
        alerts = safety_alerts(store)
    assert [(a.category, a.turn_id) for a in alerts] == [
        (SADNESS_ALERT, replies[-1].avatar_turn_id)
    ]
