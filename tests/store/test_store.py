"""Conversations, turns, facts, settings and the parent's export/wipe on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest

from kiosk.store import RecordNotFound, Store


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kiosk.db"


@pytest.fixture
def store(path: Path) -> Store:
    s = Store.open(path)
    yield s  # type: ignore[misc]
    s.close()


def test_turn_is_committed_immediately_and_visible_to_a_second_connection(
    store: Store, path: Path
) -> None:
    cid = store.start_conversation("anya", source="voice")
    tid = store.add_turn(
        cid, "child", "Привет, Аня!", source="voice", timings={"stt": 120.5, "vad": 3}
    )
    with Store.open(path) as other:  # another process would see the same
        [turn] = other.turns(cid)
    assert turn.id == tid
    assert turn.text == "Привет, Аня!"
    assert turn.role == "child"
    assert turn.safety == "ok"
    assert turn.timings == {"stt": 120.5, "vad": 3.0}
    assert turn.created_at.tzinfo is not None
    # Not even a Store: a plain reader of the file sees it while ours is still open.
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT text FROM turns").fetchall() == [("Привет, Аня!",)]


def test_recent_turns_are_oldest_first_and_limited(store: Store) -> None:
    first = store.start_conversation("anya")
    second = store.start_conversation("anya")
    for i in range(5):
        store.add_turn(first, "child", f"раз {i}")
    store.add_turn(second, "avatar", "другой разговор", engine="scripted", emotion="happy")
    assert [t.text for t in store.recent_turns(3, first)] == ["раз 2", "раз 3", "раз 4"]
    assert [t.text for t in store.recent_turns(2)] == ["раз 4", "другой разговор"]
    assert store.recent_turns(10, second)[0].emotion == "happy"


def test_end_conversation_records_end_once(store: Store) -> None:
    cid = store.start_conversation("anya", source="text")
    store.add_turn(cid, "child", "пока")
    store.end_conversation(cid)
    ended = store.conversation(cid).ended_at
    store.end_conversation(cid)
    conversation = store.conversation(cid)
    assert ended is not None and conversation.ended_at == ended
    assert conversation.turn_count == 1
    assert conversation.source == "text"


def test_conversations_newest_first_and_by_day(store: Store) -> None:
    ids = [store.start_conversation("anya") for _ in range(3)]
    assert [c.id for c in store.conversations(2)] == ids[:0:-1]
    today = store.conversation(ids[0]).started_at.astimezone().date()
    assert len(store.conversations(10, day=today)) == 3
    assert store.conversations(10, day=date(2001, 1, 1)) == []


def test_unknown_ids_raise_record_not_found(store: Store) -> None:
    with pytest.raises(RecordNotFound):
        store.add_turn(999, "child", "кто здесь?")
    with pytest.raises(KeyError):  # RecordNotFound is also a KeyError
        store.turns(999)
    for call in (store.forget_fact, store.pin_fact, store.fact, store.end_conversation):
        with pytest.raises(RecordNotFound):
            call(42)
    with pytest.raises(RecordNotFound):
        store.update_fact(42, text="x")


def test_invalid_role_and_priority_are_rejected(store: Store) -> None:
    cid = store.start_conversation("anya")
    with pytest.raises(ValueError):
        store.add_turn(cid, "robot", "бип")
    with pytest.raises(ValueError):
        store.add_fact("Любит кошек", priority=1.5)
    with pytest.raises(ValueError):
        store.add_fact("   ")
    assert store.recent_turns(10) == [] and store.facts() == []


def test_fact_survives_restart(path: Path) -> None:
    with Store.open(path) as store:
        cid = store.start_conversation("anya")
        tid = store.add_turn(cid, "child", "У меня есть кошка Мурка")
        fid = store.add_fact("Кошку зовут Мурка", category="pets", source_turn_id=tid)
    with Store.open(path) as store:
        [fact] = store.facts()
    assert (fact.id, fact.text, fact.category, fact.source_turn_id) == (
        fid,
        "Кошку зовут Мурка",
        "pets",
        tid,
    )


def test_facts_pinned_first_then_by_priority(store: Store) -> None:
    low = store.add_fact("Любит суп", priority=0.1)
    high = store.add_fact("Боится темноты", priority=0.9)
    pinned_low = store.add_fact("Зовут Маша", priority=0.2, pinned=True)
    mid = store.add_fact("Учится в шестом классе", priority=0.5)
    assert [f.id for f in store.facts()] == [pinned_low, high, mid, low]
    store.pin_fact(low)
    store.pin_fact(pinned_low, pinned=False)
    assert [f.id for f in store.facts()] == [low, high, mid, pinned_low]


def test_forget_is_soft_and_hides_the_fact(store: Store) -> None:
    keep = store.add_fact("Любит рисовать")
    gone = store.add_fact("Любит кошек", pinned=True)
    store.forget_fact(gone)
    assert [f.id for f in store.facts()] == [keep]
    forgotten = store.fact(gone)
    assert forgotten.forgotten and not forgotten.pinned
    assert {f.id for f in store.facts(include_forgotten=True)} == {keep, gone}
    assert store.search_facts("кошек") == []
    store.pin_fact(gone)  # pinning brings it back
    assert store.facts()[0].id == gone


def test_update_fact_changes_text_and_search_index(store: Store) -> None:
    fid = store.add_fact("Любит собак")
    store.update_fact(fid, text="Любит кошек", category="likes", priority=0.8)
    fact = store.fact(fid)
    assert (fact.text, fact.category, fact.priority) == ("Любит кошек", "likes", 0.8)
    assert fact.updated_at >= fact.created_at
    assert [f.id for f in store.search_facts("кошки")] == [fid]
    assert store.search_facts("собак") == []


def test_settings_history_keeps_every_change_and_returns_latest(store: Store) -> None:
    assert store.get_setting("voice.volume", default=0.7) == 0.7
    store.set_setting("voice.volume", 0.5)
    store.set_setting("voice.volume", {"level": 0.9, "имя": "Аня"}, changed_by="admin")
    assert store.get_setting("voice.volume") == {"level": 0.9, "имя": "Аня"}
    history = store.settings_history("voice.volume")
    assert [h["changed_by"] for h in history] == ["admin", "parent"]


def test_metrics_are_recorded_with_labels(store: Store) -> None:
    store.record_metric("first_audio_ms", 640, engine="scripted", device="cpu")
    [metric] = store.metrics("first_audio_ms")
    assert metric["value"] == 640.0
    assert metric["labels"] == {"engine": "scripted", "device": "cpu"}


def test_export_is_json_serialisable_and_contains_the_russian_text(store: Store) -> None:
    cid = store.start_conversation("anya")
    store.add_turn(cid, "child", "Расскажи про ёжиков", timings={"stt": 10})
    store.add_turn(cid, "avatar", "Ёжики любят яблоки!", engine="scripted")
    store.add_fact("Любит ёжиков")
    store.forget_fact(store.add_fact("Секрет"))
    store.set_setting("general.persona", "anya")
    exported = store.export_all()
    text = json.dumps(exported, ensure_ascii=False)
    assert "Расскажи про ёжиков" in text and "Ёжики любят яблоки!" in text
    [conversation] = exported["conversations"]
    assert [t["role"] for t in conversation["turns"]] == ["child", "avatar"]
    assert conversation["turns"][0]["timings_ms"] == {"stt": 10.0}
    assert {f["text"] for f in exported["facts"]} == {"Любит ёжиков", "Секрет"}
    assert exported["settings_history"][0]["value"] == "anya"
    assert json.loads(text) == json.loads(json.dumps(exported))


def test_wipe_removes_turns_facts_and_search_rows_but_keeps_settings(
    store: Store, path: Path
) -> None:
    cid = store.start_conversation("anya")
    store.add_turn(cid, "child", "Мою кошку зовут Мурка")
    store.add_fact("Кошку зовут Мурка")
    store.set_setting("voice.volume", 0.4)
    counts = store.wipe_child_data()
    assert counts == {"conversations": 1, "turns": 1, "facts": 1}
    assert store.search_turns("Мурка") == [] and store.search_facts("Мурка") == []
    assert store.facts(include_forgotten=True) == [] and store.conversations() == []
    assert store.get_setting("voice.volume") == 0.4
    with sqlite3.connect(path) as raw:
        for table in ("turns_fts", "memory_facts_fts", "turns", "memory_facts"):
            assert raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    store.close()
    leftovers = b"".join(p.read_bytes() for p in path.parent.glob("kiosk.db*"))
    assert "Мурка".encode() not in leftovers


def test_concurrent_writers_from_threads_all_land(store: Store) -> None:
    cid = store.start_conversation("anya")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                store.add_turn(cid, "child", f"поток {n} реплика {i}")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.turns(cid)) == 80


def test_speaker_tag_is_stored_with_the_turn_and_defaults_to_none(store: Store) -> None:
    conversation = store.start_conversation("anya")
    store.add_turn(conversation, "child", "Привет", speaker="child")
    store.add_turn(conversation, "avatar", "Привет!")
    assert [t.speaker for t in store.turns(conversation)] == ["child", None]


def test_export_includes_each_conversations_summary(store: Store) -> None:
    first = store.start_conversation("anya")
    turn = store.add_turn(first, "child", "Я люблю кошек")
    store.set_conversation_summary(first, "Маша рассказала, что любит кошек.", turn)
    second = store.start_conversation("anya")
    exported = store.export_all()
    by_id = {c["id"]: c for c in exported["conversations"]}
    assert by_id[first]["summary"]["text"] == "Маша рассказала, что любит кошек."
    assert by_id[first]["summary"]["through_turn_id"] == turn
    assert by_id[second]["summary"] is None
    json.dumps(exported, ensure_ascii=False)


def test_store_api_is_unchanged_by_the_split_into_parts() -> None:
    for name in (
        "open",
        "close",
        "add_turn",
        "turns",
        "add_fact",
        "facts",
        "remember_fact",
        "forget_fact",
        "pin_fact",
        "search_facts",
        "export_all",
        "wipe_child_data",
        "purge_older_than",
        "set_conversation_summary",
        "recent_summaries",
        "set_setting",
        "record_metric",
    ):
        assert callable(getattr(Store, name)), name
