"""The live loop with real stages: push-to-talk, talk from the TUI, quiet hours, errors,
a microphone that comes back, idle unloading."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.audio.resilient import ResilientSource
from kiosk.daemon.commands import DaemonCommands
from kiosk.daemon.control import ControlClient
from kiosk.daemon.live import render_loop
from kiosk.daemon.loop import MIC_LOST_NOTICE
from kiosk.daemon.notify import Notifier
from kiosk.daemon.policy import QUIET_LINE
from kiosk.daemon.replies import ERROR_LINE, UNLOADED_NOTICE
from kiosk.errors import AudioDeviceLost
from kiosk.events import AudioFrame, State

from .harness import DEMO, FRAME, RATE, StartLive, speech

pytestmark = pytest.mark.slow

NO_WAKE = "Что ты любишь рисовать?"


def _child_turns(running: Any) -> list[str]:
    rows = running.live.core.store.db.execute(
        "SELECT text FROM turns WHERE role = 'child' ORDER BY id"
    ).fetchall()
    return [row[0] for row in rows]


def test_push_to_talk_key_opens_listening_without_the_wake_word(
    start_live: StartLive, festival_wav: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import pygame

    from kiosk.avatar import make_renderer
    from kiosk.avatar.display import PygameDisplay

    running = start_live()
    live = running.live
    question = speech(festival_wav(NO_WAKE))
    running.mic.say(question)
    running.wait(lambda: live.reply_task is not None and live.reply_task.done())
    assert _child_turns(running) == [], "without «Аня» or the key nobody is answered"

    display = PygameDisplay(128)
    renderer = make_renderer(live.core.settings.avatar, live.core.paths.avatars_dir)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))

    def child_talks_after_the_key() -> None:
        running.wait(lambda: any(s.reason == "push-to-talk" for s in running.states))
        running.mic.say(question)
        running.wait(lambda: live.turns == 1 and running.idle(), timeout=60)
        live.stop()

    import threading

    helper = threading.Thread(target=child_talks_after_the_key, daemon=True)
    helper.start()
    render_loop(live, display, renderer, running.speaker, live.animator, fps=30, talk_key="space")
    helper.join(5)
    display.close()
    assert "рисовать" in _child_turns(running)[0].lower()


def test_quiet_hours_get_a_goodnight_but_the_parent_can_open_a_talk(
    start_live: StartLive,
) -> None:
    late = datetime(2026, 11, 25, 22, 30).astimezone()
    running = start_live(clock=lambda: late, general={"quiet_start": "21:00", "quiet_end": "07:00"})
    live = running.live
    running.mic.say(speech(DEMO / "02_risovat.wav"))
    running.wait(lambda: QUIET_LINE in running.speaker.texts())
    running.wait(lambda: running.idle() and live.state == State.SLEEPING)
    assert _child_turns(running) == []
    status = DaemonCommands(live).status()
    assert any("тихие часы" in n for n in status["notices"])

    # The parent presses "talk" in the TUI: the window is theirs, quiet hours do not apply.
    client = ControlClient(live.core.paths.socket_path, timeout=30)
    assert client.request("talk")["state"] == "listening"
    running.mic.say(speech(DEMO / "04_skolko_let.wav"))
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=60)
    assert "сколько" in _child_turns(running)[0].lower()


def test_a_failing_stage_shows_the_error_face_says_sorry_and_listens_again(
    start_live: StartLive, festival_wav: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = start_live()
    live = running.live
    brain = live.runner._brain

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(brain, "reply", broken)
    running.mic.say(speech(DEMO / "01_privet.wav"))
    running.wait(lambda: ERROR_LINE in running.speaker.texts())
    error = next(s for s in running.states if s.state == State.ERROR)
    assert "brain" in error.reason or "daemon" in error.reason
    sorry = next(i for i in running.speaker.timeline.timeline if i.audio.text == ERROR_LINE)
    # What the renderer draws while the gentle line plays: the error face.
    mid = sorry.start + sorry.audio.duration / 2
    assert live.animator.pose_at(mid).state == State.ERROR
    running.wait(lambda: live.state == State.LISTENING and running.idle())
    assert live.stats.snapshot()["errors"][-1]["stage"] in {"brain", "daemon"}

    monkeypatch.undo()
    running.mic.say(speech(festival_wav(NO_WAKE)))  # no wake word needed: she listens
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=60)


class _FlakyMicrophone:
    """A USB microphone (absent here) that dies after a few frames the first time."""

    sample_rate = RATE
    frame_samples = FRAME

    def __init__(self, dies_after: int | None) -> None:
        self.dies_after = dies_after
        self.closed = False

    def frames(self) -> Iterator[AudioFrame]:
        count = 0
        while not self.closed:
            if self.dies_after is not None and count >= self.dies_after:
                raise AudioDeviceLost("Микрофон отключён", "вставьте его обратно")
            yield AudioFrame(bytes(FRAME * 2), RATE, count * FRAME / RATE)
            count += 1
            import time

            time.sleep(0.005)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "n.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(0.2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        yield sock


def test_an_unplugged_microphone_is_reopened_and_the_status_says_so(
    start_live: StartLive, notify_socket: socket.socket
) -> None:
    opened: list[_FlakyMicrophone] = []

    def open_source() -> _FlakyMicrophone:
        mic = _FlakyMicrophone(dies_after=20 if not opened else None)
        opened.append(mic)
        return mic

    source = ResilientSource(open_source, retry_s=0.3)
    running = start_live(mic=source, notifier=Notifier(), run=False)
    source.on_state = running.live.on_mic_state
    import asyncio
    import threading

    running.thread = threading.Thread(
        target=lambda: asyncio.run(running.live.converse()), daemon=True
    )
    running.thread.start()
    statuses: list[str] = []

    def saw(text: str, present: bool) -> bool:
        try:
            statuses.append(notify_socket.recv(4096).decode())
        except TimeoutError:
            pass
        last = [s for s in statuses if s.startswith("STATUS=")][-1:] or [""]
        return (text in last[0]) == present and bool(last[0])

    running.wait(lambda: saw(MIC_LOST_NOTICE, True), timeout=10)
    assert running.live.notices["mic"] == MIC_LOST_NOTICE
    running.wait(lambda: saw(MIC_LOST_NOTICE, False), timeout=10)
    assert len(opened) == 2 and "mic" not in running.live.notices
    assert source.connected


def test_idle_models_are_unloaded_and_come_back_on_the_next_wake(
    start_live: StartLive,
) -> None:
    running = start_live()
    live = running.live
    live.idle_unload_s = 0.3
    running.wait(lambda: live.unloaded)
    assert live.transcriber is None
    assert UNLOADED_NOTICE in DaemonCommands(live).status()["notices"]
    running.mic.say(speech(DEMO / "01_privet.wav"))
    running.wait(lambda: live.turns == 1, timeout=60)
    assert live.transcriber is not None
    assert UNLOADED_NOTICE not in live.notices.values()


def test_talk_is_refused_while_listening_is_paused(start_live: StartLive) -> None:
    running = start_live()
    client = ControlClient(running.live.core.paths.socket_path, timeout=30)
    client.request("pause")
    with pytest.raises(Exception, match="паузе"):
        client.request("talk")
