"""SQLite storage: schema, migrations and queries."""

from __future__ import annotations

from kiosk.store.db import Store
from kiosk.store.migrations import LATEST_VERSION
from kiosk.store.records import ROLES, Conversation, Fact, RecordNotFound, Turn

__all__ = [
    "LATEST_VERSION",
    "ROLES",
    "Conversation",
    "Fact",
    "RecordNotFound",
    "Store",
    "Turn",
]
