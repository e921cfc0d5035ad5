"""Opening the SQLite file: refuse foreign or newer files untouched, then WAL and migrations."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kiosk.errors import StoreError
from kiosk.store.migrations import LATEST_VERSION, apply_migrations, current_version

__all__ = ["BUSY_TIMEOUT_MS", "HINT_WRITE", "open_database"]

_LOGGER = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process (daemon vs. admin) to finish its own."""

HINT_WRITE = (
    "проверьте, что папка данных доступна для записи пользователю kiosk и что диск "
    "не заполнен (df -h), или укажите другую папку в paths.data_dir"
)
"""What a parent can do when the database cannot be written."""


def open_database(path: Path) -> tuple[Database, int]:
    """Open (or create) ``path``; returns the connection and its (migrated) schema version.

    The connection may be used from any thread (the caller serialises access).
    Raises ``StoreError`` for a path that cannot be created or written, a file that is
    not a SQLite database (left alone), or a schema newer than this code (untouched).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Не удаётся создать папку для базы {path.parent}: {exc.strerror or exc}",
            "укажите в paths.data_dir (или KIOSK_PATHS__DATA_DIR) папку, куда можно писать",
        ) from exc
    if path.is_dir():
        raise StoreError(
            f"На месте файла базы {path} лежит папка",
            "переименуйте эту папку или укажите другую папку данных",
        )
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"Не удаётся открыть базу {path}: {exc}", HINT_WRITE) from exc
    try:
        db = Database(conn, execute_plugins=False)
        # Read before anything writes: a foreign or newer file must stay as it is.
        _check_version(db, path)
        _configure(db, path)
        try:
            version = apply_migrations(db)
        except sqlite3.Error as exc:
            raise StoreError(f"Не удаётся обновить базу {path}: {exc}", HINT_WRITE) from exc
    except BaseException:
        conn.close()
        raise
    _LOGGER.debug("database %s open (schema v%d)", path, version, extra={"stage": "store"})
    return db, version


def _check_version(db: Database, path: Path) -> int:
    """Read the schema version without writing anything; refuse foreign and newer files."""
    try:
        version = current_version(db)
    except sqlite3.OperationalError as exc:
        raise StoreError(f"Не удаётся прочитать базу {path}: {exc}", HINT_WRITE) from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"Файл {path} — не база данных kiosk или он повреждён ({exc})",
            "файл оставлен как есть; переименуйте его (kiosk создаст новую базу) "
            "или восстановите из резервной копии",
        ) from exc
    if version > LATEST_VERSION:
        raise StoreError(
            f"База {path} создана более новой версией kiosk "
            f"(схема v{version}, эта версия знает до v{LATEST_VERSION})",
            "обновите kiosk; файл базы не изменён",
        )
    return version


def _configure(db: Database, path: Path) -> None:
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        # FULL: every commit reaches the disk, so a power cut loses at most the turn
        # in flight (WAL with synchronous=NORMAL may lose the last few commits).
        db.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        raise StoreError(f"Не удаётся писать в базу {path}: {exc}", HINT_WRITE) from exc
    if db.journal_mode != "wal":
        _LOGGER.warning("database %s is not in WAL mode (%s)", path, db.journal_mode)
