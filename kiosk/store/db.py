"""The ``Store``: one SQLite file in WAL mode; turns are committed the moment they happen."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kiosk.errors import StoreError
from kiosk.store.base import CONVERSATIONS_SQL, dump_json, locked
from kiosk.store.facts import FactsMixin
from kiosk.store.privacy import PrivacyMixin
from kiosk.store.records import (
    ROLES,
    Conversation,
    RecordNotFound,
    Turn,
    format_time,
    utc_now,
)
from kiosk.store.search import fts_query

__all__ = ["Store"]

_LOGGER = logging.getLogger(__name__)


class Store(FactsMixin, PrivacyMixin):
    """The kiosk's database: conversations, turns, memory facts, settings history, metrics.

    Safe to call from several threads (one connection, one lock). Open with
    :meth:`Store.open`; close with :meth:`close` or use it as a context manager.
    """

    # --- conversations and turns --------------------------------------------------

    @locked
    def start_conversation(self, persona: str, source: str = "voice") -> int:
        """Start a conversation with ``persona``; returns its id."""
        cursor = self.db.execute(
            "INSERT INTO conversations (started_at, persona, source) VALUES (?, ?, ?)",
            [utc_now(), persona, source],
        )
        return int(cursor.lastrowid or 0)

    @locked
    def end_conversation(self, conversation_id: int) -> None:
        """Mark the conversation ended (a second call keeps the first end time)."""
        self._conversation_row(conversation_id)
        self.db.execute(
            "UPDATE conversations SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            [utc_now(), conversation_id],
        )

    @locked
    def conversation(self, conversation_id: int) -> Conversation:
        """One conversation (raises ``RecordNotFound``)."""
        return Conversation.from_row(self._conversation_row(conversation_id))

    @locked
    def conversations(self, limit: int = 50, day: date | None = None) -> list[Conversation]:
        """The latest conversations, newest first; ``day`` keeps those begun that local day."""
        where, params = "", []
        if day is not None:
            start = datetime.combine(day, time.min).astimezone(UTC)
            end = datetime.combine(day + timedelta(days=1), time.min).astimezone(UTC)
            where = "WHERE c.started_at >= ? AND c.started_at < ?"
            params = [format_time(start), format_time(end)]
        rows = self._rows(
            f"{CONVERSATIONS_SQL} {where} ORDER BY c.id DESC LIMIT ?",
            [*params, limit],
        )
        return [Conversation.from_row(r) for r in rows]

    @locked
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
        speaker: str | None = None,
    ) -> int:
        """Store one turn and commit it at once; returns its id.

        ``speaker`` is the speaker recogniser's tag (``child``, ``parent``,
        ``unknown``); None when it did not run. Personal data in ``text`` is masked
        unless ``keep_personal_data`` is set.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        try:
            cursor = self.db.execute(
                "INSERT INTO turns (conversation_id, role, text, emotion, safety, source,"
                " engine, timings, speaker, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    conversation_id,
                    role,
                    self._stored_text(text),
                    emotion,
                    safety,
                    source,
                    engine,
                    dump_json({k: float(v) for k, v in (timings or {}).items()}),
                    speaker,
                    utc_now(),
                ],
            )
        except sqlite3.IntegrityError as exc:
            self._conversation_row(conversation_id)  # RecordNotFound when that is why
            raise StoreError(f"Реплика не сохранена: {exc}", "это ошибка программы") from exc
        return int(cursor.lastrowid or 0)

    @locked
    def turns(self, conversation_id: int) -> list[Turn]:
        """Every turn of a conversation, oldest first (raises ``RecordNotFound``)."""
        self._conversation_row(conversation_id)
        rows = self._rows(
            "SELECT * FROM turns WHERE conversation_id = ? ORDER BY id", [conversation_id]
        )
        return [Turn.from_row(r) for r in rows]

    @locked
    def recent_turns(
        self,
        limit: int = 20,
        conversation_id: int | None = None,
        *,
        role: str | None = None,
        through_turn_id: int | None = None,
    ) -> list[Turn]:
        """The last ``limit`` turns (of one conversation, or of all), oldest first.

        ``role`` keeps one speaker's turns; ``through_turn_id`` ignores later turns.
        """
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("conversation_id = ?", conversation_id),
            ("role = ?", role),
            ("id <= ?", through_turn_id),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._rows(f"SELECT * FROM turns {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [Turn.from_row(r) for r in reversed(rows)]

    @locked
    def reply_to(self, turn_id: int) -> Turn | None:
        """Аня's turn right after turn ``turn_id`` in its conversation, or None."""
        rows = self._rows(
            "SELECT * FROM turns WHERE conversation_id = (SELECT conversation_id FROM turns"
            " WHERE id = ?) AND id > ? ORDER BY id LIMIT 1",
            [turn_id, turn_id],
        )
        return Turn.from_row(rows[0]) if rows and rows[0]["role"] == "avatar" else None

    @locked
    def flag_turn(self, turn_id: int, category: str) -> bool:
        """Set the safety verdict of an unflagged turn to ``category`` (an alert kind).

        Flags such as ``;interrupted`` are kept. A turn the safety check already
        flagged keeps its verdict (it is an alert already). Returns whether it changed.
        """
        row = self.db.execute("SELECT safety FROM turns WHERE id = ?", [turn_id]).fetchone()
        if row is None:
            raise RecordNotFound(f"Реплики №{turn_id} нет в базе", "это ошибка программы")
        verdict, sep, flags = str(row[0]).partition(";")
        if verdict not in ("ok", ""):
            return False
        self.db.execute(
            "UPDATE turns SET safety = ? WHERE id = ?", [f"{category}{sep}{flags}", turn_id]
        )
        return True

    @locked
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

    # --- conversation summaries (schema v2) ---------------------------------------

    @locked
    def set_conversation_summary(
        self, conversation_id: int, summary: str, through_turn_id: int = 0
    ) -> None:
        """Store the rolling summary of a conversation up to turn ``through_turn_id``.

        Personal data in ``summary`` is masked unless ``keep_personal_data`` is set.
        """
        self._conversation_row(conversation_id)
        self.db.execute(
            "INSERT INTO conversation_summaries (conversation_id, summary, through_turn_id,"
            " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET"
            " summary = excluded.summary, through_turn_id = excluded.through_turn_id,"
            " updated_at = excluded.updated_at",
            [conversation_id, self._stored_text(summary.strip()), through_turn_id, utc_now()],
        )

    @locked
    def conversation_summary(self, conversation_id: int) -> tuple[str, int]:
        """(summary, last summarised turn id) of a conversation; ``("", 0)`` when none."""
        row = self.db.execute(
            "SELECT summary, through_turn_id FROM conversation_summaries WHERE conversation_id = ?",
            [conversation_id],
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else ("", 0)

    @locked
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

    @locked
    def set_setting(self, key: str, value: Any, changed_by: str = "parent") -> None:
        """Record a new value of setting ``key`` (JSON-able); history is kept."""
        self.db.execute(
            "INSERT INTO settings_history (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?)",
            [key, dump_json(value), utc_now(), changed_by],
        )

    @locked
    def get_setting(self, key: str, default: Any = None) -> Any:
        """The latest recorded value of ``key``, or ``default``."""
        row = self.db.execute(
            "SELECT value FROM settings_history WHERE key = ? ORDER BY id DESC LIMIT 1", [key]
        ).fetchone()
        return json.loads(row[0]) if row else default

    @locked
    def settings_history(self, key: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Recorded setting changes, newest first (``value`` decoded from JSON)."""
        where, params = ("WHERE key = ?", [key]) if key is not None else ("", [])
        rows = self._rows(
            f"SELECT * FROM settings_history {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [{**r, "value": json.loads(r["value"])} for r in rows]

    @locked
    def record_metric(self, name: str, value: float, **labels: Any) -> None:
        """Record one measurement (e.g. ``record_metric("first_audio_ms", 640, engine="x")``)."""
        self.db.execute(
            "INSERT INTO metrics (name, value, labels, recorded_at) VALUES (?, ?, ?, ?)",
            [name, float(value), dump_json(labels), utc_now()],
        )

    @locked
    def metrics(self, name: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Recorded measurements, newest first (``labels`` decoded from JSON)."""
        where, params = ("WHERE name = ?", [name]) if name is not None else ("", [])
        rows = self._rows(
            f"SELECT * FROM metrics {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [{**r, "labels": json.loads(r["labels"])} for r in rows]
