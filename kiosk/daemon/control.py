"""The control socket: JSON lines over a Unix socket, for the parent's TUI and the CLI.

Request: ``{"id": <int>, "cmd": "<name>", ...args}``. Response: ``{"id": <same>, "ok": true,
"result": {...}}`` or ``{"id": <same>, "ok": false, "error": "<message in Russian>"}``.
``subscribe`` answers ``{"subscribed": true}`` and then streams ``{"event": ..., "data": ...}``
lines (``status`` every second, ``state`` and ``turn`` as they happen) until the client
leaves. Peers are checked with ``SO_PEERCRED``: root, the daemon's user and members of the
admin group only. A malformed or oversized line gets an error answer; the daemon goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import os
import pwd
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "ControlClient",
    "ControlCommandFailed",
    "ControlServer",
    "DaemonUnavailable",
    "Handler",
    "Peer",
    "peer_allowed",
    "require_text",
]

_LOGGER = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
"""Longest request line accepted, in bytes (without the newline)."""

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""A command: the request's arguments in, the ``result`` object out (raises ``KioskError``)."""

_SUBSCRIBE = "subscribe"
_READ_CHUNK = 65536


class DaemonUnavailable(KioskError):
    """The daemon's control socket is absent or refuses connections."""

    exit_code = 7


class ControlCommandFailed(KioskError):
    """The daemon answered a command with ``ok: false``."""


# --- peers -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Peer:
    """Credentials of the process at the other end of the socket."""

    pid: int
    """Its process id."""
    uid: int
    """Its user id."""
    gid: int
    """Its primary group id."""


def _peer_of(sock: socket.socket) -> Peer:
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return Peer(pid=pid, uid=uid, gid=gid)


def peer_allowed(peer: Peer, *, admin_group: str, own_uid: int | None = None) -> bool:
    """Root, the daemon's own user, and members of ``admin_group`` (primary or listed)."""
    own = os.getuid() if own_uid is None else own_uid
    if peer.uid in (0, own):
        return True
    try:
        group = grp.getgrnam(admin_group)
    except KeyError:
        return False
    if peer.gid == group.gr_gid:
        return True
    try:
        user = pwd.getpwuid(peer.uid)
    except KeyError:
        return False
    return user.pw_gid == group.gr_gid or user.pw_name in group.gr_mem


def require_text(args: Mapping[str, Any], key: str = "text", max_chars: int = 2000) -> str:
    """The non-empty string argument ``key`` (raises ``ControlCommandFailed``)."""
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ControlCommandFailed(f"нужен непустой текст в поле «{key}»")
    if len(value) > max_chars:
        raise ControlCommandFailed(f"поле «{key}» длиннее {max_chars} символов")
    return value.strip()


def _encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, default=str).encode("utf-8") + b"\n"


def _error(request_id: int | None, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": message}


# --- server ------------------------------------------------------------------


class ControlServer:
    """Serves the commands in ``handlers`` on a Unix socket, on the running asyncio loop."""

    def __init__(
        self,
        path: Path,
        handlers: Mapping[str, Handler],
        status: Callable[[], dict[str, Any]],
        *,
        admin_group: str = "kiosk-admin",
        max_message: int = MAX_MESSAGE_BYTES,
        status_interval: float = 1.0,
    ) -> None:
        """``status`` builds the ``status`` result (also streamed to subscribers)."""
        self.path = path
        self.handlers = dict(handlers)
        self.status = status
        self.admin_group = admin_group
        self.max_message = max_message
        self.status_interval = status_interval
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._connections: set[asyncio.Task[None]] = set()

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Bind the socket (replacing a stale one), set mode 0660 and the admin group."""
        self._loop = asyncio.get_running_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if _socket_answers(self.path):
                raise KioskError(
                    f"Другой процесс kiosk уже слушает {self.path}",
                    "остановите его (systemctl stop kiosk) или укажите другой daemon.socket_path",
                )
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        os.chmod(self.path, 0o660)
        try:
            gid = grp.getgrnam(self.admin_group).gr_gid
            os.chown(self.path, -1, gid)
        except KeyError:
            _LOGGER.info("no group %s: socket for root and owner only", self.admin_group)
        except OSError as exc:
            _LOGGER.warning("cannot give %s to group %s: %s", self.path, self.admin_group, exc)
        _LOGGER.info("control socket at %s", self.path)

    async def close(self) -> None:
        """Stop serving, end every connection and remove the socket file."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    # --- events ------------------------------------------------------------------

    def publish(self, event: str, data: Mapping[str, Any]) -> None:
        """Send ``{"event", "data"}`` to every subscriber; callable from any thread."""
        message = {"event": event, "data": dict(data)}
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fan_out(message)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._fan_out, message)

    def _fan_out(self, message: dict[str, Any]) -> None:
        for queue in self._subscribers:
            if queue.full():  # a slow reader loses the oldest events, never the daemon
                queue.get_nowait()
            queue.put_nowait(message)

    # --- protocol ----------------------------------------------------------------

    async def dispatch(self, line: bytes) -> dict[str, Any]:
        """Answer one request line (without the newline); never raises."""
        if len(line) > self.max_message:
            return _error(None, f"сообщение длиннее {self.max_message} байт отклонено")
        try:
            request = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(None, f"неверный JSON: {exc}")
        if not isinstance(request, dict):
            return _error(None, "запрос должен быть JSON-объектом с полями id и cmd")
        request_id = request.get("id")
        if not isinstance(request_id, int) or isinstance(request_id, bool):
            return _error(None, "поле id должно быть целым числом")
        cmd = request.get("cmd")
        if cmd == _SUBSCRIBE:
            return {"id": request_id, "ok": True, "result": {"subscribed": True}}
        if cmd == "status":
            return await self._run(request_id, self._status_result)
        handler = self.handlers.get(cmd) if isinstance(cmd, str) else None
        if handler is None:
            known = ", ".join(sorted({*self.handlers, "status", _SUBSCRIBE}))
            return _error(request_id, f"неизвестная команда {cmd!r} (есть: {known})")
        args = {k: v for k, v in request.items() if k not in ("id", "cmd")}
        return await self._run(request_id, lambda: handler(args))

    async def _status_result(self) -> dict[str, Any]:
        return self.status()

    async def _run(
        self, request_id: int, call: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        try:
            result = await call()
        except KioskError as exc:
            return _error(request_id, f"{exc.message} — {exc.hint}" if exc.hint else exc.message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _LOGGER.exception("control command %s failed", request_id)
            return _error(request_id, f"внутренняя ошибка демона: {exc}")
        return {"id": request_id, "ok": True, "result": result}

    # --- connections ---------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        stream: asyncio.Task[None] | None = None
        queue: asyncio.Queue[dict[str, Any]] | None = None
        try:
            peer = _peer_of(writer.get_extra_info("socket"))
            if not peer_allowed(peer, admin_group=self.admin_group):
                _LOGGER.warning("control socket: refused uid %d (pid %d)", peer.uid, peer.pid)
                await self._send(
                    writer,
                    _error(None, f"доступ запрещён: пользователь не в группе {self.admin_group}"),
                )
                return
            async for line in self._lines(reader):
                if line is None:
                    reply = _error(None, f"сообщение длиннее {self.max_message} байт отклонено")
                else:
                    reply = await self.dispatch(line)
                await self._send(writer, reply)
                subscribed = reply.get("ok") and reply.get("result") == {"subscribed": True}
                if subscribed and stream is None:
                    queue = asyncio.Queue(maxsize=200)
                    self._subscribers.add(queue)
                    stream = asyncio.create_task(self._stream(writer, queue))
        except (ConnectionError, TimeoutError) as exc:
            _LOGGER.debug("control client left: %s", exc)
        finally:
            if queue is not None:
                self._subscribers.discard(queue)
            if stream is not None:
                stream.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, TimeoutError):
                    await stream
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._connections.discard(task)

    async def _lines(self, reader: asyncio.StreamReader) -> Any:
        """Request lines; ``None`` for each line over the limit (its bytes are dropped)."""
        buffer = bytearray()
        discarding = False
        while chunk := await reader.read(_READ_CHUNK):
            buffer += chunk
            while (newline := buffer.find(b"\n")) >= 0:
                line = bytes(buffer[:newline]).rstrip(b"\r")
                del buffer[: newline + 1]
                if discarding:
                    discarding = False
                    continue
                yield None if len(line) > self.max_message else line
            if len(buffer) > self.max_message:
                buffer.clear()
                if not discarding:
                    discarding = True
                    yield None

    async def _stream(self, writer: asyncio.StreamWriter, queue: asyncio.Queue[Any]) -> None:
        loop = asyncio.get_running_loop()
        next_status = loop.time()
        while True:
            timeout = next_status - loop.time()
            if timeout <= 0:
                await self._send(writer, {"event": "status", "data": self.status()})
                next_status = loop.time() + self.status_interval
                continue
            try:
                message = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                continue
            await self._send(writer, message)

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, message: Mapping[str, Any]) -> None:
        writer.write(_encode(message))
        await asyncio.wait_for(writer.drain(), 5.0)  # a client that stops reading is dropped


def _socket_answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


# --- client ------------------------------------------------------------------


class ControlClient:
    """A blocking client for the TUI and the CLI; one connection, opened on first use."""

    def __init__(self, path: Path | str, timeout: float = 120.0) -> None:
        """``timeout``: seconds to wait for an answer (a spoken turn can take a while)."""
        self.path = Path(path)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._file: Any = None
        self._next_id = 0
        self._lock = threading.Lock()

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            raise DaemonUnavailable(
                f"Демон kiosk не запущен (нет ответа на {self.path})",
                "запустите его: sudo systemctl start kiosk (или kiosk run)",
            ) from exc
        except PermissionError as exc:
            sock.close()
            raise DaemonUnavailable(
                f"Нет доступа к {self.path}",
                "добавьте себя в группу kiosk-admin: sudo usermod -aG kiosk-admin $USER, "
                "затем войдите заново",
            ) from exc
        return sock

    def _read_message(self, file: Any) -> dict[str, Any]:
        try:
            line = file.readline()
        except TimeoutError as exc:
            raise DaemonUnavailable(
                f"Демон kiosk не ответил за {self.timeout:.0f} с",
                "посмотрите журнал: journalctl -u kiosk",
            ) from exc
        if not line:
            raise DaemonUnavailable(
                "Демон kiosk закрыл соединение", "посмотрите журнал: journalctl -u kiosk"
            )
        message: dict[str, Any] = json.loads(line)
        return message

    def request(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send ``cmd`` and return its ``result``; ``ControlCommandFailed`` on ``ok: false``."""
        with self._lock:
            if self._sock is None:
                self._sock = self._connect()
                self._file = self._sock.makefile("rb")
            self._next_id += 1
            request_id = self._next_id
            try:
                self._sock.sendall(_encode({"id": request_id, "cmd": cmd, **args}))
                while True:
                    reply = self._read_message(self._file)
                    if reply.get("id") in (request_id, None) and "ok" in reply:
                        break
            except (OSError, DaemonUnavailable) as exc:
                self._close_locked()
                if isinstance(exc, DaemonUnavailable):
                    raise
                raise DaemonUnavailable(
                    f"Связь с демоном kiosk прервалась: {exc}",
                    "проверьте, что он запущен: systemctl status kiosk",
                ) from exc
        if not reply["ok"]:
            raise ControlCommandFailed(str(reply.get("error", "ошибка без описания")))
        result: dict[str, Any] = reply.get("result", {})
        return result

    def subscribe(self) -> Iterator[dict[str, Any]]:
        """Yield ``{"event", "data"}`` messages on a connection of its own until closed."""
        sock = self._connect()
        sock.settimeout(max(self.timeout, 15.0))  # status arrives every second
        try:
            sock.sendall(_encode({"id": 1, "cmd": _SUBSCRIBE}))
            with sock.makefile("rb") as file:
                reply = self._read_message(file)
                if not reply.get("ok"):
                    raise ControlCommandFailed(str(reply.get("error", "подписка отклонена")))
                while True:
                    try:
                        yield self._read_message(file)
                    except DaemonUnavailable:
                        return
        finally:
            sock.close()

    def _close_locked(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = None
        self._file = None

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        with self._lock:
            self._close_locked()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
