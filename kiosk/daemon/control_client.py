"""The parent's end of the control socket: requests, and an event stream that stops on demand.

``ControlClient.request`` is blocking (the CLI, tests, the TUI's worker threads).
``ControlClient.subscribe`` returns a ``Subscription``: iterate it for events; its
``close()`` may be called from any thread and ends the iteration at once (a self-pipe
wakes the reader). ``ControlClient.events`` is the same stream for asyncio code:
leaving the ``async for`` (break, cancel, app exit) closes it. Every socket failure
is a ``DaemonUnavailable`` with a hint in Russian.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import socket
import threading
import time
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from kiosk.daemon.control_protocol import (
    SUBSCRIBE,
    ControlCommandFailed,
    DaemonUnavailable,
    encode,
)

__all__ = ["ControlClient", "Subscription", "connect_unix"]

_LOGGER = logging.getLogger(__name__)

_JOURNAL_HINT = "посмотрите журнал: journalctl -u kiosk"
_EVENT_LINE_LIMIT = 1 << 20
"""Longest event line kept, in bytes (a status with errors and a last turn fits easily)."""
_READ_CHUNK = 65536


def connect_unix(path: Path, timeout: float) -> socket.socket:
    """A connected socket to the daemon at ``path``, or ``DaemonUnavailable`` saying why."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                sock.connect(str(path))
                break
            except BlockingIOError:  # a full accept queue: Linux says EAGAIN, not "wait"
                if time.monotonic() >= deadline:
                    raise TimeoutError from None
                time.sleep(0.02)
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise DaemonUnavailable(
            f"Демон kiosk не запущен (нет ответа на {path})",
            "запустите его: sudo systemctl start kiosk (или kiosk run)",
        ) from exc
    except PermissionError as exc:
        sock.close()
        raise DaemonUnavailable(
            f"Нет доступа к {path}",
            "добавьте себя в группу kiosk-admin: sudo usermod -aG kiosk-admin $USER, "
            "затем войдите заново",
        ) from exc
    except TimeoutError as exc:
        sock.close()
        raise DaemonUnavailable(
            f"Демон kiosk не принял подключение за {timeout:g} с ({path})",
            "он занят или завис: sudo systemctl restart kiosk; " + _JOURNAL_HINT,
        ) from exc
    except OSError as exc:
        sock.close()
        raise DaemonUnavailable(
            f"Не удалось подключиться к демону kiosk через {path}: {exc.strerror or exc}",
            "проверьте daemon.socket_path в настройках и что демон запущен: systemctl status kiosk",
        ) from exc
    return sock


class Subscription:
    """The daemon's events on a connection of their own; ``close()`` from any thread stops it.

    Iterating yields ``{"event": ..., "data": ...}`` messages. The iteration ends quietly
    after ``close()``; it raises ``DaemonUnavailable`` when the daemon goes away or stays
    silent for ``idle_timeout`` seconds, and ``ControlCommandFailed`` when it refuses.
    """

    def __init__(self, sock: socket.socket, *, accept_timeout: float, idle_timeout: float) -> None:
        """Take over ``sock``, on which the ``subscribe`` request has been sent."""
        self._sock = sock
        self._accept_timeout = accept_timeout
        self._idle_timeout = idle_timeout
        self._wake_r, self._wake_w = os.pipe()
        self._lock = threading.Lock()
        self._closing = False
        self._reading = False
        self._released = False
        self._accepted = False
        self._buffer = bytearray()
        self._discarding = False

    # --- stopping ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closing

    def close(self) -> None:
        """End the stream; safe from any thread, at any time, more than once."""
        with self._lock:
            self._closing = True
            if self._reading:  # the reader releases everything when it wakes up
                with contextlib.suppress(OSError):
                    os.write(self._wake_w, b"x")
            else:
                self._release_locked()

    def _release_locked(self) -> None:
        if self._released:
            return
        self._released = True
        with contextlib.suppress(OSError):
            self._sock.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    # --- reading -----------------------------------------------------------------

    def __iter__(self) -> Subscription:
        return self

    def __next__(self) -> dict[str, Any]:
        while True:
            message = self._next_message()
            if not self._accepted:
                if message.get("id") == 1 and "ok" in message:
                    if not message["ok"]:
                        self.close()
                        why = str(message.get("error", "подписка отклонена"))
                        raise ControlCommandFailed(why)
                    self._accepted = True
                continue  # anything before the answer is not an event of this stream
            if "event" in message:
                return message

    def _next_message(self) -> dict[str, Any]:
        while True:
            line = self._take_line()
            if line is None:
                self._fill()
                continue
            try:
                message = json.loads(line)
            except ValueError:
                _LOGGER.warning("unreadable line from the daemon: %r", line[:200])
                continue
            if isinstance(message, dict):
                return message

    def _take_line(self) -> bytes | None:
        while (newline := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:newline])
            del self._buffer[: newline + 1]
            if self._discarding:
                self._discarding = False
                continue
            return line
        if len(self._buffer) > _EVENT_LINE_LIMIT:
            _LOGGER.warning("event line over %d bytes from the daemon dropped", _EVENT_LINE_LIMIT)
            self._buffer.clear()
            self._discarding = True
        return None

    def _fill(self) -> None:
        """Read more bytes; ``StopIteration`` once closed, ``DaemonUnavailable`` on failure."""
        limit = self._idle_timeout if self._accepted else self._accept_timeout
        with self._lock:
            if self._closing:
                self._release_locked()
                raise StopIteration
            self._reading = True
        chunk = b""
        failure: BaseException | None = None
        try:
            sock_fd = self._sock.fileno()
            poller = select.poll()  # poll, not select: no limit on descriptor numbers
            poller.register(sock_fd, select.POLLIN)
            poller.register(self._wake_r, select.POLLIN)
            readable = [fd for fd, _ in poller.poll(limit * 1000)]
            if sock_fd in readable and self._wake_r not in readable:
                chunk = self._sock.recv(_READ_CHUNK)
        except (OSError, ValueError) as exc:
            failure = exc
            readable = []
        finally:
            with self._lock:
                self._reading = False
                closing = self._closing
                if closing:
                    self._release_locked()
        if closing:
            raise StopIteration
        if failure is not None or not readable or not chunk:
            self.close()
            if failure is not None:
                message = f"Связь с демоном kiosk прервалась: {failure}"
            elif not readable:
                message = f"Демон kiosk молчит {limit:g} с"
            else:
                message = "Демон kiosk закрыл соединение"
            raise DaemonUnavailable(message, _JOURNAL_HINT) from failure
        self._buffer += chunk


class ControlClient:
    """A client for the TUI and the CLI: blocking requests on one connection opened on first use.

    Events come on connections of their own: ``subscribe()`` (blocking, stoppable from
    any thread) or ``events()`` (asyncio).
    """

    def __init__(
        self, path: Path | str, timeout: float = 120.0, *, connect_timeout: float = 5.0
    ) -> None:
        """Talk to the daemon at ``path``.

        ``timeout``: seconds to wait for an answer (a spoken turn can take a while);
        ``connect_timeout``: seconds to wait for the daemon to accept the connection.
        """
        self.path = Path(path)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._file: Any = None
        self._next_id = 0
        self._lock = threading.Lock()

    def _connect(self) -> socket.socket:
        sock = connect_unix(self.path, min(self.connect_timeout, self.timeout))
        sock.settimeout(self.timeout)
        return sock

    def _read_message(self, file: Any) -> dict[str, Any]:
        try:
            line = file.readline()
        except TimeoutError as exc:
            raise DaemonUnavailable(
                f"Демон kiosk не ответил за {self.timeout:g} с", _JOURNAL_HINT
            ) from exc
        if not line:
            raise DaemonUnavailable("Демон kiosk закрыл соединение", _JOURNAL_HINT)
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise DaemonUnavailable(
                f"Демон kiosk прислал нечитаемый ответ: {line[:80]!r}", _JOURNAL_HINT
            ) from exc
        if not isinstance(message, dict):
            raise DaemonUnavailable("Демон kiosk прислал ответ не того вида", _JOURNAL_HINT)
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
                self._sock.sendall(encode({"id": request_id, "cmd": cmd, **args}))
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

    def subscribe(self) -> Subscription:
        """Open the event stream on a connection of its own (``DaemonUnavailable`` if down).

        Status arrives every second, so ``max(timeout, 15)`` seconds of silence end the
        stream with ``DaemonUnavailable``; ``close()`` on the result stops it from any thread.
        """
        sock = self._connect()
        try:
            sock.sendall(encode({"id": 1, "cmd": SUBSCRIBE}))
        except OSError as exc:
            sock.close()
            raise DaemonUnavailable(
                f"Демон kiosk не принял подписку: {exc}", _JOURNAL_HINT
            ) from exc
        return Subscription(sock, accept_timeout=self.timeout, idle_timeout=max(self.timeout, 15.0))

    async def events(self) -> AsyncGenerator[dict[str, Any], None]:
        """The event stream for asyncio code, read by a thread that stops when the loop is left.

        Raises what ``subscribe()`` and iterating a ``Subscription`` raise. Use it with
        ``contextlib.aclosing`` when the loop may be left early, so the stream closes at once.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()
        opened: list[Subscription] = []
        end = object()

        def deliver(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def pump() -> None:
            try:
                subscription = self.subscribe()
                opened.append(subscription)
                if stop.is_set():
                    subscription.close()
                for message in subscription:
                    deliver(message)
                deliver(end)
            except BaseException as exc:  # handed over to the awaiting coroutine
                deliver(exc)

        threading.Thread(target=pump, name="kiosk-control-events", daemon=True).start()
        try:
            while True:
                item = await queue.get()
                if item is end:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            for subscription in opened:
                subscription.close()

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
        """Close the request connection (the next request opens a new one)."""
        with self._lock:
            self._close_locked()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
