"""Opening the database: migrations, WAL, and refusing files the store must not touch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.errors import StoreError
from kiosk.store import LATEST_VERSION, Store
from kiosk.store.migrations import Migration, apply_migrations, current_version


def test_open_creates_parent_folder_and_applies_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "kiosk.db"
    with Store.open(path) as store:
        assert store.schema_version == LATEST_VERSION
    assert path.is_file()
    with sqlite3.connect(path) as db:
        versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations")]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert {
        "conversations",
        "turns",
        "memory_facts",
        "settings_history",
        "metrics",
        "turns_fts",
        "memory_facts_fts",
    } <= tables


def test_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        before = db.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
        schema_before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    with Store.open(path) as store:
        assert store.schema_version == LATEST_VERSION
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version, applied_at FROM schema_migrations").fetchall() == before
        assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == (
            schema_before
        )


def test_database_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    with Store.open(path) as store:
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    with sqlite3.connect(path) as db:  # journal_mode=wal is stored in the file
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_later_migration_applies_on_top_and_failed_one_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Store.open(path).close()
    from kiosk.store.migrations import MIGRATIONS

    def add_column(db: Database) -> None:
        db.execute("ALTER TABLE memory_facts ADD COLUMN source_note TEXT")

    def broken(db: Database) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    db = Database(sqlite3.connect(path))
    nxt = LATEST_VERSION + 1
    assert apply_migrations(db, (*MIGRATIONS, Migration(nxt, "note", add_column))) == nxt
    with pytest.raises(RuntimeError):
        apply_migrations(
            db,
            (*MIGRATIONS, Migration(nxt, "note", add_column), Migration(nxt + 1, "x", broken)),
        )
    assert current_version(db) == nxt
    assert "half_done" not in db.table_names()
    assert "source_note" in db["memory_facts"].columns_dict
    db.close()


def _bump_version(path: Path, version: int) -> None:
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES (?, '2099-01-01T00:00:00.000000Z')", [version])
    db.commit()
    db.close()


def test_database_from_newer_kiosk_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Store.open(path).close()
    _bump_version(path, LATEST_VERSION + 5)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    with pytest.raises(StoreError, match="более новой версией kiosk") as info:
        Store.open(path)
    assert "обновите kiosk" in info.value.hint
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime
    assert not (tmp_path / "kiosk.db-wal").exists()


def test_file_that_is_not_a_database_gives_store_error_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    content = "это не база данных, а список покупок\n" * 200
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StoreError, match="не база данных") as info:
        Store.open(path)
    assert "переименуйте" in info.value.hint
    assert path.read_text(encoding="utf-8") == content


def test_unwritable_location_gives_store_error_with_hint(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as info:
        Store.open(blocker / "kiosk.db")
    assert "paths.data_dir" in info.value.hint
    assert blocker.read_text() == "not a folder"


def test_folder_in_place_of_the_database_gives_store_error(tmp_path: Path) -> None:
    (tmp_path / "kiosk.db").mkdir()
    with pytest.raises(StoreError, match="папка"):
        Store.open(tmp_path / "kiosk.db")


def test_closed_store_refuses_work_with_store_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "kiosk.db")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="закрыта"):
        store.facts()


def test_two_processes_opening_a_fresh_file_at_once_both_succeed(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "kiosk.db"
    versions: list[int] = []
    errors: list[BaseException] = []

    def open_once() -> None:
        try:
            with Store.open(path) as store:  # a connection each, like daemon + admin
                versions.append(store.schema_version)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert versions == [LATEST_VERSION] * 4


def test_v2_database_gains_a_nullable_speaker_column_and_keeps_its_turns(
    tmp_path: Path,
) -> None:
    from kiosk.store.migrations import MIGRATIONS

    path = tmp_path / "kiosk.db"
    db = Database(sqlite3.connect(path))
    assert apply_migrations(db, MIGRATIONS[:2]) == 2
    db.execute(
        "INSERT INTO conversations (started_at, persona, source) VALUES (?, ?, ?)",
        ["2026-01-01T10:00:00.000000Z", "anya", "voice"],
    )
    db.execute(
        "INSERT INTO turns (conversation_id, role, text, emotion, safety, source, engine,"
        " timings, created_at) VALUES (1, 'child', 'Привет', 'neutral', 'ok', 'voice', '',"
        " '{}', '2026-01-01T10:00:01.000000Z')"
    )
    db.conn.commit()
    db.close()
    with Store.open(path) as store:
        assert store.schema_version == LATEST_VERSION >= 3
        old = store.turns(1)[0]
        assert (old.text, old.speaker) == ("Привет", None)
        new_id = store.add_turn(1, "child", "Это папа", speaker="parent")
        assert store.turns(1)[-1].id == new_id
        assert store.turns(1)[-1].speaker == "parent"
        assert store.turns(1)[-1].to_dict()["speaker"] == "parent"
