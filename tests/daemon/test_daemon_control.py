"""The real daemon steered over its control socket, then killed mid-turn and restarted."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.audio.wav import read_wav, resample, write_wav
from kiosk.daemon.control import ControlClient, ControlCommandFailed, DaemonUnavailable

DEMO = Path(__file__).resolve().parents[2] / "content" / "demo"

pytestmark = pytest.mark.slow

STATUS_KEYS = {
    "state",
    "persona",
    "engines",
    "uptime_s",
    "turns_today",
    "talk_seconds_today",
    "listening_paused",
    "notices",
    "talk_minutes_left",
    "resources",
    "fps",
    "last_turn",
    "errors",
    "version",
}


def _input_wav(tmp_path: Path, question: str, silence_s: float) -> Path:
    pcm, rate = read_wav(DEMO / question)
    pcm = resample(pcm, rate, 16000)
    out = tmp_path / f"in-{question}"
    write_wav(out, b"\0\0" * 8000 + pcm + b"\0\0" * int(16000 * silence_s), 16000)
    return out


def _start(env: dict[str, str], wav: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--headless", "--input", str(wav)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(notify: socket.socket, daemon: subprocess.Popen[str], sock_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert daemon.poll() is None, daemon.communicate()[1][-3000:]
        try:
            if notify.recv(4096).startswith(b"READY=1"):
                break
        except TimeoutError:
            continue
    while not sock_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sock_path.exists(), "no control socket after READY"


def _collect(client: ControlClient, into: list[dict[str, Any]]) -> None:
    try:
        for message in client.subscribe():
            into.append(message)
    except DaemonUnavailable:
        pass


def _wait_for(
    seen: list[dict[str, Any]], predicate: Any, timeout: float, since: int = 0
) -> dict[str, Any]:
    """The first event from ``seen[since:]`` that matches, waiting up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in seen[since:]:
            if predicate(message):
                return message
        time.sleep(0.05)
    raise AssertionError(f"event never came; last: {seen[-3:]}")


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[socket.socket]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "n.sock"))
        sock.settimeout(0.5)
        yield sock


def test_parent_steers_the_daemon_and_a_kill_mid_turn_loses_nothing_earlier(
    tmp_path: Path, notify: socket.socket, kiosk_env_vars: Callable[[Path], dict[str, str]]
) -> None:
    env = {
        **kiosk_env_vars(tmp_path),
        "KIOSK_BRAIN__ENGINE": "scripted",
        "NOTIFY_SOCKET": str(tmp_path / "n.sock"),
    }
    subprocess.run(
        [sys.executable, "-m", "kiosk", "models", "install-defaults"],
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    sock_path = tmp_path / "d" / "kiosk.sock"
    daemon = _start(env, _input_wav(tmp_path, "02_risovat.wav", silence_s=90))
    try:
        _wait_ready(notify, daemon, sock_path)
        client = ControlClient(sock_path, timeout=60)

        status = client.request("status")
        assert set(status) == STATUS_KEYS
        assert status["state"] in {"sleeping", "listening", "thinking", "speaking", "error"}
        assert status["persona"] == "anya" and status["engines"]["brain"] == "scripted"
        assert status["resources"]["ram_mb"] > 50 and status["resources"]["gpu"] is None
        assert status["listening_paused"] is False
        assert status["notices"] == [] and status["talk_minutes_left"] is None

        events: list[dict[str, Any]] = []
        threading.Thread(
            target=_collect, args=(ControlClient(sock_path), events), daemon=True
        ).start()
        first = _wait_for(events, lambda m: m["event"] == "status", 5)
        assert set(first["data"]) == STATUS_KEYS

        reply = client.request("say_as_child", text="Что ты любишь рисовать?")
        assert reply["reply"] and reply["engine"] == "scripted"
        assert "first_sentence" in reply["timings_ms"]
        turn = _wait_for(
            events, lambda m: m["event"] == "turn" and "рисовать" in m["data"]["text"], 5
        )
        assert turn["data"]["reply"] == reply["reply"]
        _wait_for(events, lambda m: m["event"] == "state" and m["data"]["state"] == "speaking", 5)
        later = _wait_for(
            events, lambda m: m["event"] == "status" and m["data"]["fps"] > 5, 5, len(events)
        )
        assert later["data"]["turns_today"] >= 1 and later["data"]["last_turn"]["reply"]

        # Garbage and an oversized line are answered with errors; the daemon goes on.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.settimeout(10)
            raw.connect(str(sock_path))
            raw.sendall(b"{oops\n" + b"x" * 300_000 + b'\n{"id": 9, "cmd": "status"}\n')
            with raw.makefile("rb") as f:
                answers = [json.loads(f.readline()) for _ in range(3)]
        assert [a["ok"] for a in answers] == [False, False, True]
        assert answers[2]["id"] == 9

        assert client.request("pause")["listening_paused"] is True
        assert client.request("status")["listening_paused"] is True
        assert client.request("resume")["listening_paused"] is False
        assert client.request("talk")["state"] == "listening"
        with pytest.raises(ControlCommandFailed):
            client.request("persona", name="no-such-persona")
        assert client.request("persona", name="anya") == {"persona": "anya"}
        assert client.request("speak", text="Я тут!")["duration_s"] > 0.3

        # Kill -9 while a turn is under way.
        with sqlite3.connect(tmp_path / "d" / "kiosk.db") as db:
            before = db.execute("select id, role, text from turns order by id").fetchall()
        assert any("рисовать" in text for _, _, text in before)
        doomed = threading.Thread(
            target=lambda: pytest.raises(
                DaemonUnavailable,
                ControlClient(sock_path).request,
                "say_as_child",
                text="Загадай загадку!",
            ),
            daemon=True,
        )
        mark = len(events)
        doomed.start()
        _wait_for(
            events, lambda m: m["event"] == "state" and m["data"]["state"] == "thinking", 20, mark
        )
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
        doomed.join(10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(10)

    with sqlite3.connect(tmp_path / "d" / "kiosk.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        after = db.execute("select id, role, text from turns order by id").fetchall()
    assert after[: len(before)] == before

    # Restart on the same data: the stale socket is replaced, today's turns are counted.
    daemon = _start(env, _input_wav(tmp_path, "01_privet.wav", silence_s=20))
    try:
        _wait_ready(notify, daemon, sock_path)
        status = ControlClient(sock_path, timeout=30).request("status")
        assert status["turns_today"] >= sum(1 for _, role, _ in before if role == "child")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(10)
    assert not sock_path.exists()
