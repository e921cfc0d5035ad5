"""The control client on real Unix sockets: stoppable event streams and clear connect errors."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.daemon.control import (
    ControlClient,
    ControlCommandFailed,
    DaemonUnavailable,
    Subscription,
)

from .test_control import RunningServer


@pytest.fixture
def quiet_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A real ControlServer that streams status only once a minute (readers block)."""
    running = RunningServer(tmp_path / "c.sock", status_interval=60.0)
    yield running
    running.stop()


def _reader(subscription: Subscription) -> tuple[threading.Thread, list[Any]]:
    """Iterate ``subscription`` on a thread; the list gets each event, then "end" or the error."""
    seen: list[Any] = []

    def run() -> None:
        try:
            for message in subscription:
                seen.append(message)
            seen.append("end")
        except Exception as exc:
            seen.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, seen


def _wait(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never came true"
        time.sleep(0.01)


def _event_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kiosk-control-events"]


# --- stopping ---------------------------------------------------------------------


def test_closing_a_subscription_from_another_thread_ends_it_at_once(
    quiet_server: RunningServer,
) -> None:
    subscription = ControlClient(quiet_server.server.path, timeout=30).subscribe()
    thread, seen = _reader(subscription)
    _wait(lambda: len(seen) == 1)  # the first status; the next one is a minute away
    assert seen[0]["event"] == "status"
    time.sleep(0.2)  # the reader is now blocked waiting for the daemon
    started = time.monotonic()
    subscription.close()
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - started < 0.5
    assert seen[1:] == ["end"]
    assert subscription.closed


def test_a_subscription_closed_before_reading_yields_nothing(quiet_server: RunningServer) -> None:
    subscription = ControlClient(quiet_server.server.path).subscribe()
    subscription.close()
    subscription.close()  # twice is fine
    assert list(subscription) == []


def test_published_events_reach_a_subscriber_in_order(quiet_server: RunningServer) -> None:
    with ControlClient(quiet_server.server.path, timeout=5).subscribe() as subscription:
        assert next(subscription)["event"] == "status"
        for n in range(3):
            quiet_server.server.publish("turn", {"n": n})
        assert [next(subscription)["data"] for _ in range(3)] == [{"n": 0}, {"n": 1}, {"n": 2}]


async def test_async_events_stop_their_reader_when_the_task_is_cancelled(
    quiet_server: RunningServer,
) -> None:
    got: list[dict[str, Any]] = []

    async def follow() -> None:
        async for message in ControlClient(quiet_server.server.path, timeout=30).events():
            got.append(message)

    task = asyncio.create_task(follow())
    for _ in range(200):
        if got:
            break
        await asyncio.sleep(0.02)
    assert got and got[0]["event"] == "status"
    assert len(_event_threads()) == 1
    started = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    for _ in range(50):
        if not _event_threads():
            break
        await asyncio.sleep(0.01)
    assert _event_threads() == []
    assert time.monotonic() - started < 0.5
    # The daemon sees the client go: it drops the subscriber.
    for _ in range(100):
        if not quiet_server.server._subscribers:
            break
        await asyncio.sleep(0.02)
    assert not quiet_server.server._subscribers


async def test_async_events_say_the_daemon_went_away(tmp_path: Path) -> None:
    running = RunningServer(tmp_path / "c.sock", status_interval=60.0)
    events = ControlClient(running.server.path, timeout=5).events()
    assert (await anext(events))["event"] == "status"
    await asyncio.to_thread(running.stop)
    with pytest.raises(DaemonUnavailable, match="закрыл соединение"):
        await anext(events)


# --- errors -----------------------------------------------------------------------


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "absent.sock"


def _bound_not_listening(tmp_path: Path) -> Path:
    path = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))  # what a killed daemon leaves behind: connection refused
    return path


def _plain_file(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.sock"
    path.write_text("not a socket")
    return path


def _too_long(tmp_path: Path) -> Path:
    return tmp_path / ("x" * 120) / "kiosk.sock"


CONNECT_FAILURES = [
    (_missing, "не запущен", "systemctl start kiosk"),
    (_bound_not_listening, "не запущен", "systemctl start kiosk"),
    (_plain_file, "не запущен", "systemctl start kiosk"),
    (_too_long, "Не удалось подключиться", "daemon.socket_path"),
]


@pytest.mark.parametrize(("make", "message", "hint"), CONNECT_FAILURES)
@pytest.mark.parametrize("how", ["request", "subscribe", "events"])
def test_connect_failures_are_daemon_unavailable_with_a_hint(
    tmp_path: Path, make: Callable[[Path], Path], message: str, hint: str, how: str
) -> None:
    client = ControlClient(make(tmp_path), timeout=5)

    async def first_event() -> dict[str, Any]:
        return await anext(client.events())

    with pytest.raises(DaemonUnavailable, match=message) as caught:
        if how == "request":
            client.request("status")
        elif how == "subscribe":
            client.subscribe()
        else:
            asyncio.run(first_event())
    assert hint in caught.value.hint
    assert caught.value.exit_code == 7


def test_a_daemon_that_does_not_accept_is_a_connect_timeout(tmp_path: Path) -> None:
    path = tmp_path / "busy.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(0)  # never accepts: once the backlog is full, connect blocks
        waiting: list[socket.socket] = []
        try:
            while True:
                peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                peer.setblocking(False)
                waiting.append(peer)
                peer.connect(str(path))
        except BlockingIOError:
            pass
        client = ControlClient(path, timeout=30, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(DaemonUnavailable, match="не принял подключение за 0.3 с") as caught:
            client.request("status")
        assert time.monotonic() - started < 2
        assert "restart kiosk" in caught.value.hint
        for peer in waiting:
            peer.close()


def _fake_daemon(path: Path, script: Callable[[socket.socket], None]) -> socket.socket:
    """A listening socket whose first client is handled by ``script`` on a thread."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)
            script(conn)
            time.sleep(1.0)

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_a_silent_daemon_ends_the_stream_with_a_clear_error(tmp_path: Path) -> None:
    with _fake_daemon(tmp_path / "s.sock", lambda conn: None):
        subscription = ControlClient(tmp_path / "s.sock", timeout=0.3).subscribe()
        with pytest.raises(DaemonUnavailable, match="молчит 0.3 с"):
            next(subscription)


def test_a_refused_subscription_is_the_daemons_error(tmp_path: Path) -> None:
    def refuse(conn: socket.socket) -> None:
        conn.sendall(b'{"id": 1, "ok": false, "error": "\xd0\xbd\xd0\xb5\xd1\x82"}\n')

    with _fake_daemon(tmp_path / "s.sock", refuse):
        with pytest.raises(ControlCommandFailed, match="нет"):
            next(ControlClient(tmp_path / "s.sock", timeout=5).subscribe())


def test_oversized_and_unreadable_event_lines_are_skipped(tmp_path: Path) -> None:
    def noisy(conn: socket.socket) -> None:
        conn.sendall(b'{"id": 1, "ok": true, "result": {"subscribed": true}}\n')
        conn.sendall(b'{"event": "turn", "data": {"text": "' + b"a" * (3 << 20) + b'"}}\n')
        conn.sendall(b"{garbage\n[1, 2]\n")
        conn.sendall(json.dumps({"event": "state", "data": {"state": "listening"}}).encode())
        conn.sendall(b"\n")

    with _fake_daemon(tmp_path / "s.sock", noisy):
        with ControlClient(tmp_path / "s.sock", timeout=5).subscribe() as subscription:
            assert next(subscription) == {"event": "state", "data": {"state": "listening"}}


# --- the admin TUI's stream (kiosk.admin.live.subscribe is a thin layer over events) ---


async def test_admin_stream_stops_its_reader_when_the_loop_is_left(
    quiet_server: RunningServer,
) -> None:
    from kiosk.admin.live import subscribe

    async for message in subscribe(quiet_server.server.path):
        assert message["event"] == "status"
        break
    for _ in range(50):
        if not _event_threads():
            break
        await asyncio.sleep(0.01)
    assert _event_threads() == []


async def test_admin_stream_turns_a_refusal_into_daemon_error(tmp_path: Path) -> None:
    from kiosk.admin.live import DaemonError, subscribe

    def refuse(conn: socket.socket) -> None:
        conn.sendall('{"id": 1, "ok": false, "error": "доступ запрещён"}\n'.encode())

    with _fake_daemon(tmp_path / "s.sock", refuse):
        with pytest.raises(DaemonError, match="доступ запрещён") as caught:
            async for _ in subscribe(tmp_path / "s.sock"):
                pass
    assert caught.value.reason == "доступ запрещён"
