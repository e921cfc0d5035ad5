"""The ``Store``: one SQLite file in WAL mode; turns are committed the moment they happen."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlite_utils import Database

from kiosk.errors import StoreError
from kiosk.store.connection import HINT_WRITE, open_database
from kiosk.store.records import (
    ROLES,
    Conversation,
    Fact,
    RecordNotFound,
    Turn,
    format_time,
    utc_now,
)
from kiosk.store.search import fts_query

__all__ = ["Store"]

_LOGGER = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _locked(method: Callable[Concatenate[Store, _P], _R]) -> Callable[Concatenate[Store, _P], _R]:
    """Run ``method`` under the store's lock, turning SQLite failures into ``StoreError``."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._lock:
            if self._db is None:
                raise StoreError(
                    f"База {self.path} уже закрыта", "это ошибка программы: сообщите о ней"
                )
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:  # locked too long, disk full, damaged file
                raise StoreError(f"Ошибка базы {self.path}: {exc}", HINT_WRITE) from exc

    return wrapper


_CONVERSATIONS = (
    "SELECT c.*, (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) AS turn_count"
    " FROM conversations c"
)


_PURGED_TABLES = (
    ("conversation_summaries", "conversation_id"),
    ("turns", "conversation_id"),
    ("conversations", "id"),
)
"""What a retention purge deletes per conversation, children before parents."""


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Store:
    """The kiosk's database: conversations, turns, memory facts, settings history, metrics.

    Safe to call from several threads (one connection, one lock). Open with
    :meth:`Store.open`; close with :meth:`close` or use it as a context manager.
    """

    def __init__(self, db: Database, path: Path, schema_version: int) -> None:
        self._db: Database | None = db
        self._lock = threading.RLock()
        self.path = path
        """The database file."""
        self.schema_version = schema_version
        """Schema version of the open database (``LATEST_VERSION`` after migrations)."""

    # --- opening and closing ------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (or create) the database at ``path`` and bring its schema up to date.

        Raises ``StoreError`` when the file cannot be created or written, is not a
        SQLite database (the file is left alone), or was made by a newer kiosk (the
        file is left untouched).
        """
        path = Path(path).expanduser()
        db, version = open_database(path)
        return cls(db, path, version)

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def db(self) -> Database:
        """The sqlite-utils ``Database`` (for read-only queries; take care with threads)."""
        if self._db is None:
            raise StoreError(f"База {self.path} уже закрыта", "это ошибка программы")
        return self._db

    def _rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    # --- conversations and turns --------------------------------------------------

    @_locked
    def start_conversation(self, persona: str, source: str = "voice") -> int:
        """Start a conversation with ``persona``; returns its id."""
        cursor = self.db.execute(
            "INSERT INTO conversations (started_at, persona, source) VALUES (?, ?, ?)",
            [utc_now(), persona, source],
        )
        return int(cursor.lastrowid or 0)

    @_locked
    def end_conversation(self, conversation_id: int) -> None:
        """Mark the conversation ended (a second call keeps the first end time)."""
        self._conversation_row(conversation_id)
        self.db.execute(
            "UPDATE conversations SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            [utc_now(), conversation_id],
        )

    def _conversation_row(self, conversation_id: int) -> dict[str, Any]:
        rows = self._rows(
            f"{_CONVERSATIONS} WHERE c.id = ?",
            [conversation_id],
        )
        if not rows:
            raise RecordNotFound(
                f"Разговора №{conversation_id} нет в базе",
                "посмотрите список разговоров в kiosk admin",
            )
        return rows[0]

    @_locked
    def conversation(self, conversation_id: int) -> Conversation:
        """One conversation (raises ``RecordNotFound``)."""
        return Conversation.from_row(self._conversation_row(conversation_id))

    @_locked
    def conversations(self, limit: int = 50, day: date | None = None) -> list[Conversation]:
        """The latest conversations, newest first; ``day`` keeps those begun that local day."""
        where, params = "", []
        if day is not None:
            start = datetime.combine(day, time.min).astimezone(UTC)
            end = datetime.combine(day + timedelta(days=1), time.min).astimezone(UTC)
            where = "WHERE c.started_at >= ? AND c.started_at < ?"
            params = [format_time(start), format_time(end)]
        rows = self._rows(
            f"{_CONVERSATIONS} {where} ORDER BY c.id DESC LIMIT ?",
            [*params, limit],
        )
        return [Conversation.from_row(r) for r in rows]

    @_locked
    def add_turn(
        self,
        conversation_id: int,
        role: str,
        text: str,
        *,
        emotion: str = "neutral",
        safety: str = "ok",
        source: str = "text",
        engine: str = "",
        timings: Mapping[str, float] | None = None,
    ) -> int:
        """Store one turn and commit it at once; returns its id."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        try:
            cursor = self.db.execute(
                "INSERT INTO turns (conversation_id, role, text, emotion, safety, source,"
                " engine, timings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    conversation_id,
                    role,
                    text,
                    emotion,
                    safety,
                    source,
                    engine,
                    _dump({k: float(v) for k, v in (timings or {}).items()}),
                    utc_now(),
                ],
            )
        except sqlite3.IntegrityError as exc:
            self._conversation_row(conversation_id)  # RecordNotFound when that is why
            raise StoreError(f"Реплика не сохранена: {exc}", "это ошибка программы") from exc
        return int(cursor.lastrowid or 0)

    @_locked
    def turns(self, conversation_id: int) -> list[Turn]:
        """Every turn of a conversation, oldest first (raises ``RecordNotFound``)."""
        self._conversation_row(conversation_id)
        rows = self._rows(
            "SELECT * FROM turns WHERE conversation_id = ? ORDER BY id", [conversation_id]
        )
        return [Turn.from_row(r) for r in rows]

    @_locked
    def recent_turns(self, limit: int = 20, conversation_id: int | None = None) -> list[Turn]:
        """The last ``limit`` turns (of one conversation, or of all), oldest first."""
        where = "WHERE conversation_id = ?" if conversation_id is not None else ""
        params = [conversation_id] if conversation_id is not None else []
        rows = self._rows(f"SELECT * FROM turns {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [Turn.from_row(r) for r in reversed(rows)]

    @_locked
    def search_turns(self, query: str, limit: int = 50) -> list[Turn]:
        """Turns whose text matches the words of ``query`` (any input is safe), best first."""
        match = fts_query(query)
        if match is None:
            return []
        rows = self._rows(
            "SELECT t.* FROM turns_fts f JOIN turns t ON t.id = f.rowid"
            " WHERE turns_fts MATCH ? ORDER BY f.rank, t.id DESC LIMIT ?",
            [match, limit],
        )
        return [Turn.from_row(r) for r in rows]

    # --- memory facts -------------------------------------------------------------

    @_locked
    def add_fact(
        self,
        text: str,
        *,
        category: str = "general",
        priority: float = 0.5,
        source_turn_id: int | None = None,
        pinned: bool = False,
    ) -> int:
        """Remember ``text`` about the child; returns the fact's id."""
        text = _check_fact_text(text)
        priority = _check_priority(priority)
        now = utc_now()
        try:
            cursor = self.db.execute(
                "INSERT INTO memory_facts (text, category, priority, source_turn_id, pinned,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [text, category, priority, source_turn_id, int(pinned), now, now],
            )
        except sqlite3.IntegrityError as exc:
            raise RecordNotFound(
                f"Реплики №{source_turn_id} нет в базе", "это ошибка программы"
            ) from exc
        return int(cursor.lastrowid or 0)

    def _fact_row(self, fact_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM memory_facts WHERE id = ?", [fact_id])
        if not rows:
            raise RecordNotFound(
                f"Факта №{fact_id} нет в памяти", "номера фактов: kiosk memory list --all"
            )
        return rows[0]

    @_locked
    def fact(self, fact_id: int) -> Fact:
        """One fact, forgotten or not (raises ``RecordNotFound``)."""
        return Fact.from_row(self._fact_row(fact_id))

    @_locked
    def facts(self, include_forgotten: bool = False) -> list[Fact]:
        """What Аня remembers: pinned first, then by priority, then newest."""
        where = "" if include_forgotten else "WHERE forgotten_at IS NULL"
        rows = self._rows(
            f"SELECT * FROM memory_facts {where}"
            " ORDER BY pinned DESC, priority DESC, updated_at DESC, id DESC"
        )
        return [Fact.from_row(r) for r in rows]

    def _update_fact(self, fact_id: int, **changes: Any) -> None:
        self._fact_row(fact_id)
        columns = ", ".join(f"{name} = ?" for name in changes)
        self.db.execute(
            f"UPDATE memory_facts SET {columns}, updated_at = ? WHERE id = ?",
            [*changes.values(), utc_now(), fact_id],
        )

    @_locked
    def update_fact(
        self,
        fact_id: int,
        *,
        text: str | None = None,
        category: str | None = None,
        priority: float | None = None,
    ) -> None:
        """Change a fact's text, category or priority (``None`` leaves it as is)."""
        changes: dict[str, Any] = {}
        if text is not None:
            changes["text"] = _check_fact_text(text)
        if category is not None:
            changes["category"] = category
        if priority is not None:
            changes["priority"] = _check_priority(priority)
        if changes:
            self._update_fact(fact_id, **changes)
        else:
            self._fact_row(fact_id)

    @_locked
    def pin_fact(self, fact_id: int, pinned: bool = True) -> None:
        """Pin (or unpin) a fact; pinning a forgotten fact brings it back."""
        if pinned:
            self._update_fact(fact_id, pinned=1, forgotten_at=None)
        else:
            self._update_fact(fact_id, pinned=0)

    @_locked
    def forget_fact(self, fact_id: int) -> None:
        """Forget a fact (soft: kept until ``wipe_child_data``, hidden from the brain)."""
        self._fact_row(fact_id)
        now = utc_now()
        self.db.execute(
            "UPDATE memory_facts SET forgotten_at = coalesce(forgotten_at, ?), pinned = 0,"
            " updated_at = ? WHERE id = ?",
            [now, now, fact_id],
        )

    @_locked
    def search_facts(self, query: str, limit: int = 50) -> list[Fact]:
        """Remembered (not forgotten) facts matching the words of ``query``, best first."""
        match = fts_query(query)
        if match is None:
            return []
        rows = self._rows(
            "SELECT m.* FROM memory_facts_fts f JOIN memory_facts m ON m.id = f.rowid"
            " WHERE memory_facts_fts MATCH ? AND m.forgotten_at IS NULL"
            " ORDER BY m.pinned DESC, f.rank LIMIT ?",
            [match, limit],
        )
        return [Fact.from_row(r) for r in rows]

    # --- merged facts and conversation summaries (schema v2) -----------------------

    @_locked
    def fact_by_key(self, key: str, include_forgotten: bool = True) -> Fact | None:
        """The newest fact stored under merge ``key`` (e.g. ``like:кошка``), or None."""
        where = "" if include_forgotten else " AND forgotten_at IS NULL"
        rows = self._rows(
            f"SELECT * FROM memory_facts WHERE fact_key = ?{where} ORDER BY id DESC LIMIT 1",
            [key],
        )
        return Fact.from_row(rows[0]) if rows else None

    @_locked
    def remember_fact(
        self,
        key: str,
        text: str,
        *,
        category: str = "general",
        priority: float = 0.5,
        source_turn_id: int | None = None,
        bump: float = 0.05,
    ) -> tuple[int, bool]:
        """Add a fact under merge ``key``, or update the one already there.

        An existing fact takes the new text and category (a contradiction replaces
        the old statement), keeps the higher priority plus ``bump`` (capped at 1),
        counts one more mention and becomes the most recent. A pinned fact stays
        pinned; a fact the parent told Аня to forget is left forgotten and unchanged.
        Returns ``(fact id, created)``.
        """
        text = _check_fact_text(text)
        priority = _check_priority(priority)
        existing = self.fact_by_key(key)
        now = utc_now()
        if existing is None:
            fact_id = self.add_fact(
                text, category=category, priority=priority, source_turn_id=source_turn_id
            )
            self.db.execute(
                "UPDATE memory_facts SET fact_key = ?, last_seen_at = ? WHERE id = ?",
                [key, now, fact_id],
            )
            return fact_id, True
        if existing.forgotten:
            return existing.id, False
        merged = min(1.0, max(existing.priority, priority) + bump)
        self.db.execute(
            "UPDATE memory_facts SET text = ?, category = ?, priority = ?,"
            " source_turn_id = coalesce(?, source_turn_id), mentions = mentions + 1,"
            " last_seen_at = ?, updated_at = ? WHERE id = ?",
            [text, category, merged, source_turn_id, now, now, existing.id],
        )
        return existing.id, False

    @_locked
    def fact_mentions(self, fact_id: int) -> int:
        """How many times the child said this fact (1 for a new or hand-added one)."""
        return int(self._fact_row(fact_id).get("mentions") or 1)

    @_locked
    def set_conversation_summary(
        self, conversation_id: int, summary: str, through_turn_id: int = 0
    ) -> None:
        """Store the rolling summary of a conversation up to turn ``through_turn_id``."""
        self._conversation_row(conversation_id)
        self.db.execute(
            "INSERT INTO conversation_summaries (conversation_id, summary, through_turn_id,"
            " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET"
            " summary = excluded.summary, through_turn_id = excluded.through_turn_id,"
            " updated_at = excluded.updated_at",
            [conversation_id, summary.strip(), through_turn_id, utc_now()],
        )

    @_locked
    def conversation_summary(self, conversation_id: int) -> tuple[str, int]:
        """(summary, last summarised turn id) of a conversation; ``("", 0)`` when none."""
        row = self.db.execute(
            "SELECT summary, through_turn_id FROM conversation_summaries WHERE conversation_id = ?",
            [conversation_id],
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else ("", 0)

    @_locked
    def recent_summaries(
        self, limit: int = 3, exclude_conversation: int | None = None
    ) -> list[tuple[int, str]]:
        """(conversation id, summary) of the latest summarised conversations, oldest first."""
        rows = self.db.execute(
            "SELECT conversation_id, summary FROM conversation_summaries"
            " WHERE conversation_id IS NOT ? AND summary != ''"
            " ORDER BY conversation_id DESC LIMIT ?",
            [exclude_conversation, limit],
        ).fetchall()
        return [(int(r[0]), str(r[1])) for r in reversed(rows)]

    # --- settings history and metrics ----------------------------------------------

    @_locked
    def set_setting(self, key: str, value: Any, changed_by: str = "parent") -> None:
        """Record a new value of setting ``key`` (JSON-able); history is kept."""
        self.db.execute(
            "INSERT INTO settings_history (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?)",
            [key, _dump(value), utc_now(), changed_by],
        )

    @_locked
    def get_setting(self, key: str, default: Any = None) -> Any:
        """The latest recorded value of ``key``, or ``default``."""
        row = self.db.execute(
            "SELECT value FROM settings_history WHERE key = ? ORDER BY id DESC LIMIT 1", [key]
        ).fetchone()
        return json.loads(row[0]) if row else default

    @_locked
    def settings_history(self, key: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Recorded setting changes, newest first (``value`` decoded from JSON)."""
        where, params = ("WHERE key = ?", [key]) if key is not None else ("", [])
        rows = self._rows(
            f"SELECT * FROM settings_history {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [{**r, "value": json.loads(r["value"])} for r in rows]

    @_locked
    def record_metric(self, name: str, value: float, **labels: Any) -> None:
        """Record one measurement (e.g. ``record_metric("first_audio_ms", 640, engine="x")``)."""
        self.db.execute(
            "INSERT INTO metrics (name, value, labels, recorded_at) VALUES (?, ?, ?, ?)",
            [name, float(value), _dump(labels), utc_now()],
        )

    @_locked
    def metrics(self, name: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Recorded measurements, newest first (``labels`` decoded from JSON)."""
        where, params = ("WHERE name = ?", [name]) if name is not None else ("", [])
        rows = self._rows(
            f"SELECT * FROM metrics {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [{**r, "labels": json.loads(r["labels"])} for r in rows]

    # --- the parent's control over the child's data --------------------------------

    @_locked
    def export_all(self) -> dict[str, Any]:
        """Everything stored about the child, as a JSON-able dict."""
        conversations = []
        for row in self._rows(f"{_CONVERSATIONS} ORDER BY c.id"):
            conversation = Conversation.from_row(row)
            item = conversation.to_dict()
            item["turns"] = [
                Turn.from_row(r).to_dict()
                for r in self._rows(
                    "SELECT * FROM turns WHERE conversation_id = ? ORDER BY id", [conversation.id]
                )
            ]
            conversations.append(item)
        history = self._rows("SELECT * FROM settings_history ORDER BY id")
        return {
            "format": "kiosk-export",
            "schema_version": self.schema_version,
            "exported_at": utc_now(),
            "conversations": conversations,
            "facts": [f.to_dict() for f in self.facts(include_forgotten=True)],
            "settings_history": [{**r, "value": json.loads(r["value"])} for r in history],
        }

    @_locked
    def wipe_child_data(self) -> dict[str, int]:
        """Delete every conversation, turn and fact (and their search index); keep settings.

        The file is vacuumed and the WAL truncated so no deleted text lingers on disk.
        Returns how many rows of each kind were deleted.
        """
        db = self.db
        counts = {
            name: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for name, table in (
                ("conversations", "conversations"),
                ("turns", "turns"),
                ("facts", "memory_facts"),
            )
        }
        with db.atomic():
            db.execute("DELETE FROM memory_facts")
            db.execute("DELETE FROM conversation_summaries")
            db.execute("DELETE FROM turns")
            db.execute("DELETE FROM conversations")
            # The triggers already emptied them; this also clears anything left from
            # rows written before a trigger existed.
            db.execute("DELETE FROM turns_fts")
            db.execute("DELETE FROM memory_facts_fts")
        db.vacuum()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _LOGGER.info("child data wiped: %s", counts, extra={"stage": "store"})
        return counts

    @_locked
    def purge_older_than(self, days: int, *, now: datetime | None = None) -> dict[str, int]:
        """Delete conversations whose last turn is more than ``days`` days old.

        Their turns, search rows and summaries go with them; facts learnt from those
        turns stay (the parent forgets facts) but lose their ``source_turn_id``. The
        search index is merged and freed pages are zeroed, so after a WAL checkpoint
        no deleted text is left in the files. ``now`` defaults to the current time.
        Returns ``{"conversations", "turns", "summaries", "facts_unlinked"}`` counts.
        """
        if days < 1:
            raise ValueError(f"days must be at least 1, not {days}")
        cutoff = format_time((now or datetime.now(UTC)) - timedelta(days=days))
        db = self.db
        old = (
            "SELECT c.id FROM conversations c WHERE coalesce((SELECT max(t.created_at)"
            " FROM turns t WHERE t.conversation_id = c.id), c.started_at) < ?"
        )
        turns_of_old = f"SELECT id FROM turns WHERE conversation_id IN ({old})"

        def count(sql: str) -> int:
            return int(db.execute(f"SELECT count(*) FROM ({sql})", [cutoff]).fetchone()[0])

        counts = {
            "conversations": count(old),
            "turns": count(turns_of_old),
            "summaries": count(
                f"SELECT 1 FROM conversation_summaries WHERE conversation_id IN ({old})"
            ),
            "facts_unlinked": count(
                f"SELECT 1 FROM memory_facts WHERE source_turn_id IN ({turns_of_old})"
            ),
        }
        if counts["conversations"] == 0:
            return counts
        secure = int(db.execute("PRAGMA secure_delete").fetchone()[0])
        db.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed, not left readable
        try:
            with db.atomic():
                # Explicit, not only via ON DELETE: the result must not depend on
                # foreign_keys being on for this connection.
                db.execute(
                    f"UPDATE memory_facts SET source_turn_id = NULL"
                    f" WHERE source_turn_id IN ({turns_of_old})",
                    [cutoff],
                )
                ids = [r[0] for r in db.execute(old, [cutoff]).fetchall()]
                for start in range(0, len(ids), 500):  # under SQLite's variable limit
                    chunk = ids[start : start + 500]
                    marks = ", ".join("?" * len(chunk))
                    for table, column in _PURGED_TABLES:
                        db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
                # FTS5 keeps deleted words in old index segments until they are merged.
                db.execute("INSERT INTO turns_fts (turns_fts) VALUES ('optimize')")
        finally:
            db.execute(f"PRAGMA secure_delete = {secure}")
        _LOGGER.info(
            "purged history older than %d days: %s", days, counts, extra={"stage": "store"}
        )
        return counts


def _check_fact_text(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError("a fact needs some text")
    return text


def _check_priority(priority: float) -> float:
    if not 0.0 <= priority <= 1.0:
        raise ValueError(f"priority must be within 0..1, not {priority}")
    return float(priority)
