"""sd_notify over a real NOTIFY_SOCKET datagram socket."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.daemon.notify import Notifier


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_ready_and_status_reach_systemd(notify_socket: socket.socket) -> None:
    notifier = Notifier()
    notifier.ready("сплю")
    assert notify_socket.recv(4096).decode() == "READY=1\nSTATUS=сплю"
    notifier.status("думаю")
    assert notify_socket.recv(4096).decode() == "STATUS=думаю"


def test_watchdog_pings_at_half_the_interval(
    notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    notifier = Notifier()
    assert notifier.watchdog_interval == 2.0
    notifier.watchdog()
    notifier.watchdog()  # rate-limited: only one ping
    assert notify_socket.recv(4096) == b"WATCHDOG=1"
    notify_socket.settimeout(0.2)
    with pytest.raises(TimeoutError):
        notify_socket.recv(4096)


def test_without_systemd_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    notifier.ready()
    notifier.watchdog()
