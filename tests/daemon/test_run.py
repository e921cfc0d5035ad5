"""``kiosk run`` as systemd starts it: READY, STATUS and WATCHDOG on a real NOTIFY_SOCKET."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "content" / "demo"

pytestmark = pytest.mark.slow


def test_daemon_hears_a_file_answers_and_talks_to_systemd(
    tmp_path: Path, kiosk_env_vars: Callable[[Path], dict[str, str]]
) -> None:
    data = tmp_path / "d"
    env = {
        **kiosk_env_vars(tmp_path),
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "WATCHDOG_USEC": "1000000",
    }
    kiosk = [sys.executable, "-m", "kiosk"]
    subprocess.run([*kiosk, "models", "install-defaults"], env=env, check=True, timeout=300)

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(env["NOTIFY_SOCKET"])
        sock.settimeout(0.5)
        daemon = subprocess.Popen(
            [*kiosk, "run", "--headless", "--input", str(DEMO / "02_risovat.wav")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        messages: list[str] = []
        deadline = time.monotonic() + 120
        while daemon.poll() is None and time.monotonic() < deadline:
            try:
                messages.append(sock.recv(4096).decode())
            except TimeoutError:
                continue
        if daemon.poll() is None:
            daemon.kill()
        _, err = daemon.communicate(timeout=10)
    assert daemon.returncode == 0, err[-2000:]

    ready = [i for i, m in enumerate(messages) if m.startswith("READY=1")]
    assert ready, messages
    statuses = [m for m in messages if m.startswith("STATUS=")]
    assert any("думаю" in m for m in statuses)
    assert any("говорю" in m for m in statuses)
    assert "WATCHDOG=1" in messages
    assert messages[-1] == "STOPPING=1"
    # The order a parent would see in `systemctl status`.
    thinking = next(i for i, m in enumerate(messages) if "думаю" in m)
    speaking = next(i for i, m in enumerate(messages) if "говорю" in m)
    assert ready[0] < thinking < speaking

    with sqlite3.connect(data / "kiosk.db") as db:
        rows = db.execute("select role, text, source from turns order by id").fetchall()
    assert rows[0][0] == "child" and "рисовать" in rows[0][1].lower()
    assert rows[1][0] == "avatar" and rows[1][2] == "voice"
