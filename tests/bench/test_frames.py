"""The bench's frame loop: the daemon's draw → show → FrameWatch, paced, on a thread."""

from __future__ import annotations

import time

import pytest

from kiosk.audio.wav import TimelineSpeaker
from kiosk.avatar.face import DrawnFace
from kiosk.bench.frames import FrameLoop
from kiosk.bench.window import speaking_animator
from kiosk.daemon.pipeline import FIRST_FRAME_MARK, FrameWatch, TurnTimer
from kiosk.demo import WallFollowingSpeaker

FPS = 25


def _speaker() -> WallFollowingSpeaker:
    speaker = WallFollowingSpeaker(TimelineSpeaker(sample_rate=16000))
    speaker.resume_at(10.0)
    return speaker


def test_loop_shows_frames_at_the_configured_rate() -> None:
    with FrameLoop(DrawnFace(128), speaking_animator(2.0, None), _speaker(), FPS) as frames:
        time.sleep(1.0)
    assert 0.7 * FPS <= frames.frames <= 1.1 * FPS + 1
    assert frames.display.frames == frames.frames
    assert frames.display.last_t is not None and frames.display.last_t >= 10.9


def test_first_frame_is_marked_by_the_turns_frame_watch() -> None:
    speaker, watch = _speaker(), FrameWatch()
    timer = TurnTimer()
    start = speaker.position() + 0.3  # the reply's first sample, 300 ms from now
    watch.expect(timer, start)
    with FrameLoop(DrawnFace(128), speaking_animator(2.0, None), speaker, FPS, watch):
        time.sleep(0.6)
    mark = timer.marks[FIRST_FRAME_MARK]
    # Not before the sample; at most one frame interval (plus a loaded machine's slack) after.
    assert 300.0 <= mark <= 300.0 + 1000.0 / FPS + 60.0


def test_first_frame_after_a_start_is_found_in_the_log_after_the_fact() -> None:
    speaker = _speaker()
    began = time.perf_counter()
    start = speaker.position() + 0.2
    with FrameLoop(DrawnFace(128), speaking_animator(2.0, None), speaker, FPS) as frames:
        time.sleep(0.5)
        shown = frames.first_shown_at(start)
        assert shown is not None
        assert 0.2 <= shown - began <= 0.2 + 1.0 / FPS + 0.06
        late = frames.first_shown_at(speaker.position() + 0.1)  # waits for a later frame
        assert late is not None and late > shown


def test_no_frame_reaches_a_start_the_loop_never_gets_to() -> None:
    speaker = _speaker()
    with FrameLoop(DrawnFace(128), speaking_animator(1.0, None), speaker, FPS) as frames:
        assert frames.first_shown_at(speaker.position() + 60.0, timeout=0.2) is None


def test_a_failing_renderer_is_raised_when_the_loop_ends() -> None:
    class Broken:
        def draw(self, pose: object, t: float) -> object:
            raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError, match="renderer broke"):
        with FrameLoop(Broken(), speaking_animator(1.0, None), _speaker(), FPS) as frames:  # type: ignore[arg-type]
            assert frames.first_shown_at(0.0, timeout=1.0) is None
