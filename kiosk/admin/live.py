"""Talk to the running daemon over its control socket, without ever blocking the TUI.

Everything goes through the daemon's own client, ``kiosk.daemon.control.ControlClient``:
requests use one short connection each, on a daemon thread, so a slow answer never
holds the event loop nor the app's exit; the event stream is ``ControlClient.events``,
whose reader thread stops at once when the dashboard stops following.
Protocol: ``{"id", "cmd", ...}`` → ``{"id", "ok", "result" | "error"}``; after
``subscribe`` the daemon streams ``{"event": "status"|"state"|"turn", "data": {...}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
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


async def subscribe(socket_path: Path, *, wait_s: float = 5.0) -> AsyncIterator[dict[str, Any]]:
    """Yield the daemon's events (``{"event", "data"}``) until it goes away.

    Raises ``DaemonUnavailable`` when the socket is absent, the daemon stays silent or
    the stream ends, ``DaemonError`` when it refuses. Leaving the loop (the dashboard
    closing, the worker cancelled) stops the reader thread at once.
    """
    client = ControlClient(socket_path, timeout=wait_s, connect_timeout=wait_s)
    try:
        async with contextlib.aclosing(client.events()) as events:
            async for message in events:
                yield message
    except ControlCommandFailed as exc:
        raise DaemonError(
            tr("Демон отказал в «{cmd}»: {why}", cmd="subscribe", why=exc.message),
            tr("посмотрите журнал на вкладке «Служба»"),
            reason=exc.message,
        ) from exc
