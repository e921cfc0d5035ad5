"""Retention: ``Store.purge_older_than`` removes old history for real, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.store import Store
from kiosk.store.records import format_time


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kiosk.db"


@pytest.fixture
def store(path: Path) -> Store:
    s = Store.open(path)
    yield s  # type: ignore[misc]
    s.close()


def backdate(store: Store, conversation_id: int, days: float) -> None:
    """Make a conversation and its turns ``days`` old, as if written back then."""
    then = format_time(datetime.now(UTC) - timedelta(days=days))
    store.db.execute(
        "UPDATE turns SET created_at = ? WHERE conversation_id = ?", [then, conversation_id]
    )
    store.db.execute(
        "UPDATE conversations SET started_at = ? WHERE id = ?", [then, conversation_id]
    )


def test_old_turns_are_gone_recent_kept_and_facts_keep_their_text(store: Store) -> None:
    old = store.start_conversation("anya")
    old_turn = store.add_turn(old, "child", "Мою кошку зовут Мурка")
    store.add_turn(old, "avatar", "Какое красивое имя!")
    store.set_conversation_summary(old, "Ребёнок рассказал про кошку Мурку", old_turn)
    fact = store.add_fact("Кошку зовут Мурка", source_turn_id=old_turn)
    backdate(store, old, days=40)
    recent = store.start_conversation("anya")
    recent_turn = store.add_turn(recent, "child", "Сегодня я играл в футбол")
    recent_fact = store.add_fact("Играет в футбол", source_turn_id=recent_turn)
    counts = store.purge_older_than(30)
    assert counts == {"conversations": 1, "turns": 2, "summaries": 1, "facts_unlinked": 1}
    assert [c.id for c in store.conversations()] == [recent]
    assert store.search_turns("Мурка") == []
    assert [t.id for t in store.search_turns("футбол")] == [recent_turn]
    assert store.conversation_summary(old) == ("", 0)
    kept = store.fact(fact)
    assert kept.text == "Кошку зовут Мурка" and kept.source_turn_id is None
    assert store.fact(recent_fact).source_turn_id == recent_turn
    assert [f.id for f in store.search_facts("Мурка")] == [fact]


def test_a_conversation_is_kept_while_its_last_turn_is_recent(store: Store) -> None:
    cid = store.start_conversation("anya")
    store.add_turn(cid, "child", "Давно начатый разговор")
    backdate(store, cid, days=100)
    store.add_turn(cid, "child", "А это сказано только что")
    assert store.purge_older_than(30)["conversations"] == 0
    assert len(store.turns(cid)) == 2


def test_purge_with_nothing_old_changes_nothing(store: Store) -> None:
    cid = store.start_conversation("anya")
    store.add_turn(cid, "child", "Привет")
    counts = store.purge_older_than(1)
    assert counts == {"conversations": 0, "turns": 0, "summaries": 0, "facts_unlinked": 0}
    assert len(store.turns(cid)) == 1


def test_zero_days_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        store.purge_older_than(0)


def test_purged_russian_text_leaves_no_trace_in_the_files(store: Store, path: Path) -> None:
    old = store.start_conversation("anya")
    secret = "Наш домашний адрес Черёмуховая улица"
    for i in range(30):  # enough rows to spread over several pages and FTS segments
        store.add_turn(old, "child", f"{secret} номер {i}")
    backdate(store, old, days=10)
    recent = store.start_conversation("anya")
    store.add_turn(recent, "child", "Сегодня солнечно")
    store.purge_older_than(7)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM turns").fetchone()[0] == 1
        assert raw.execute("SELECT count(*) FROM turns_fts").fetchone()[0] == 1
    leftovers = b"".join(p.read_bytes() for p in path.parent.glob("kiosk.db*"))
    assert "Сегодня солнечно".encode() in leftovers  # the check can see text at all
    # Stored text, its ё-folded search copy, and the lower-case words of the FTS index
    # (which keeps deleted words in old segments unless they are merged).
    for word in ("Черёмуховая", "Черемуховая", "черемух", "домашн", "адрес", "улиц"):
        assert word.encode() not in leftovers, word
