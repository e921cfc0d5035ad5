"""Fixtures of the daemon tests (the harness is in ``harness.py``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.avatar.animator import Animator
from kiosk.config import Settings, load_settings
from kiosk.daemon.assemble import open_core
from kiosk.daemon.loop import LiveLoop
from kiosk.daemon.notify import Notifier
from kiosk.paths import resolve_paths

from .harness import FastSpeaker, Running, ScriptedMic, StartLive


@pytest.fixture
def start_live(tmp_path: Path, whisper_base_dir: Path) -> Iterator[StartLive]:
    """Start a live loop: scripted brain, real whisper-base, espeak-ng, drawn-face animator."""
    started: list[Running] = []
    cores: list[Any] = []

    def start(
        *,
        mic: Any = None,
        clock: Callable[[], datetime] | None = None,
        general: dict[str, Any] | None = None,
        daemon: dict[str, Any] | None = None,
        notifier: Notifier | None = None,
        run: bool = True,
        config: Path | None = None,
    ) -> Running:
        if config is not None:  # from a file, so that ``reload`` has one to re-read
            settings = load_settings(config)
            return begin(settings, mic, clock, notifier, run)
        settings = Settings(
            paths={"data_dir": tmp_path / "d"},  # type: ignore[arg-type]
            brain={"engine": "scripted"},  # type: ignore[arg-type]
            stt={"model": str(whisper_base_dir)},  # type: ignore[arg-type]
            listen={"echo_cancellation": False, "follow_up_s": 60.0},  # type: ignore[arg-type]
            general=general or {},  # type: ignore[arg-type]
            daemon={"socket_path": tmp_path / "k.sock", **(daemon or {})},  # type: ignore[arg-type]
        )
        return begin(settings, mic, clock, notifier, run)

    def begin(
        settings: Settings,
        mic: Any,
        clock: Callable[[], datetime] | None,
        notifier: Notifier | None,
        run: bool,
    ) -> Running:
        paths = resolve_paths(settings).ensure()
        core = open_core(settings, paths)
        cores.append(core)
        speaker = FastSpeaker()
        live = LiveLoop(
            core, mic or ScriptedMic(), speaker, Animator(), notifier or Notifier(), clock=clock
        )
        running = Running(live=live, mic=live.audio_in, speaker=speaker)
        live.listeners.append(running.states.append)
        if run:
            running.thread = threading.Thread(
                target=lambda: asyncio.run(live.converse()), daemon=True
            )
            running.thread.start()
            assert live.control_ready.wait(30)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
        running.live.runner.close()
        running.live.monitor.close()
    for core in cores:
        core.close()
