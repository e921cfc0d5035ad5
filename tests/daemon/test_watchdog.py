"""The watchdog notices a hung reply: pings stop (systemd restarts us) and resume if it ends.

A model call stuck in its worker thread is stood in for by an engine or a recogniser
that waits on a ``threading.Event`` before doing its real work; systemd is a real
``NOTIFY_SOCKET`` datagram socket read on its own thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.daemon.frames import HANG_NOTICE
from kiosk.daemon.notify import Notifier

from .harness import DEMO, Running, StartLive, speech

pytestmark = pytest.mark.slow

PING_USEC = 100_000
"""systemd's WatchdogSec for these tests (0.1 s): the daemon pings every 0.05 s."""


class SystemdSocket:
    """A real ``NOTIFY_SOCKET``: every datagram with the ``time.monotonic()`` it came at."""

    def __init__(self, path: Path) -> None:
        self.messages: list[tuple[float, str]] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.05)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            self.messages.append((time.monotonic(), data.decode()))

    def pings(self, after: float = 0.0, before: float = float("inf")) -> list[float]:
        """Times of WATCHDOG=1 pings received in (after, before]."""
        return [t for t, m in list(self.messages) if m == "WATCHDOG=1" and after < t <= before]

    def statuses(self, after: float = 0.0) -> list[tuple[float, str]]:
        """STATUS= lines received after ``after``."""
        return [(t, m) for t, m in list(self.messages) if m.startswith("STATUS=") and t > after]

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        self._sock.close()


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SystemdSocket]:
    path = tmp_path / "notify.sock"
    sock = SystemdSocket(path)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", str(PING_USEC))
    yield sock
    sock.close()


class StuckEngine:
    """An ``LLMEngine`` whose worker thread waits for ``release`` (or ``delay_s``) first."""

    def __init__(self, inner: LLMEngine, *, delay_s: float | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.delay_s = delay_s
        self.entered = threading.Event()
        self.release = threading.Event()

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        self.entered.set()
        self.release.wait(self.delay_s)
        yield from self.inner.stream(messages, options, cancel)


class StuckRecogniser:
    """The real recogniser behind a worker thread that waits for ``release`` first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def transcribe(self, pcm: bytes, sample_rate: int) -> Any:
        self.entered.set()
        self.release.wait()
        return self.inner.transcribe(pcm, sample_rate)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def start_watched(start_live: StartLive, hang_s: float) -> Running:
    """A live loop talking to systemd, with ``daemon.hang_s`` in wall seconds.

    The setting's floor (10 s) is for real models; the copy skips validation so
    the tests wait fractions of a second.
    """
    running = start_live(notifier=Notifier())
    settings = running.live.core.settings
    daemon = settings.daemon.model_copy(update={"hang_s": hang_s})
    running.live.core.settings = settings.model_copy(update={"daemon": daemon})
    return running


def submit_text(running: Running, text: str) -> Any:
    """The parent's ``run_text`` from the TUI, running on the loop (a future of its result)."""
    loop = running.live._loop
    assert loop is not None
    return asyncio.run_coroutine_threadsafe(running.live.run_text(text), loop)


def wait_for_hang_status(running: Running, systemd: SystemdSocket, after: float) -> float:
    """When the STATUS line saying the reply hung reached systemd."""
    running.wait(lambda: any(HANG_NOTICE in m for _, m in systemd.statuses(after)), timeout=20)
    return next(t for t, m in systemd.statuses(after) if HANG_NOTICE in m)


def assert_pings_withheld_then_resume(
    running: Running, systemd: SystemdSocket, hung_at: float, release: threading.Event
) -> None:
    """No ping while hung; one error; after ``release`` pings and a clean status return."""
    time.sleep(1.0)  # ten WatchdogSec periods: systemd would have restarted us
    assert systemd.pings(after=hung_at) == []
    live = running.live
    assert live.notices["hang"] == HANG_NOTICE
    errors = [e for e in live.stats.snapshot()["errors"] if e["stage"] == "daemon"]
    assert len(errors) == 1, "the hang is reported once, not on every frame"
    assert "жду перезапуска" in errors[0]["message"]

    released_at = time.monotonic()
    release.set()
    running.wait(lambda: "hang" not in live.notices and len(systemd.pings(released_at)) >= 3)
    cleared = [m for _, m in systemd.statuses(released_at)]
    assert cleared and HANG_NOTICE not in cleared[-1]
    assert len([e for e in live.stats.snapshot()["errors"] if e["stage"] == "daemon"]) == 1


def test_a_stuck_llm_in_a_parents_turn_stops_the_pings_until_it_answers(
    start_live: StartLive, systemd: SystemdSocket
) -> None:
    hang_s = 1.5  # the first turn may hold the loop a moment (cold caches)
    running = start_watched(start_live, hang_s)
    live = running.live
    running.wait(lambda: len(systemd.pings()) >= 3)  # pings before any reply
    engine = StuckEngine(live.core.brain.engine)
    live.core.brain.engine = engine
    try:
        submitted = time.monotonic()
        turn = submit_text(running, "Привет! Что ты любишь рисовать?")
        assert engine.entered.wait(20)
        hung_at = wait_for_hang_status(running, systemd, submitted)
        assert hung_at - submitted >= hang_s, "not before daemon.hang_s"
        assert systemd.pings(after=submitted, before=hung_at), "pings go on until then"
        assert_pings_withheld_then_resume(running, systemd, hung_at, engine.release)
    finally:
        engine.release.set()
    result = turn.result(30)
    assert result.reply, "the stuck turn still answers once the model moves"


def test_a_stuck_recogniser_in_a_spoken_reply_stops_the_pings_until_it_hears(
    start_live: StartLive, systemd: SystemdSocket
) -> None:
    running = start_watched(start_live, 0.5)
    live = running.live
    running.wait(lambda: len(systemd.pings()) >= 3)
    stt = StuckRecogniser(live.transcriber)
    live.transcriber = stt
    try:
        spoken = time.monotonic()
        running.mic.say(speech(DEMO / "01_privet.wav"))
        assert stt.entered.wait(20)
        assert not live.turn_lock.locked(), "only the reply task runs: no turn yet"
        hung_at = wait_for_hang_status(running, systemd, spoken)
        assert_pings_withheld_then_resume(running, systemd, hung_at, stt.release)
    finally:
        stt.release.set()
    running.wait(lambda: live.reply_task is not None and running.idle(), timeout=60)


def test_a_slow_reply_within_the_limit_keeps_pinging(
    start_live: StartLive, systemd: SystemdSocket
) -> None:
    running = start_watched(start_live, 4.0)
    live = running.live
    running.wait(lambda: len(systemd.pings()) >= 3)
    engine = StuckEngine(live.core.brain.engine, delay_s=1.5)  # a slow model, not a stuck one
    live.core.brain.engine = engine
    started = time.monotonic()
    result = submit_text(running, "Расскажи про кошку").result(30)
    ended = time.monotonic()
    assert result.reply and ended - started >= 1.5
    pings = [started, *systemd.pings(started, ended), ended]
    gaps: Sequence[float] = [b - a for a, b in zip(pings, pings[1:], strict=False)]
    assert len(pings) >= 15 and max(gaps) < 0.5, f"pings kept coming: {gaps}"
    assert "hang" not in live.notices
    assert not any(HANG_NOTICE in m for _, m in systemd.statuses(started))
    assert not [e for e in live.stats.snapshot()["errors"] if e["stage"] == "daemon"]
