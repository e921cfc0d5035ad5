"""Talk to the running daemon over its control socket (JSON lines over a Unix socket).

Protocol: a request ``{"id": n, "cmd": "...", ...args}`` is answered by
``{"id": n, "ok": true, "result": {...}}`` or ``{"id": n, "ok": false, "error": "..."}``;
after ``subscribe`` the daemon streams ``{"event": "status"|"state"|"turn", "data": {...}}``.
This is the admin's own small asyncio client, so the TUI never blocks on the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

__all__ = ["DaemonError", "DaemonUnavailable", "request", "subscribe"]

_LOGGER = logging.getLogger(__name__)

_IDS = itertools.count(1)
_LINE_LIMIT = 1 << 20
"""Longest accepted line in bytes (a status with errors and a last turn fits easily)."""


class DaemonUnavailable(KioskError):
    """The daemon's control socket is absent or does not answer."""


class DaemonError(KioskError):
    """The daemon answered a request with ``ok: false``."""


async def _connect(
    socket_path: Path, wait_s: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.wait_for(
            asyncio.open_unix_connection(str(socket_path), limit=_LINE_LIMIT), wait_s
        )
    except (OSError, TimeoutError) as exc:
        raise DaemonUnavailable(
            f"Демон не отвечает ({socket_path}): {exc.__class__.__name__}",
            "запустите его на вкладке «Служба» (или sudo systemctl start kiosk)",
        ) from exc


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cmd: str, args: dict[str, Any]
) -> dict[str, Any]:
    ident = next(_IDS)
    payload = {"id": ident, "cmd": cmd, **args}
    writer.write((json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8"))
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            raise DaemonUnavailable(
                "Демон закрыл соединение", "проверьте журнал на вкладке «Служба»"
            )
        message = json.loads(line)
        if message.get("id") != ident:
            continue  # an event that raced the answer
        if not message.get("ok"):
            raise DaemonError(
                f"Демон отказал в «{cmd}»: {message.get('error', '?')}",
                "посмотрите журнал на вкладке «Служба»",
            )
        result = message.get("result") or {}
        return dict(result) if isinstance(result, dict) else {"value": result}


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ConnectionError):
        await writer.wait_closed()


async def request(
    socket_path: Path, cmd: str, *, wait_s: float = 5.0, **args: Any
) -> dict[str, Any]:
    """Send one command and return its ``result`` (raises ``DaemonUnavailable``/``DaemonError``).

    ``wait_s`` bounds the whole exchange in seconds (``say_as_child`` wants more).
    """
    reader, writer = await _connect(socket_path, wait_s)
    try:
        return await asyncio.wait_for(_exchange(reader, writer, cmd, args), wait_s)
    except (TimeoutError, ConnectionError, json.JSONDecodeError) as exc:
        raise DaemonUnavailable(
            f"Демон не ответил на «{cmd}»: {exc.__class__.__name__}",
            "проверьте журнал на вкладке «Служба»",
        ) from exc
    finally:
        await _close(writer)


async def subscribe(socket_path: Path, *, wait_s: float = 5.0) -> AsyncIterator[dict[str, Any]]:
    """Yield the daemon's events (``{"event", "data"}``) until it goes away.

    Raises ``DaemonUnavailable`` when the socket is absent or the stream ends.
    """
    reader, writer = await _connect(socket_path, wait_s)
    try:
        try:
            await asyncio.wait_for(_exchange(reader, writer, "subscribe", {}), wait_s)
        except (TimeoutError, json.JSONDecodeError) as exc:
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
