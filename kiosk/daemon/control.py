"""The control socket: JSON lines over a Unix socket, for the parent's TUI and the CLI.

Request: ``{"id": <int>, "cmd": "<name>", ...args}``. Response: ``{"id": <same>, "ok": true,
"result": {...}}`` or ``{"id": <same>, "ok": false, "error": "<message in Russian>"}``.
``subscribe`` answers ``{"subscribed": true}`` and then streams ``{"event": ..., "data": ...}``
lines (``status`` every second, ``state`` and ``turn`` as they happen) until the client
leaves. Peers are checked with ``SO_PEERCRED``: root, the daemon's user and members of the
admin group only. A malformed or oversized line gets an error answer; the daemon goes on.

The pieces live in ``control_protocol`` (framing, errors, peers), ``control_server`` and
``control_client``; import them from here.
"""

from __future__ import annotations

from kiosk.daemon.control_client import ControlClient, Subscription
from kiosk.daemon.control_protocol import (
    MAX_MESSAGE_BYTES,
    ControlCommandFailed,
    DaemonUnavailable,
    Handler,
    Peer,
    peer_allowed,
    require_text,
)
from kiosk.daemon.control_server import ControlServer

__all__ = [
    "MAX_MESSAGE_BYTES",
    "ControlClient",
    "ControlCommandFailed",
    "ControlServer",
    "DaemonUnavailable",
    "Handler",
    "Peer",
    "Subscription",
    "peer_allowed",
    "require_text",
]
