"""Talk to the running daemon over its control socket, without ever blocking the TUI.

Requests go through the daemon's own client, ``kiosk.daemon.control.ControlClient``
(one short connection per request, on a daemon thread, so a slow answer never holds
the event loop nor the app's exit). The event stream stays a small asyncio reader
here: ``ControlClient.subscribe`` blocks in ``readline`` and cannot be interrupted
from another thread, and the dashboard must stop following at once on exit.
Protocol: ``{"id", "cmd", ...}`` → ``{"id", "ok", "result" | "error"}``; after
``subscribe`` the daemon streams ``{"event": "status"|"state"|"turn", "data": {...}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from kiosk.admin.i18n import tr
from kiosk.daemon.control import ControlClient, ControlCommandFailed, DaemonUnavailable
from kiosk.errors import KioskError

__all__ = ["DaemonError", "DaemonUnavailable", "request", "subscribe"]

_LOGGER = logging.getLogger(__name__)

_LINE_LIMIT = 1 << 20
"""Longest accepted event line in bytes (a status with errors and a last turn fits easily)."""


class DaemonError(KioskError):
    """The daemon answered a request with ``ok: false``."""

    def __init__(self, message: str, hint: str = "", *, reason: str = "") -> None:
        super().__init__(message, hint)
        self.reason = reason
        """The daemon's own words (``неизвестная команда 'talk' …``)."""

    @property
    def unknown_command(self) -> bool:
        """True when this daemon does not know the command (an older version)."""
        return "неизвестная команда" in self.reason or "unknown" in self.reason


def _blocking_request(socket_path: Path, cmd: str, wait_s: float, args: dict[str, Any]) -> Any:
    with ControlClient(socket_path, timeout=wait_s) as client:
        try:
            return client.request(cmd, **args)
        except ControlCommandFailed as exc:
            raise DaemonError(
                tr("Демон отказал в «{cmd}»: {why}", cmd=cmd, why=exc.message),
                tr("посмотрите журнал на вкладке «Служба»"),
                reason=exc.message,
            ) from exc
        except (OSError, ValueError) as exc:  # connect timeout, unreadable answer
            raise DaemonUnavailable(
                tr("Демон не ответил на «{cmd}»: {why}", cmd=cmd, why=exc.__class__.__name__),
                tr("проверьте журнал на вкладке «Служба»"),
            ) from exc


async def request(
    socket_path: Path, cmd: str, *, wait_s: float = 5.0, **args: Any
) -> dict[str, Any]:
    """Send one command and return its ``result`` (raises ``DaemonUnavailable``/``DaemonError``).

    ``wait_s`` bounds the answer in seconds (``say_as_child`` wants more). Cancelling
    the caller abandons the exchange; its daemon thread ends at ``wait_s`` at the latest.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result = _blocking_request(socket_path, cmd, wait_s, args)
        except BaseException as exc:  # handed to the awaiting coroutine
            with contextlib.suppress(RuntimeError):  # the loop has gone (app exited)
                loop.call_soon_threadsafe(settle, None, exc)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name=f"kiosk-admin-{cmd}", daemon=True).start()
    result = await future
    return dict(result) if isinstance(result, dict) else {"value": result}


async def _connect(
    socket_path: Path, wait_s: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.wait_for(
            asyncio.open_unix_connection(str(socket_path), limit=_LINE_LIMIT), wait_s
        )
    except (OSError, TimeoutError) as exc:
        raise DaemonUnavailable(
            tr("Демон не отвечает ({path}): {why}", path=socket_path, why=type(exc).__name__),
            tr("запустите его на вкладке «Служба» (или sudo systemctl start kiosk)"),
        ) from exc


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ConnectionError):
        await writer.wait_closed()


async def _accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b'{"id": 1, "cmd": "subscribe"}\n')
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            raise DaemonUnavailable("Демон закрыл соединение", "проверьте журнал («Служба»)")
        message = json.loads(line)
        if message.get("id") != 1:
            continue  # an event that raced the answer
        if not message.get("ok"):
            raise DaemonError(f"Демон отказал в подписке: {message.get('error', '?')}")
        return


async def subscribe(socket_path: Path, *, wait_s: float = 5.0) -> AsyncIterator[dict[str, Any]]:
    """Yield the daemon's events (``{"event", "data"}``) until it goes away.

    Raises ``DaemonUnavailable`` when the socket is absent or the stream ends.
    """
    reader, writer = await _connect(socket_path, wait_s)
    try:
        try:
            await asyncio.wait_for(_accepted(reader, writer), wait_s)
        except (TimeoutError, ConnectionError, json.JSONDecodeError) as exc:
            raise DaemonUnavailable(
                "Демон не принял подписку", "проверьте журнал на вкладке «Служба»"
            ) from exc
        while True:
            try:
                line = await reader.readline()
            except (ConnectionError, ValueError) as exc:
                raise DaemonUnavailable(f"Связь с демоном прервалась: {exc}") from exc
            if not line:
                raise DaemonUnavailable("Демон закрыл соединение")
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                _LOGGER.warning("unreadable line from the daemon: %r", line[:200])
                continue
            if isinstance(message, dict) and "event" in message:
                yield message
    finally:
        await _close(writer)
