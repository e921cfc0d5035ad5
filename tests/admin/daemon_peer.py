"""A test peer that plays the daemon's side of the control socket (real Unix socket, JSON lines)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

STATUS: dict[str, Any] = {
    "state": "listening",
    "persona": "anya",
    "engines": {"stt": "whisper-base", "brain": "scripted", "voice": "espeak", "avatar": "drawn"},
    "uptime_s": 3725,
    "turns_today": 7,
    "talk_seconds_today": 420,
    "listening_paused": False,
    "notices": [],
    "talk_minutes_left": None,
    "resources": {
        "cpu_percent": 37.0,
        "ram_mb": 2048,
        "gpu": {
            "name": "RTX 3060",
            "vram_total_mb": 12288,
            "vram_used_mb": 6246,
            "per_process_mb": 6100.0,
        },
    },  # fmt: skip
    "fps": 29.5,
    "last_turn": {
        "text": "Привет",
        "reply": "Привет!",
        "at": "2026-05-01T10:00:00Z",
        "timings_ms": {
            "stt": 310,
            "first_token": 420,
            "first_audio": 777,
            "first_frame": 790,
            "reply_done": 1300,
        },
    },  # fmt: skip
    "errors": [{"at": "2026-05-01T09:59:00Z", "stage": "voice", "message": "espeak споткнулся"}],
    "version": "0.1.0",
}


class DaemonPeer:
    """Answers ``status``, ``subscribe``, ``say_as_child``... like the daemon; records requests."""

    def __init__(
        self, path: Path, status: dict[str, Any] | None = None, *, talk: bool = True
    ) -> None:
        self.path = path
        self.talk = talk
        """Whether this daemon knows ``talk`` (an older one answers «неизвестная команда»)."""
        self.status = dict(status or STATUS)
        self.requests: list[dict[str, Any]] = []
        self._server: asyncio.base_events.Server | None = None
        self._subscribers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> DaemonPeer:
        self._server = await asyncio.start_unix_server(self._client, path=str(self.path))
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in self._subscribers:
                writer.close()
            self._subscribers.clear()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        self.path.unlink(missing_ok=True)

    async def push(self, event: str, data: dict[str, Any]) -> None:
        line = (json.dumps({"event": event, "data": data}, ensure_ascii=False) + "\n").encode()
        for writer in list(self._subscribers):
            writer.write(line)
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            self.requests.append(message)
            cmd = message.get("cmd")
            reply: dict[str, Any] = {"id": message.get("id"), "ok": True, "result": {}}
            if cmd == "status":
                reply["result"] = self.status
            elif cmd == "say_as_child":
                reply["result"] = {"reply": f"Демон слышал: {message['text']}",
                                   "emotion": "happy", "engine": "scripted",
                                   "timings_ms": {"reply_done": 12.0}}  # fmt: skip
            elif cmd == "talk" and self.talk:
                reply["result"] = {"listening": True}
            elif cmd not in {"subscribe", "speak", "persona", "reload", "pause", "resume"}:
                error = f"неизвестная команда {cmd!r} (есть: reload, say_as_child, speak)"
                reply = {"id": message.get("id"), "ok": False, "error": error}
            writer.write((json.dumps(reply, ensure_ascii=False) + "\n").encode())
            await writer.drain()
            if cmd == "subscribe":
                self._subscribers.append(writer)
                await self.push("status", self.status)
        writer.close()
