"""A live turn's timings: counted from the end of the child's speech, the endpoint delay
as its own mark, and the first avatar frame that moves with Аня's voice."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from kiosk.avatar import make_renderer
from kiosk.avatar.display import HeadlessDisplay
from kiosk.daemon.live import render_loop
from kiosk.daemon.pipeline import ENDPOINT_MARK, FIRST_FRAME_MARK, FrameWatch, TurnTimer
from kiosk.events import SpeechEnded

from .harness import Running, StartLive, speech

QUESTION = "Аня, что ты любишь рисовать?"


def _stored_timings(running: Running) -> dict[str, float]:
    """Timings of Аня's latest stored turn (what the TUI's history reads)."""
    turns = running.live.core.store.recent_turns(2)
    return next(t.timings for t in reversed(turns) if t.role == "avatar")


def test_the_origin_is_the_end_of_speech_not_the_endpointers_decision() -> None:
    ended = SpeechEnded(pcm=b"", sample_rate=16000, start=1.0, end=3.0, decided_at=3.27)
    timer = TurnTimer.from_speech_end(ended)
    assert timer.marks[ENDPOINT_MARK] == pytest.approx(270.0)
    timer.mark("stt")
    assert timer.marks["stt"] >= timer.marks[ENDPOINT_MARK]


def test_only_the_first_frame_on_or_after_the_first_sample_is_marked() -> None:
    watch, timer = FrameWatch(), TurnTimer()
    watch.drawn(9.0)  # no reply waits for a frame yet
    watch.expect(timer, start=10.0)
    watch.drawn(9.97)  # the frame before her voice begins
    assert FIRST_FRAME_MARK not in timer.marks
    watch.drawn(10.01)
    first = timer.marks[FIRST_FRAME_MARK]
    watch.drawn(10.04)
    assert timer.marks[FIRST_FRAME_MARK] == first
    watch.clear()  # interrupted or stored: later frames belong to nobody
    other = TurnTimer()
    watch.drawn(12.0)
    assert FIRST_FRAME_MARK not in other.marks


@pytest.mark.slow
def test_marks_count_from_the_end_of_speech_with_the_endpoint_delay_first(
    start_live: StartLive, festival_wav: Any
) -> None:
    running = start_live()
    live = running.live
    running.mic.say(speech(festival_wav(QUESTION)))
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=90)

    shown = live.stats.snapshot()["last_turn"]["timings_ms"]  # the dashboard's "last turn"
    assert shown == _stored_timings(running)
    listen = live.core.settings.listen
    frame_ms = live.core.settings.audio.frame_ms
    # The endpointer's hangover, on the microphone's clock: end_silence_ms, to a frame or two.
    assert shown[ENDPOINT_MARK] == pytest.approx(listen.end_silence_ms, abs=2 * frame_ms)
    # The transcript is ready after the hangover *and* the recogniser's own time.
    assert shown["stt"] >= shown[ENDPOINT_MARK] + shown["stt_ms"] - 1.0
    assert shown[ENDPOINT_MARK] <= shown["stt"] <= shown["first_token"]
    assert shown["stt"] <= shown["first_sentence"] <= shown["first_audio"]


@pytest.mark.slow
def test_first_synced_frame_comes_at_or_after_the_first_audio(
    start_live: StartLive, festival_wav: Any
) -> None:
    running = start_live(run=False)
    live = running.live
    running.speaker.speed = 1.0  # the playback clock at wall speed, as with a sound card
    running.thread = threading.Thread(target=lambda: asyncio.run(live.converse()), daemon=True)
    running.thread.start()
    assert live.control_ready.wait(30)
    display = HeadlessDisplay()
    renderer = make_renderer(live.core.settings.avatar, live.core.paths.avatars_dir)
    question = speech(festival_wav(QUESTION))

    def child_asks() -> None:
        running.mic.say(question)
        running.wait(lambda: live.turns == 1 and running.idle(), timeout=120)
        live.stop()

    helper = threading.Thread(target=child_asks, daemon=True)
    helper.start()
    fps = 30
    render_loop(live, display, renderer, running.speaker, live.animator, fps=fps)
    helper.join(10)
    assert live.turns == 1, "the child's question was answered"

    timings = _stored_timings(running)
    assert live.stats.snapshot()["last_turn"]["timings_ms"] == timings
    assert timings[ENDPOINT_MARK] <= timings["first_audio"] <= timings[FIRST_FRAME_MARK]
    # Drawn within a few frames of the first sample, not at the end of the reply.
    assert timings[FIRST_FRAME_MARK] - timings["first_audio"] <= 4 * 1000 / fps + 100
    assert display.frames > 0
