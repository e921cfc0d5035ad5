"""systemd integration: READY, STATUS, WATCHDOG and STOPPING notifications."""

from __future__ import annotations

import logging
import os
import time

__all__ = ["Notifier"]

_LOGGER = logging.getLogger(__name__)


class Notifier:
    """Talks to systemd over ``$NOTIFY_SOCKET``; does nothing when not run by systemd."""

    def __init__(self) -> None:
        self.enabled = bool(os.environ.get("NOTIFY_SOCKET"))
        usec = os.environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval = int(usec) / 1e6 / 2 if usec.isdigit() and int(usec) > 0 else 0.0
        """Seconds between watchdog pings: half of systemd's WatchdogSec, 0 when off."""
        self._last_ping = 0.0
        self._notify = None
        if self.enabled:
            try:
                from systemd import daemon

                self._notify = daemon.notify
            except ImportError:
                _LOGGER.warning("systemd-python missing: sd_notify via a plain socket")

    def _send(self, message: str) -> None:
        if not self.enabled:
            return
        if self._notify is not None:
            self._notify(message)
            return
        import socket

        address = os.environ["NOTIFY_SOCKET"]
        if address.startswith("@"):
            address = "\0" + address[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode("utf-8"), address)

    def ready(self, status: str = "") -> None:
        """The models are warm and the loop runs."""
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> None:
        """A one-line state for ``systemctl status``."""
        self._send(f"STATUS={text}")

    def watchdog(self) -> None:
        """Tell systemd the pipeline loop is alive (rate-limited to the interval)."""
        if not self.watchdog_interval:
            return
        now = time.monotonic()
        if now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self._send("WATCHDOG=1")

    def stopping(self) -> None:
        """Shutdown has begun."""
        self._send("STOPPING=1")
