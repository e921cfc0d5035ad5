"""Typed rows of the store (conversations, turns, memory facts) and UTC timestamps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.errors import StoreError

__all__ = [
    "ROLES",
    "Conversation",
    "Fact",
    "RecordNotFound",
    "Turn",
    "format_time",
    "parse_time",
    "utc_now",
]

ROLES = ("child", "avatar", "parent")
"""Who said a turn: the child, the avatar (Аня) or the parent (admin)."""

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class RecordNotFound(StoreError, KeyError):
    """A conversation, turn or fact with the given id is not in the database.

    Also a ``KeyError``, so ``except KeyError`` works for callers that prefer it.
    """

    exit_code = 1


def utc_now() -> str:
    """The current time as the store writes it: ISO-8601 UTC with microseconds and ``Z``."""
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    """``moment`` as a fixed-width ISO-8601 UTC string (sorts as text); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str | None) -> datetime | None:
    """An aware UTC ``datetime`` from a stored timestamp (``None`` stays ``None``)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return format_time(moment) if moment is not None else None


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation: from waking Аня up (or opening a chat) to going back to sleep."""

    id: int
    """Row id."""
    started_at: datetime
    """When it started (UTC)."""
    ended_at: datetime | None
    """When it ended (UTC); ``None`` while it goes on, or after a crash."""
    persona: str
    """Persona id (the TOML file's name), e.g. ``"anya"``."""
    source: str
    """How it happened: ``"voice"``, ``"text"``, ``"admin"`` or ``"demo"``."""
    turn_count: int = 0
    """Number of stored turns."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Conversation:
        """Build from a database row (``turn_count`` optional)."""
        started = parse_time(row["started_at"])
        assert started is not None
        return cls(
            id=int(row["id"]),
            started_at=started,
            ended_at=parse_time(row["ended_at"]),
            persona=row["persona"],
            source=row["source"],
            turn_count=int(row.get("turn_count") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (timestamps as ISO-8601 UTC strings)."""
        return {
            "id": self.id,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "persona": self.persona,
            "source": self.source,
            "turn_count": self.turn_count,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    """One utterance in a conversation, stored the moment it happened."""

    id: int
    """Row id."""
    conversation_id: int
    """The conversation it belongs to."""
    role: str
    """``"child"``, ``"avatar"`` or ``"parent"``."""
    text: str
    """What was said (recognised or written)."""
    emotion: str
    """Emotion tag of the utterance, e.g. ``"neutral"``, ``"happy"``."""
    safety: str
    """Safety verdict: ``"ok"`` or what the safety check decided."""
    source: str
    """``"voice"``, ``"text"``, ``"admin"`` or ``"demo"``."""
    engine: str
    """Brain engine that produced an avatar turn (empty for the child's turns)."""
    created_at: datetime
    """When it was stored (UTC)."""
    timings: Mapping[str, float] = field(default_factory=dict)
    """Per-stage timings: stage name → milliseconds."""
    speaker: str | None = None
    """Who the speaker recogniser heard (``child``, ``parent``, ``unknown``); None: not run."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Turn:
        """Build from a database row."""
        created = parse_time(row["created_at"])
        assert created is not None
        timings = json.loads(row["timings"]) if row["timings"] else {}
        return cls(
            id=int(row["id"]),
            conversation_id=int(row["conversation_id"]),
            role=row["role"],
            text=row["text"],
            emotion=row["emotion"],
            safety=row["safety"],
            source=row["source"],
            engine=row["engine"],
            created_at=created,
            timings={str(k): float(v) for k, v in timings.items()},
            speaker=row.get("speaker"),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (timestamps as ISO-8601 UTC strings)."""
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "role": self.role,
            "text": self.text,
            "emotion": self.emotion,
            "safety": self.safety,
            "source": self.source,
            "engine": self.engine,
            "timings_ms": dict(self.timings),
            "speaker": self.speaker,
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Fact:
    """Something Аня remembers about the child, under the parent's control."""

    id: int
    """Row id."""
    text: str
    """The fact, in Russian (e.g. "Любит кошек")."""
    category: str
    """Free-form group, e.g. ``"general"``, ``"likes"``, ``"family"``."""
    priority: float
    """0..1; higher facts go into the prompt first when space is short."""
    source_turn_id: int | None
    """The turn it was learnt from, if any."""
    pinned: bool
    """Pinned by the parent: always in the prompt, listed first."""
    created_at: datetime
    """When it was added (UTC)."""
    updated_at: datetime
    """When it last changed (UTC)."""
    forgotten_at: datetime | None = None
    """When the parent told Аня to forget it (soft delete), else ``None``."""

    @property
    def forgotten(self) -> bool:
        """Whether the fact is forgotten (hidden from the brain)."""
        return self.forgotten_at is not None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Fact:
        """Build from a database row."""
        created, updated = parse_time(row["created_at"]), parse_time(row["updated_at"])
        assert created is not None and updated is not None
        return cls(
            id=int(row["id"]),
            text=row["text"],
            category=row["category"],
            priority=float(row["priority"]),
            source_turn_id=row["source_turn_id"],
            pinned=bool(row["pinned"]),
            created_at=created,
            updated_at=updated,
            forgotten_at=parse_time(row["forgotten_at"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (timestamps as ISO-8601 UTC strings)."""
        return {
            "id": self.id,
            "text": self.text,
            "category": self.category,
            "priority": self.priority,
            "source_turn_id": self.source_turn_id,
            "pinned": self.pinned,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "forgotten_at": _iso(self.forgotten_at),
        }
