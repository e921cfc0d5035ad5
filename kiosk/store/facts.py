"""Memory facts: what Аня remembers about the child, merged by key, under the parent's control."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from kiosk.store.base import StoreBase, locked
from kiosk.store.records import Fact, RecordNotFound, utc_now
from kiosk.store.search import fold_text, fts_query

__all__ = ["FACT_ORDER", "FactsMixin"]

FACT_ORDER = "pinned DESC, priority DESC, updated_at DESC, id DESC"
"""How facts are listed: pinned first, then by priority, then newest."""


class FactsMixin(StoreBase):
    """The ``Store`` methods for memory facts."""

    @locked
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

    @locked
    def fact(self, fact_id: int) -> Fact:
        """One fact, forgotten or not (raises ``RecordNotFound``)."""
        return Fact.from_row(self._fact_row(fact_id))

    @locked
    def facts(self, include_forgotten: bool = False) -> list[Fact]:
        """What Аня remembers: pinned first, then by priority, then newest."""
        where = "" if include_forgotten else "WHERE forgotten_at IS NULL"
        rows = self._rows(f"SELECT * FROM memory_facts {where} ORDER BY " + FACT_ORDER)
        return [Fact.from_row(r) for r in rows]

    def _update_fact(self, fact_id: int, **changes: Any) -> None:
        self._fact_row(fact_id)
        columns = ", ".join(f"{name} = ?" for name in changes)
        self.db.execute(
            f"UPDATE memory_facts SET {columns}, updated_at = ? WHERE id = ?",
            [*changes.values(), utc_now(), fact_id],
        )

    @locked
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

    @locked
    def pin_fact(self, fact_id: int, pinned: bool = True) -> None:
        """Pin (or unpin) a fact; pinning a forgotten fact brings it back."""
        if pinned:
            self._update_fact(fact_id, pinned=1, forgotten_at=None)
        else:
            self._update_fact(fact_id, pinned=0)

    @locked
    def forget_fact(self, fact_id: int) -> None:
        """Forget a fact (soft: kept until ``wipe_child_data``, hidden from the brain)."""
        self._fact_row(fact_id)
        now = utc_now()
        self.db.execute(
            "UPDATE memory_facts SET forgotten_at = coalesce(forgotten_at, ?), pinned = 0,"
            " updated_at = ? WHERE id = ?",
            [now, now, fact_id],
        )

    @locked
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

    @locked
    def rank_facts(
        self, words: Iterable[str], *, prefix: bool = False, limit: int = 50
    ) -> list[tuple[Fact, float]]:
        """Remembered facts containing any of ``words``, with their FTS5 bm25 relevance.

        ``words`` are matched as whole (folded) index terms, or as prefixes when
        ``prefix`` is set; they are quoted, so no FTS syntax in them survives.
        Relevance is the negated bm25 (higher is better, always above 0), best first.
        """
        terms = sorted({fold_text(w).replace('"', '""') for w in words if w.strip()})
        if not terms:
            return []
        star = "*" if prefix else ""
        match = " OR ".join(f'"{term}"{star}' for term in terms)
        rows = self._rows(
            "SELECT m.*, -bm25(memory_facts_fts) AS relevance FROM memory_facts_fts f"
            " JOIN memory_facts m ON m.id = f.rowid"
            " WHERE memory_facts_fts MATCH ? AND m.forgotten_at IS NULL"
            " ORDER BY bm25(memory_facts_fts), m.id LIMIT ?",
            [match, limit],
        )
        return [(Fact.from_row(r), max(float(r["relevance"]), 1e-9)) for r in rows]

    # --- merged facts (schema v2) ---------------------------------------------------

    @locked
    def fact_by_key(self, key: str, include_forgotten: bool = True) -> Fact | None:
        """The newest fact stored under merge ``key`` (e.g. ``like:кошка``), or None."""
        where = "" if include_forgotten else " AND forgotten_at IS NULL"
        rows = self._rows(
            f"SELECT * FROM memory_facts WHERE fact_key = ?{where} ORDER BY id DESC LIMIT 1",
            [key],
        )
        return Fact.from_row(rows[0]) if rows else None

    @locked
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
        These are facts learnt from the child's words: personal data in ``text`` and
        ``key`` is masked unless ``keep_personal_data`` is set (``add_fact``, the
        parent's own, writes text as given). Returns ``(fact id, created)``.
        """
        text = _check_fact_text(self._stored_text(text))
        key = self._stored_text(key)
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

    @locked
    def fact_mentions(self, fact_id: int) -> int:
        """How many times the child said this fact (1 for a new or hand-added one)."""
        return int(self._fact_row(fact_id).get("mentions") or 1)


def _check_fact_text(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError("a fact needs some text")
    return text


def _check_priority(priority: float) -> float:
    if not 0.0 <= priority <= 1.0:
        raise ValueError(f"priority must be within 0..1, not {priority}")
    return float(priority)
