"""Daemon logs carry KIOSK_STAGE/KIOSK_TURN/KIOSK_STATE to journald; stderr otherwise."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.daemon.journal import configure_daemon_logging, under_journald


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_journal_entries_carry_the_kiosk_fields(restore_root: None) -> None:
    pytest.importorskip("systemd.journal")
    sent: list[dict[str, Any]] = []

    def sender(MESSAGE: str, **fields: Any) -> None:  # noqa: N803 - systemd's own name
        sent.append({"MESSAGE": MESSAGE, **fields})

    configure_daemon_logging("INFO", journal=True, sender=sender)
    log = logging.getLogger("kiosk.daemon.test")
    log.info("turn %d answered", 7, extra={"stage": "brain", "turn": 7, "state": "speaking"})
    log.debug("not at INFO")
    assert len(sent) == 1
    entry = sent[0]
    assert entry["MESSAGE"].endswith("turn 7 answered")
    assert (entry["KIOSK_STAGE"], entry["KIOSK_TURN"], entry["KIOSK_STATE"]) == (
        "brain",
        "7",
        "speaking",
    )
    assert entry["SYSLOG_IDENTIFIER"] == "kiosk" and entry["PRIORITY"] == "6"


def test_without_systemd_the_daemon_logs_to_stderr(
    restore_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = configure_daemon_logging("WARNING", journal=False)
    assert isinstance(handler, logging.StreamHandler)
    logging.getLogger("kiosk.x").warning("mic lost", extra={"stage": "audio"})
    logging.getLogger("kiosk.x").info("quiet")
    err = capsys.readouterr().err
    assert "mic lost" in err and "quiet" not in err


def test_journal_stream_must_name_our_stderr() -> None:
    with tempfile.TemporaryFile() as f:
        info = os.fstat(f.fileno())
        mine = {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        assert under_journald(mine, f)
        assert not under_journald({"JOURNAL_STREAM": "1:2"}, f)
        assert not under_journald({}, sys.stderr)
