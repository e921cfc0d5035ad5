"""``kiosk run``: the live kiosk — microphone, conversation and the avatar on screen.

SDL wants the main thread, so the render loop runs there (and reads the push-to-talk
key); the conversation runs on an asyncio loop in a second thread (``LiveLoop``);
capture runs in its own thread and only hands frames over. A microphone that goes away
is reopened every ``audio.reconnect_s``; meanwhile the status says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Settings
from kiosk.daemon.loop import LiveLoop
from kiosk.daemon.notify import Notifier
from kiosk.errors import KioskError
from kiosk.paths import Paths

if TYPE_CHECKING:
    from kiosk.audio.base import AudioIn, AudioOut
    from kiosk.avatar.animator import Animator

__all__ = ["LiveLoop", "open_microphone", "render_loop", "run_live"]

_LOGGER = logging.getLogger(__name__)


def _demo_input(paths: Paths, settings: Settings) -> Path:
    """The bundled questions joined with pauses into one WAV, as if a child spoke them."""
    from kiosk.audio.wav import read_wav, resample, write_wav
    from kiosk.demo import demo_questions

    rate = settings.audio.sample_rate
    silence = b"\0\0" * int(rate * 6.0)  # room for the answer before the next question
    parts = [b"\0\0" * int(rate * 0.5)]
    for path in demo_questions(paths.content_dir):
        pcm, src = read_wav(path)
        parts += [resample(pcm, src, rate), silence]
    out = paths.output_dir / "demo-input.wav"
    write_wav(out, b"".join(parts), rate)
    return out


def _real_time(speaker: AudioOut) -> AudioOut:
    """A virtual-clock speaker made to run with wall time (no sound card, or a file input)."""
    from kiosk.audio.wav import TimelineSpeaker
    from kiosk.demo import WallFollowingSpeaker

    if isinstance(speaker, TimelineSpeaker):
        following = WallFollowingSpeaker(speaker)
        following.resume_at(0.0)
        return following
    return speaker


def open_microphone(settings: Settings) -> Any:
    """The configured microphone behind ``ResilientSource``: unplugged, it is retried.

    Set ``on_state`` on the result to hear "lost"/"restored"; a microphone missing at
    start is already lost (``connected`` is False) and the kiosk starts anyway.
    """
    from kiosk.audio import make_audio_in
    from kiosk.audio.resilient import ResilientSource

    return ResilientSource(
        lambda: make_audio_in(settings, wav=None),
        retry_s=settings.audio.reconnect_s,
        sample_rate=settings.audio.sample_rate,
        frame_ms=settings.audio.frame_ms,
    )


def _render_failed(live: LiveLoop, exc: Exception, last: list[float]) -> None:
    """A frame failed to draw: report it on the conversation loop (at most once a second)."""
    now = time.monotonic()
    if now - last[0] < 1.0:
        return
    last[0] = now
    loop = live._loop
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(live.report_error, "avatar", exc)
    else:
        _LOGGER.error("avatar frame failed: %s", exc)


def _on_keys(live: LiveLoop, display: Any, talk_key: str) -> None:
    """Push-to-talk: the configured key opens listening on the conversation loop."""
    poll = getattr(display, "poll_keys", None)
    if poll is None or not talk_key:
        return
    for key in poll():
        if key.pressed and key.key == talk_key:
            loop = live._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(live.request_talk, "push-to-talk")


def render_loop(
    live: LiveLoop,
    display: Any,
    renderer: Any,
    speaker: AudioOut,
    animator: Animator,
    *,
    fps: int,
    talk_key: str = "",
) -> None:
    """Draw the avatar on the playback clock until ``live`` stops (the main thread)."""
    frame_time = 1.0 / fps
    last_error = [-10.0]
    while not live.stop_event.is_set():
        started = time.perf_counter()
        t = speaker.position()
        try:
            display.show(renderer.draw(animator.pose_at(t), t), t)
            live.runner.frame_watch.drawn(t)  # the reply's first synced frame, once
        except KioskError:
            raise  # the display is gone: systemd restarts us
        except Exception as exc:
            _render_failed(live, exc, last_error)
        _on_keys(live, display, talk_key)
        live.fps.tick()
        if getattr(display, "closed", False):
            live.stop()
        time.sleep(max(0.0, frame_time - (time.perf_counter() - started)))


def run_live(
    settings: Settings,
    paths: Paths,
    *,
    demo: bool = False,
    headless: bool = False,
    input_wav: Path | None = None,
) -> int:
    """Run the kiosk until stopped (or until a file/demo input ends); return turns taken."""
    from kiosk.audio import make_audio_out
    from kiosk.avatar import make_renderer
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.display import make_display
    from kiosk.daemon.assemble import open_core
    from kiosk.daemon.resources import ResourceMonitor

    notifier = Notifier()
    notifier.status("загружаю модели")
    if demo and input_wav is None:
        input_wav = _demo_input(paths, settings)
    probe = ResourceMonitor()
    try:
        free_vram = probe.free_vram_mb()
    finally:
        probe.close()
    core = open_core(settings, paths, free_vram_mb=free_vram)
    try:
        microphone = None
        if input_wav is not None:
            from kiosk.audio.wav import WavFileSource

            audio_in: AudioIn = WavFileSource(
                input_wav,
                sample_rate=settings.audio.sample_rate,
                frame_ms=settings.audio.frame_ms,
                realtime=True,
            )
        else:
            audio_in = microphone = open_microphone(settings)
        speaker = _real_time(make_audio_out(settings, headless=headless or input_wav is not None))
        animator = Animator()
        live = LiveLoop(core, audio_in, speaker, animator, notifier)
        if microphone is not None:
            microphone.on_state = live.on_mic_state
            if not microphone.connected:
                live.on_mic_state("lost")
        renderer = make_renderer(settings.avatar, paths.avatars_dir)
        live.avatar_name = getattr(renderer, "name", type(renderer).__name__)
        display = make_display(settings.avatar, headless=headless)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: live.stop())
        conversation = threading.Thread(
            target=lambda: asyncio.run(live.converse()), name="kiosk-conversation", daemon=True
        )
        conversation.start()
        live.control_ready.wait(timeout=30)  # READY means the parent's TUI can connect too
        notifier.ready(live.status_line())
        try:
            render_loop(
                live,
                display,
                renderer,
                speaker,
                animator,
                fps=settings.avatar.fps,
                talk_key=settings.listen.push_to_talk_key,
            )
        finally:
            notifier.stopping()
            live.stop()
            conversation.join(timeout=10)
            display.close()
            with contextlib.suppress(Exception):
                speaker.close()
            live.runner.close()
            live.monitor.close()
        return live.turns
    finally:
        core.close()
