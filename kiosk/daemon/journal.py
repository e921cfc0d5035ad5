"""Daemon logging: structured journald fields under systemd, plain stderr lines otherwise.

Log calls pass ``extra={"stage": ..., "turn": ..., "state": ...}``; under systemd these
become the journal fields ``KIOSK_STAGE``, ``KIOSK_TURN`` and ``KIOSK_STATE``
(``journalctl -u kiosk KIOSK_STAGE=stt``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["FIELDS", "KioskFields", "configure_daemon_logging", "under_journald"]

_LOGGER = logging.getLogger(__name__)

FIELDS = ("stage", "turn", "state")
"""Record extras copied into journal fields ``KIOSK_<NAME>``."""


class KioskFields(logging.Filter):
    """Adds ``KIOSK_STAGE``/``KIOSK_TURN``/``KIOSK_STATE`` to records that carry the extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Copy the known extras into journal-style attributes; never drops a record."""
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                setattr(record, f"KIOSK_{name.upper()}", str(value))
        return True


def under_journald(environ: dict[str, str] | None = None, stream: Any = None) -> bool:
    """True when stderr is connected to the journal (systemd sets ``JOURNAL_STREAM``).

    As sd_journal docs say: compare JOURNAL_STREAM's ``device:inode`` with stderr's.
    """
    environ = dict(os.environ) if environ is None else environ
    value = environ.get("JOURNAL_STREAM", "")
    if ":" not in value:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    device, _, inode = value.partition(":")
    return device == str(info.st_dev) and inode == str(info.st_ino)


def configure_daemon_logging(
    level: str = "INFO",
    *,
    journal: bool | None = None,
    sender: Callable[..., Any] | None = None,
) -> logging.Handler:
    """Send the root logger to journald (fields attached) or to stderr; returns the handler.

    ``journal`` None decides by ``under_journald()``; ``sender`` replaces
    ``systemd.journal.send`` (tests). Without systemd-python the stderr handler is used.
    """
    handler: logging.Handler | None = None
    if journal is None:
        journal = under_journald()
    if journal:
        try:
            from systemd.journal import JournalHandler, send

            handler = JournalHandler(sender_function=sender or send, SYSLOG_IDENTIFIER="kiosk")
            handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        except ImportError:
            _LOGGER.warning("systemd-python missing: logging to stderr")
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(KioskFields())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
