"""The daemon's end of the control socket: commands, the status stream, peer checks.

Runs on the daemon's asyncio loop. Each connection is served by its own task; a
``subscribe`` connection also gets a writer task that sends ``status`` every
``status_interval`` seconds and every published event. A malformed or oversized line
gets an error answer and the connection goes on; a client that stops reading is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.daemon.control_protocol import (
    MAX_MESSAGE_BYTES,
    SUBSCRIBE,
    Handler,
    encode,
    error_reply,
    peer_allowed,
    peer_of,
    socket_answers,
)
from kiosk.errors import KioskError

__all__ = ["ControlServer"]

_LOGGER = logging.getLogger(__name__)

_READ_CHUNK = 65536


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
            if socket_answers(self.path):
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
            if self._connections:
                _, lingering = await asyncio.wait(set(self._connections), timeout=2.0)
                if lingering:
                    _LOGGER.warning("%d control connections did not end", len(lingering))
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await self._server.wait_closed()
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
            return error_reply(None, f"сообщение длиннее {self.max_message} байт отклонено")
        try:
            request = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return error_reply(None, f"неверный JSON: {exc}")
        if not isinstance(request, dict):
            return error_reply(None, "запрос должен быть JSON-объектом с полями id и cmd")
        request_id = request.get("id")
        if not isinstance(request_id, int) or isinstance(request_id, bool):
            return error_reply(None, "поле id должно быть целым числом")
        cmd = request.get("cmd")
        if cmd == SUBSCRIBE:
            return {"id": request_id, "ok": True, "result": {"subscribed": True}}
        if cmd == "status":
            return await self._run(request_id, self._status_result)
        handler = self.handlers.get(cmd) if isinstance(cmd, str) else None
        if handler is None:
            known = ", ".join(sorted({*self.handlers, "status", SUBSCRIBE}))
            return error_reply(request_id, f"неизвестная команда {cmd!r} (есть: {known})")
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
            return error_reply(
                request_id, f"{exc.message} — {exc.hint}" if exc.hint else exc.message
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _LOGGER.exception("control command %s failed", request_id)
            return error_reply(request_id, f"внутренняя ошибка демона: {exc}")
        return {"id": request_id, "ok": True, "result": result}

    # --- connections ---------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        stream: asyncio.Task[None] | None = None
        queue: asyncio.Queue[dict[str, Any]] | None = None
        try:
            peer = peer_of(writer.get_extra_info("socket"))
            if not peer_allowed(peer, admin_group=self.admin_group):
                _LOGGER.warning("control socket: refused uid %d (pid %d)", peer.uid, peer.pid)
                await self._send(
                    writer,
                    error_reply(
                        None, f"доступ запрещён: пользователь не в группе {self.admin_group}"
                    ),
                )
                return
            async for line in self._lines(reader):
                if line is None:
                    reply = error_reply(
                        None, f"сообщение длиннее {self.max_message} байт отклонено"
                    )
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
        except asyncio.CancelledError:
            # Only close() cancels a connection. Ending quietly keeps 3.11's stream callback
            # from logging the cancellation as "Exception in callback" at every shutdown.
            _LOGGER.debug("control connection closed by the server")
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
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that lands
            # as the queue yields a message, and this task would outlive its connection.
            try:
                async with asyncio.timeout(timeout):
                    message = await queue.get()
            except TimeoutError:
                continue
            await self._send(writer, message)

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, message: Mapping[str, Any]) -> None:
        writer.write(encode(message))
        async with asyncio.timeout(5.0):  # a client that stops reading is dropped
            await writer.drain()
