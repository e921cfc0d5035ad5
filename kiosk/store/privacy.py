"""The parent's control over the child's data: export everything, wipe, purge old history."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.store.base import CONVERSATIONS_SQL, StoreBase, locked
from kiosk.store.facts import FACT_ORDER
from kiosk.store.records import Conversation, Fact, Turn, format_time, utc_now

__all__ = ["PrivacyMixin"]

_LOGGER = logging.getLogger(__name__)

_PURGED_TABLES = (
    ("conversation_summaries", "conversation_id"),
    ("turns", "conversation_id"),
    ("conversations", "id"),
)
"""What a retention purge deletes per conversation, children before parents."""


class PrivacyMixin(StoreBase):
    """The ``Store`` methods that export, wipe and purge the child's data."""

    @locked
    def export_all(self) -> dict[str, Any]:
        """Everything stored about the child, as a JSON-able dict.

        Each conversation carries its turns and its rolling ``summary`` (with the
        last summarised turn and when it was written; ``None`` when there is none).
        """
        summaries = {
            int(r["conversation_id"]): r for r in self._rows("SELECT * FROM conversation_summaries")
        }
        conversations = []
        for row in self._rows(f"{CONVERSATIONS_SQL} ORDER BY c.id"):
            conversation = Conversation.from_row(row)
            item = conversation.to_dict()
            item["turns"] = [
                Turn.from_row(r).to_dict()
                for r in self._rows(
                    "SELECT * FROM turns WHERE conversation_id = ? ORDER BY id", [conversation.id]
                )
            ]
            summary = summaries.get(conversation.id)
            item["summary"] = (
                {
                    "text": summary["summary"],
                    "through_turn_id": summary["through_turn_id"],
                    "updated_at": summary["updated_at"],
                }
                if summary is not None
                else None
            )
            conversations.append(item)
        facts = self._rows(f"SELECT * FROM memory_facts ORDER BY {FACT_ORDER}")
        history = self._rows("SELECT * FROM settings_history ORDER BY id")
        return {
            "format": "kiosk-export",
            "schema_version": self.schema_version,
            "exported_at": utc_now(),
            "conversations": conversations,
            "facts": [Fact.from_row(r).to_dict() for r in facts],
            "settings_history": [{**r, "value": json.loads(r["value"])} for r in history],
        }

    @locked
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

    @locked
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
