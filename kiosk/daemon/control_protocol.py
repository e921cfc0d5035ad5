"""What both ends of the control socket share: limits, framing, errors and peer checks.

One message per line, UTF-8 JSON. The server is in ``control_server``, the client in
``control_client``; ``kiosk.daemon.control`` re-exports the public names of all three.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "SUBSCRIBE",
    "ControlCommandFailed",
    "DaemonUnavailable",
    "Handler",
    "Peer",
    "encode",
    "error_reply",
    "peer_allowed",
    "peer_of",
    "require_text",
    "socket_answers",
]

MAX_MESSAGE_BYTES = 64 * 1024
"""Longest request line accepted, in bytes (without the newline)."""

SUBSCRIBE = "subscribe"
"""The command that turns a connection into an event stream."""

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""A command: the request's arguments in, the ``result`` object out (raises ``KioskError``)."""


class DaemonUnavailable(KioskError):
    """The daemon's control socket is absent, refuses connections or stopped answering."""

    exit_code = 7


class ControlCommandFailed(KioskError):
    """The daemon answered a command with ``ok: false``."""


@dataclass(frozen=True, slots=True)
class Peer:
    """Credentials of the process at the other end of the socket."""

    pid: int
    """Its process id."""
    uid: int
    """Its user id."""
    gid: int
    """Its primary group id."""


def peer_of(sock: socket.socket) -> Peer:
    """The credentials of the process connected to ``sock`` (``SO_PEERCRED``)."""
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


def encode(message: Mapping[str, Any]) -> bytes:
    """One message as a JSON line (UTF-8, Cyrillic kept readable)."""
    return json.dumps(message, ensure_ascii=False, default=str).encode("utf-8") + b"\n"


def error_reply(request_id: int | None, message: str) -> dict[str, Any]:
    """The ``ok: false`` answer to request ``request_id`` (None when it had no usable id)."""
    return {"id": request_id, "ok": False, "error": message}


def socket_answers(path: Path, timeout: float = 0.5) -> bool:
    """Whether some process accepts connections on the Unix socket at ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True
