"""The path of every microphone frame: capture thread → echo canceller → barge-in → endpointer.

Every mic frame passes the echo canceller (Аня's own voice is the reference, placed on
the microphone's clock by the capture thread's ``note_captured``, so frames waiting in
the queue do not shift it); while she speaks, the barge-in detector listens for the
child and cancels the reply task. Without
echo cancellation (livekit missing, or turned off) the loop is half-duplex: captured
audio is discarded while Аня's voice plays. A finished utterance becomes a reply task
(``kiosk.daemon.replies.answer_utterance``); speech that resumes within ``JOIN_S`` of
its end, before Аня answers, cancels that task and the two parts are answered as one.
Each frame also pings systemd's watchdog, unless a reply has hung (``watch_for_hang``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING

from kiosk.daemon import replies
from kiosk.events import AudioFrame, SpeechEnded, SpeechStarted, StageError, State
from kiosk.listen.hearing import JOIN_S, join_utterances

if TYPE_CHECKING:
    from kiosk.daemon.loop import LiveLoop

__all__ = [
    "HANG_NOTICE",
    "JOIN_S",
    "answer",
    "go_on_talking",
    "housekeeping",
    "listen",
    "on_frame",
    "reply_running_s",
    "watch_for_hang",
]

_LOGGER = logging.getLogger(__name__)

_POLICY_CHECK_S = 30.0
"""Seconds between checks of quiet hours and the daily limit for the status line."""

HANG_NOTICE = "завис ответ: жду перезапуска"
"""Status notice while a reply has run past ``daemon.hang_s`` and the pings have stopped."""


async def listen(live: LiveLoop, loop: asyncio.AbstractEventLoop) -> None:
    """Consume captured frames until the source ends; then let the last reply finish."""
    frames: asyncio.Queue[AudioFrame | None] = asyncio.Queue(maxsize=500)

    def capture() -> None:
        try:
            for frame in live.audio_in.frames():
                if live.stop_event.is_set():
                    break
                if live.echo is not None:  # the reference starts after what is captured
                    live.echo.note_captured(frame.timestamp + frame.duration)
                loop.call_soon_threadsafe(frames.put_nowait, frame)
        except Exception:
            _LOGGER.exception("capture failed", extra={"stage": "audio"})
        finally:
            loop.call_soon_threadsafe(frames.put_nowait, None)

    capture_thread = threading.Thread(target=capture, name="kiosk-capture", daemon=True)
    capture_thread.start()
    live.runner.set_state(State.SLEEPING, "start")
    while (frame := await frames.get()) is not None:
        watch_for_hang(live)
        housekeeping(live)
        on_frame(live, frame)
    for event in live.endpointer.flush():
        if not live.busy():
            answer(live, event)
    if live.reply_task is not None:
        with contextlib.suppress(asyncio.CancelledError):
            await live.reply_task
    # Let the last reply finish playing before stopping.
    # The speaker's clock is hardware (or wall) time: polling it is the honest wait.
    while (  # noqa: ASYNC110
        live.speaker.pending() > 0 or live.turn_lock.locked() or live.tasks
    ) and not live.stop_event.is_set():
        await asyncio.sleep(0.05)


def housekeeping(live: LiveLoop) -> None:
    """Per-frame chores that are due: retention purge, the policy notice, idle unload."""
    now = time.monotonic()
    purge_if_due(live, now)
    if now - live.last_policy_check >= _POLICY_CHECK_S:
        live.last_policy_check = now
        replies.check_policy(live)
    if (
        live.idle_unload_s > 0
        and not live.unloaded
        and not live.busy()
        and now - live.last_activity >= live.idle_unload_s
    ):
        live.spawn(replies.unload_models(live))


def reply_running_s(live: LiveLoop, now: float) -> float:
    """Seconds the current reply (reply task or turn-lock holder) has run; 0 when none."""
    starts = []
    if live.reply_task is not None and not live.reply_task.done():
        starts.append(live.reply_started)
    if live.turn_lock.held_since is not None:
        starts.append(live.turn_lock.held_since)
    return now - min(starts) if starts else 0.0


def watch_for_hang(live: LiveLoop) -> None:
    """Ping systemd's watchdog unless a reply has run past ``daemon.hang_s``.

    STT, the LLM and TTS run in worker threads that Python cannot cancel, so a stuck
    model would keep the turn lock while this loop goes on: withholding the pings lets
    systemd's ``WatchdogSec`` restart the daemon. A reply that ends after all resumes them.
    """
    limit = live.core.settings.daemon.hang_s
    running = reply_running_s(live, time.monotonic())
    hung = "hang" in live.notices
    if running <= limit:
        if hung:
            _LOGGER.warning("the hung reply ended after all: watchdog pings resume")
            live.set_notice("hang", None)
        live.notifier.watchdog()
        return
    if hung:
        return
    _LOGGER.error(
        "reply hung for %.0f s (daemon.hang_s %.0f): watchdog pings stop so systemd restarts us",
        running,
        limit,
        extra={"stage": "daemon"},
    )
    message = f"ответ не закончился за {limit:.0f} с: жду перезапуска службы"
    live.stats.add_error(StageError(stage="daemon", message=message))
    live.set_notice("hang", HANG_NOTICE)


def purge_if_due(live: LiveLoop, now: float) -> None:
    """Apply the parent's retention setting: at start, then about once an hour."""
    days = live.core.settings.general.retention_days
    if not days or now - live.last_purge < 3600.0:
        return
    live.last_purge = now
    live.spawn(purge(live, days))


async def purge(live: LiveLoop, days: int) -> None:
    try:
        counts = await asyncio.to_thread(live.core.store.purge_older_than, days)
    except Exception as exc:
        live.report_error("store", exc)
        return
    if counts.get("conversations"):
        _LOGGER.info("retention: removed %s (older than %d days)", counts, days)


def on_frame(live: LiveLoop, frame: AudioFrame) -> None:
    """One mic frame: echo cancellation, barge-in, endpointing; utterances get answered."""
    if live.paused:
        live.endpointer.reset()
        return
    if live.echo is None or live.barge_in is None:
        if live.audible():
            # Half-duplex without echo cancellation: do not listen to ourselves.
            live.endpointer.reset()
            return
        clean, cancel = frame, None
    else:
        clean = live.echo.process(frame)
        cancel = live.barge_in.feed(clean, live.echo.last_levels)
    busy = live.busy()
    if busy and cancel is not None and live.reply_task is not None:
        if not live.reply_task.done():
            _LOGGER.info("barge-in at %.2f s: the child talks over Аня", frame.timestamp)
            live.reply_task.cancel()
            live.barged = True
    live.go_to_sleep_if_idle()
    for event in live.endpointer.feed(clean):
        if isinstance(event, SpeechStarted):
            go_on_talking(live, event)
            continue
        if live.joining is not None:
            joined = join_utterances(live.joining, event)
            live.joining, live.barged = None, False
            live.hearing.joined += 1
            answer(live, joined)
            continue
        if live.busy() and not live.barged:
            continue  # our own echo, or talk while a reply is on its way
        previous = live.last_utterance
        if live.barged and previous is not None and event.start - previous.end <= JOIN_S:
            event = join_utterances(previous, event)  # she cut in too early: one request
            live.hearing.joined += 1
        live.barged = False
        answer(live, event)


def go_on_talking(live: LiveLoop, started: SpeechStarted) -> None:
    """Speech began: if it continues the last utterance, cancel that reply to join them.

    A short ``listen.end_silence_ms`` ends an utterance at a pause ("Расскажи, |
    пожалуйста, …"); when the child speaks again within ``JOIN_S`` and Аня has not
    started talking yet, the early reply is dropped and the two parts are answered
    as one (``join_utterances``). Once she is audible, barge-in decides instead.
    """
    previous, task = live.last_utterance, live.reply_task
    if previous is None or task is None or task.done() or live.audible():
        return
    if started.timestamp - previous.end > JOIN_S:
        return
    _LOGGER.info(
        "the child goes on after a %.0f ms pause: joining",
        (started.timestamp - previous.end) * 1000,
        extra={"stage": "listen"},
    )
    task.cancel()
    live.joining = previous


def answer(live: LiveLoop, utterance: SpeechEnded) -> None:
    """Start the reply task of ``utterance``."""
    if live.barge_in is not None:
        live.barge_in.reset()
    live.last_activity = time.monotonic()
    live.last_utterance = utterance
    live.reply_started = time.monotonic()
    live.reply_task = asyncio.create_task(replies.answer_utterance(live, utterance))
