"""The control socket's protocol on a real Unix socket: requests, errors, limits, the stream."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.daemon.control import (
    ControlClient,
    ControlCommandFailed,
    ControlServer,
    Peer,
    peer_allowed,
    require_text,
)
from kiosk.errors import PersonaError


class RunningServer:
    """A ControlServer on its own loop thread, with a few toy commands."""

    def __init__(self, path: Path, status_interval: float = 0.2) -> None:
        self.calls: list[dict[str, Any]] = []

        async def echo(args: dict[str, Any]) -> dict[str, Any]:
            self.calls.append(args)
            return {"text": require_text(args)}

        async def fail(args: dict[str, Any]) -> dict[str, Any]:
            raise PersonaError("Персона «x» не найдена", "выберите другую")

        async def crash(args: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("boom")

        self.server = ControlServer(
            path,
            {"echo": echo, "persona": fail, "crash": crash},
            lambda: {"state": "sleeping", "turns_today": len(self.calls)},
            status_interval=status_interval,
        )
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "c.sock")
    yield running
    running.stop()


def _raw(path: Path, payload: bytes, replies: int = 1) -> list[dict[str, Any]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(payload)
        with sock.makefile("rb") as f:
            return [json.loads(f.readline()) for _ in range(replies)]


def test_status_answers_with_the_same_id(server: RunningServer) -> None:
    [reply] = _raw(server.server.path, b'{"id": 41, "cmd": "status"}\n')
    assert reply == {"id": 41, "ok": True, "result": {"state": "sleeping", "turns_today": 0}}


def test_socket_is_group_read_write_only(server: RunningServer) -> None:
    mode = stat.S_IMODE(os.stat(server.server.path).st_mode)
    assert mode == 0o660


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"{not json", "неверный JSON"),
        (b"[1, 2]", "JSON-объектом"),
        (b'{"cmd": "status"}', "id"),
        (b'{"id": true, "cmd": "status"}', "id"),
        (b"\xff\xfe", "неверный JSON"),
    ],
)
def test_malformed_requests_get_an_error_and_the_next_one_an_answer(
    server: RunningServer, line: bytes, fragment: str
) -> None:
    bad, good = _raw(server.server.path, line + b'\n{"id": 2, "cmd": "status"}\n', replies=2)
    assert bad["ok"] is False and bad["id"] is None and fragment in bad["error"]
    assert good["ok"] is True and good["id"] == 2


def test_oversized_line_is_refused_without_dropping_the_connection(server: RunningServer) -> None:
    huge = b'{"id": 1, "cmd": "echo", "text": "' + b"a" * 200_000 + b'"}\n'
    bad, good = _raw(server.server.path, huge + b'{"id": 3, "cmd": "status"}\n', replies=2)
    assert bad["ok"] is False and "байт" in bad["error"]
    assert good == {"id": 3, "ok": True, "result": {"state": "sleeping", "turns_today": 0}}
    assert server.calls == []


def test_unknown_command_lists_the_known_ones(server: RunningServer) -> None:
    [reply] = _raw(server.server.path, b'{"id": 5, "cmd": "fly"}\n')
    assert reply["id"] == 5 and reply["ok"] is False
    assert "fly" in reply["error"] and "echo" in reply["error"] and "subscribe" in reply["error"]


def test_client_returns_the_result_and_raises_the_daemons_error(server: RunningServer) -> None:
    with ControlClient(server.server.path, timeout=5) as client:
        assert client.request("echo", text=" привет ") == {"text": "привет"}
        with pytest.raises(ControlCommandFailed, match="не найдена — выберите другую"):
            client.request("persona", name="x")
        with pytest.raises(ControlCommandFailed, match="нужен непустой текст"):
            client.request("echo", text="")
        with pytest.raises(ControlCommandFailed, match="внутренняя ошибка демона: boom"):
            client.request("crash")
        # The connection survives every error above.
        assert client.request("status")["turns_today"] == 2


def test_subscribe_streams_status_and_published_events(server: RunningServer) -> None:
    client = ControlClient(server.server.path, timeout=5)
    stream = client.subscribe()
    first = next(stream)
    assert first["event"] == "status" and first["data"]["state"] == "sleeping"
    server.server.publish("state", {"state": "thinking", "reason": "reply"})
    seen = [next(stream) for _ in range(4)]
    assert {"event": "state", "data": {"state": "thinking", "reason": "reply"}} in seen
    assert any(m["event"] == "status" for m in seen)
    stream.close()


def test_a_stale_socket_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))  # left behind by a killed daemon
    running = RunningServer(path)
    try:
        assert ControlClient(path, timeout=5).request("status")["state"] == "sleeping"
    finally:
        running.stop()
    assert not path.exists()


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        (Peer(pid=1, uid=0, gid=0), True),
        (Peer(pid=1, uid=os.getuid(), gid=os.getgid()), True),
        (Peer(pid=1, uid=54321, gid=54321), False),
    ],
)
def test_only_root_owner_and_admin_group_may_connect(peer: Peer, allowed: bool) -> None:
    assert peer_allowed(peer, admin_group="kiosk-admin-absent", own_uid=os.getuid()) is allowed


def test_admin_group_member_by_primary_gid_is_allowed() -> None:
    import grp

    group = grp.getgrgid(os.getgid())
    stranger = Peer(pid=1, uid=54321, gid=os.getgid())
    assert peer_allowed(stranger, admin_group=group.gr_name, own_uid=99999)


def test_server_closes_at_once_right_after_a_subscriber_leaves(tmp_path: Path) -> None:
    # A cancel that landed as the stream's queue yielded was swallowed (3.11 wait_for),
    # and close() then waited forever for that connection.
    for attempt in range(3):
        running = RunningServer(tmp_path / f"c{attempt}.sock", status_interval=60.0)
        with ControlClient(running.server.path, timeout=5).subscribe() as stream:
            assert next(stream)["event"] == "status"
            for n in range(3):
                running.server.publish("turn", {"n": n})
            assert [next(stream)["data"]["n"] for _ in range(3)] == [0, 1, 2]
        started = time.monotonic()
        running.stop()
        assert time.monotonic() - started < 1.5
        assert not running.thread.is_alive()


def test_server_closes_quietly_with_clients_still_connected(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    running = RunningServer(tmp_path / "c.sock")
    client = ControlClient(running.server.path, timeout=5)
    assert client.request("status")["state"] == "sleeping"  # its connection stays open
    stream = ControlClient(running.server.path, timeout=5).subscribe()
    assert next(stream)["event"] == "status"
    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        running.stop()
    assert not [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]
    assert not running.thread.is_alive()
    client.close()
    stream.close()
