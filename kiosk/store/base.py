"""The store's connection, lock and opening; the base the ``Store`` parts build on."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from sqlite_utils import Database

from kiosk.errors import StoreError
from kiosk.store.connection import HINT_WRITE, open_database
from kiosk.store.records import RecordNotFound
from kiosk.store.scrub import scrub_personal_data

__all__ = ["CONVERSATIONS_SQL", "StoreBase", "dump_json", "locked"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S", bound="StoreBase")


def locked(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """Run ``method`` under the store's lock, turning SQLite failures into ``StoreError``."""

    @functools.wraps(method)
    def wrapper(self: _S, *args: _P.args, **kwargs: _P.kwargs) -> _R:
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


CONVERSATIONS_SQL = (
    "SELECT c.*, (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) AS turn_count"
    " FROM conversations c"
)
"""Conversations with their turn count; append ``WHERE``/``ORDER BY``."""


def dump_json(value: Any) -> str:
    """Compact, stable JSON for a TEXT column (Russian kept readable)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class StoreBase:
    """One SQLite connection behind a lock; the parts of ``Store`` inherit it."""

    def __init__(
        self, db: Database, path: Path, schema_version: int, *, keep_personal_data: bool = False
    ) -> None:
        self._db: Database | None = db
        self._lock = threading.RLock()
        self.path = path
        """The database file."""
        self.schema_version = schema_version
        """Schema version of the open database (``LATEST_VERSION`` after migrations)."""
        self.keep_personal_data = keep_personal_data
        """Store the conversation's phones, addresses, e-mails as said; False (the default,
        like ``brain.keep_personal_data``): turns, learnt facts and summaries are written
        with them masked ("[телефон]"). Facts the parent types are written as typed."""

    # --- opening and closing ------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, keep_personal_data: bool = False) -> Self:
        """Open (or create) the database at ``path`` and bring its schema up to date.

        ``keep_personal_data``: see the attribute of that name (privacy by default).

        Raises ``StoreError`` when the file cannot be created or written, is not a
        SQLite database (the file is left alone), or was made by a newer kiosk (the
        file is left untouched).
        """
        path = Path(path).expanduser()
        db, version = open_database(path)
        return cls(db, path, version, keep_personal_data=keep_personal_data)

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Self:
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

    def _stored_text(self, text: str) -> str:
        """``text`` as the conversation history may keep it (personal data masked)."""
        return text if self.keep_personal_data else scrub_personal_data(text)

    def _rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def _conversation_row(self, conversation_id: int) -> dict[str, Any]:
        rows = self._rows(
            f"{CONVERSATIONS_SQL} WHERE c.id = ?",
            [conversation_id],
        )
        if not rows:
            raise RecordNotFound(
                f"Разговора №{conversation_id} нет в базе",
                "посмотрите список разговоров в kiosk admin",
            )
        return rows[0]
