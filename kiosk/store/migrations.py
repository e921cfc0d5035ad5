"""Versioned schema migrations, in code, applied in order, each in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk.store.records import utc_now

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "Migration",
    "apply_migrations",
    "current_version",
]

_LOGGER = logging.getLogger(__name__)

# "ё" is folded to "е" before indexing and before querying: Russian texts use both
# spellings and unicode61's remove_diacritics does not fold Cyrillic.
_FOLD = "replace(replace({}, 'ё', 'е'), 'Ё', 'Е')"
_TOKENIZE = "unicode61 remove_diacritics 2"


def _fts_sql(table: str) -> list[str]:
    """An FTS5 table ``<table>_fts`` over ``<table>.text`` kept in step by triggers.

    The index keeps its own (folded) copy of the text instead of pointing at the
    table (external content), so deleting by rowid needs no old values and a wipe
    leaves nothing behind.
    """
    fts = f"{table}_fts"
    new_text = _FOLD.format("new.text")
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(text, tokenize = '{_TOKENIZE}')",
        f"""CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN
              INSERT INTO {fts} (rowid, text) VALUES (new.id, {new_text});
            END""",
        f"""CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN
              DELETE FROM {fts} WHERE rowid = old.id;
            END""",
        f"""CREATE TRIGGER {table}_fts_au AFTER UPDATE OF text ON {table} BEGIN
              DELETE FROM {fts} WHERE rowid = old.id;
              INSERT INTO {fts} (rowid, text) VALUES (new.id, {new_text});
            END""",
    ]


def _migrate_1_initial(db: Database) -> None:
    statements = [
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            persona TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'voice'
        )""",
        "CREATE INDEX idx_conversations_started_at ON conversations (started_at)",
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations (id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('child', 'avatar', 'parent')),
            text TEXT NOT NULL,
            emotion TEXT NOT NULL DEFAULT 'neutral',
            safety TEXT NOT NULL DEFAULT 'ok',
            source TEXT NOT NULL DEFAULT 'text',
            engine TEXT NOT NULL DEFAULT '',
            timings TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_turns_conversation ON turns (conversation_id, id)",
        "CREATE INDEX idx_turns_created_at ON turns (created_at)",
        """CREATE TABLE memory_facts (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT 'general',
            priority REAL NOT NULL DEFAULT 0.5 CHECK (priority BETWEEN 0.0 AND 1.0),
            source_turn_id INTEGER REFERENCES turns (id) ON DELETE SET NULL,
            pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            forgotten_at TEXT
        )""",
        "CREATE INDEX idx_memory_facts_order ON memory_facts (pinned DESC, priority DESC)",
        "CREATE INDEX idx_memory_facts_source_turn ON memory_facts (source_turn_id)",
        """CREATE TABLE settings_history (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL DEFAULT 'parent'
        )""",
        "CREATE INDEX idx_settings_history_key ON settings_history (key, id)",
        """CREATE TABLE metrics (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            value REAL NOT NULL,
            labels TEXT NOT NULL DEFAULT '{}',
            recorded_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_metrics_name ON metrics (name, recorded_at)",
        *_fts_sql("turns"),
        *_fts_sql("memory_facts"),
    ]
    for statement in statements:
        db.execute(statement)


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema."""

    version: int
    """Schema version after this step (1, 2, …; never reused)."""
    name: str
    """What the step does, for the log."""
    apply: Callable[[Database], None]
    """Runs the step; called inside a transaction that also records the version."""


def _migrate_2_memory(db: Database) -> None:
    """Fact keys for merging duplicates, mention counts, and per-conversation summaries."""
    statements = [
        "ALTER TABLE memory_facts ADD COLUMN fact_key TEXT",
        "ALTER TABLE memory_facts ADD COLUMN mentions INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE memory_facts ADD COLUMN last_seen_at TEXT",
        "CREATE INDEX idx_memory_facts_key ON memory_facts (fact_key)",
        """CREATE TABLE conversation_summaries (
            conversation_id INTEGER PRIMARY KEY
                REFERENCES conversations (id) ON DELETE CASCADE,
            summary TEXT NOT NULL,
            through_turn_id INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )""",
    ]
    for statement in statements:
        db.execute(statement)


def _migrate_3_speaker(db: Database) -> None:
    """Who spoke a turn, as the speaker recogniser heard it (NULL: not recognised)."""
    db.execute("ALTER TABLE turns ADD COLUMN speaker TEXT")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _migrate_1_initial),
    Migration(2, "memory keys and conversation summaries", _migrate_2_memory),
    Migration(3, "speaker tag on turns", _migrate_3_speaker),
)
"""Every migration, in order. Append only: a released step never changes."""

LATEST_VERSION = MIGRATIONS[-1].version
"""The schema version this code writes."""


def current_version(db: Database) -> int:
    """The schema version of ``db`` (0 for an empty database); only reads."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(db: Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring ``db`` up to the last of ``migrations``; returns the resulting version.

    Each step runs in its own transaction together with its ``schema_migrations`` row,
    so a crash leaves the database at the previous version, never half-way.
    """
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise ValueError(f"migration versions must be increasing from 1: {versions}")
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    version = current_version(db)
    for migration in migrations:
        if migration.version <= version:
            continue
        # IMMEDIATE takes the write lock before re-reading the version, so the daemon
        # and the admin TUI opening a fresh file at once cannot both run a step.
        db.execute("BEGIN IMMEDIATE")
        try:
            version = current_version(db)
            if migration.version > version:
                migration.apply(db)
                db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [migration.version, utc_now()],
                )
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
        if migration.version <= version:
            continue
        _LOGGER.info(
            "database migrated to v%d (%s)",
            migration.version,
            migration.name,
            extra={"stage": "store", "schema_version": migration.version},
        )
        version = migration.version
    return version
