from __future__ import annotations

import threading

import pytest

from kiosk.avatar.animator import BLINK_S, CLOSE_S, COARTICULATION_S, Animator
from kiosk.events import LipSyncTrack, State


def hill(seconds: float = 1.0, rate: float = 100.0) -> LipSyncTrack:
    """Openness rising from 0 to 1 in the middle and back to 0."""
    n = round(seconds * rate)
    return LipSyncTrack(rate=rate, openness=tuple(1 - abs(2 * i / (n - 1) - 1) for i in range(n)))


def flat(value: float, seconds: float, rate: float = 100.0) -> LipSyncTrack:
    return LipSyncTrack(rate=rate, openness=(value,) * round(seconds * rate))


def awake(seed: int = 0) -> Animator:
    animator = Animator(seed=seed)
    animator.set_state(State.LISTENING, at=0.0)
    return animator


def blinks(animator: Animator, until: float, step: float = 0.005) -> list[tuple[float, float]]:
    """(start, end) of every stretch where the eyes are less than half open."""
    found: list[tuple[float, float]] = []
    start = None
    for i in range(round(until / step)):
        t = i * step
        closed = animator.pose_at(t).eyes_open < 0.5
        if closed and start is None:
            start = t
        elif not closed and start is not None:
            found.append((start, t))
            start = None
    return found


def test_mouth_follows_the_speech_track() -> None:
    animator = awake()
    animator.add_speech(2.0, hill(1.0))
    assert animator.pose_at(1.9).mouth_open == 0.0
    assert animator.pose_at(2.5).mouth_open > 0.8
    assert 0.1 < animator.pose_at(2.25).mouth_open < 0.7
    assert animator.pose_at(3.0 + COARTICULATION_S + 0.01).mouth_open == 0.0


def test_mouth_smoothing_does_not_depend_on_frame_rate() -> None:
    track = LipSyncTrack(rate=100.0, openness=tuple((i % 7) / 6 for i in range(300)))
    at_30, at_60 = awake(), awake()
    at_30.add_speech(0.5, track)
    at_60.add_speech(0.5, track)
    poses_30 = {i: at_30.pose_at(i / 30) for i in range(120)}
    for i in range(239, -1, -1):  # a different rate, backwards
        pose = at_60.pose_at(i / 60)
        if i % 2 == 0:
            assert pose == poses_30[i // 2]
    assert at_30.pose_at(1.234) == at_30.pose_at(1.234)


def test_mouth_is_smoothed_not_jumping_with_each_sample() -> None:
    track = LipSyncTrack(rate=100.0, openness=(0.0, 1.0) * 50)
    animator = awake()
    animator.add_speech(0.0, track)
    values = [animator.pose_at(0.2 + i / 1000).mouth_open for i in range(50)]
    assert max(values) - min(values) < 0.3


def test_blinks_happen_within_seven_seconds_and_are_short() -> None:
    found = blinks(awake(seed=3), until=7.0)
    assert found
    assert all(end - start < 0.3 for start, end in found)
    assert all(end - start > BLINK_S / 4 for start, end in found)


def test_blinks_are_two_to_six_seconds_apart() -> None:
    found = blinks(awake(seed=11), until=60.0, step=0.01)
    gaps = [b[0] - a[0] for a, b in zip(found, found[1:], strict=False)]
    assert len(found) >= 9
    assert all(1.9 < gap < 6.1 for gap in gaps)


def test_blinks_are_deterministic_per_seed() -> None:
    assert blinks(awake(seed=5), 20.0, 0.01) == blinks(awake(seed=5), 20.0, 0.01)
    assert blinks(awake(seed=5), 20.0, 0.01) != blinks(awake(seed=6), 20.0, 0.01)


def test_sleeping_keeps_the_eyes_closed_without_blinks() -> None:
    animator = Animator(seed=2)
    animator.set_state(State.SLEEPING, at=0.0)
    assert all(animator.pose_at(i / 20).eyes_open == 0.0 for i in range(400))


def test_eyes_close_when_falling_asleep_and_open_on_waking() -> None:
    animator = awake()
    animator.set_state(State.SLEEPING, at=10.0)
    animator.set_state(State.LISTENING, at=20.0)
    assert 0.0 < animator.pose_at(10.2).eyes_open < 1.0
    assert all(animator.pose_at(11.0 + i / 10).eyes_open == 0.0 for i in range(90))
    assert animator.pose_at(20.0).eyes_open == 0.0
    assert animator.pose_at(20.5).eyes_open > 0.0


def test_cancel_speech_closes_the_mouth_after_barge_in() -> None:
    animator = awake()
    animator.add_speech(1.0, flat(0.8, 2.0))
    animator.add_speech(3.5, flat(0.8, 1.0))
    before = animator.pose_at(1.45).mouth_open
    animator.cancel_speech(at=1.5)
    assert animator.pose_at(1.45).mouth_open == pytest.approx(before)
    assert 0.0 < animator.pose_at(1.5 + CLOSE_S / 2).mouth_open < before
    assert animator.pose_at(1.5 + CLOSE_S + COARTICULATION_S + 0.01).mouth_open == 0.0
    assert animator.pose_at(3.8).mouth_open == 0.0
    assert not animator.speaking_at(1.6)
    assert animator.speech_end() == pytest.approx(1.5)


def test_speaking_at_and_speech_end_follow_the_schedule() -> None:
    animator = awake()
    assert animator.speech_end() == 0.0
    animator.add_speech(1.0, hill(1.0))
    animator.add_speech(2.5, hill(0.5))
    assert not animator.speaking_at(0.99)
    assert animator.speaking_at(1.5)
    assert not animator.speaking_at(2.2)
    assert animator.speaking_at(2.6)
    assert animator.speech_end() == pytest.approx(3.0)


def test_state_is_the_last_one_set_before_t() -> None:
    animator = Animator()
    animator.set_state(State.THINKING, at=2.0)
    animator.set_state(State.LISTENING, at=1.0)
    animator.set_state(State.SPEAKING, at=3.0)
    assert animator.pose_at(0.5).state is State.SLEEPING
    assert animator.pose_at(1.0).state is State.LISTENING
    assert animator.pose_at(2.5).state is State.THINKING
    assert animator.pose_at(9.0).state is State.SPEAKING


def test_reply_emotion_shows_while_speaking_then_fades() -> None:
    animator = awake()
    animator.add_speech(2.0, hill(1.0), emotion="happy")
    assert animator.pose_at(1.5).emotion == "neutral"
    assert animator.pose_at(2.0).emotion == "happy"
    assert animator.pose_at(3.5).emotion == "happy"
    assert animator.pose_at(6.0).emotion == "neutral"


def test_emotion_switches_midway_through_the_blend() -> None:
    animator = awake()
    animator.set_emotion("sad", at=5.0)
    assert animator.pose_at(5.05).emotion == "neutral"
    assert animator.pose_at(5.2).emotion == "sad"


def test_thinking_state_looks_thoughtful() -> None:
    animator = awake()
    animator.set_state(State.THINKING, at=1.0)
    assert animator.pose_at(1.5).emotion == "thinking"


def test_viseme_comes_from_the_active_track() -> None:
    track = LipSyncTrack(rate=100.0, openness=(0.6,) * 100, visemes=((0.0, "A"), (0.5, "O")))
    animator = awake()
    animator.add_speech(1.0, track)
    assert animator.pose_at(1.2).viseme == "A"
    assert animator.pose_at(1.7).viseme == "O"
    assert animator.pose_at(3.0).viseme == ""


def test_idle_motion_stays_in_range_and_moves() -> None:
    animator = awake()
    poses = [animator.pose_at(i / 10) for i in range(200)]
    assert all(-1 <= p.head_x <= 1 and -1 <= p.head_y <= 1 for p in poses)
    assert max(p.head_y for p in poses) - min(p.head_y for p in poses) > 0.4
    assert max(p.head_x for p in poses) - min(p.head_x for p in poses) > 0.2


def test_forget_before_keeps_what_later_poses_need() -> None:
    animator = awake()
    animator.set_emotion("happy", at=1.0)
    animator.add_speech(2.0, hill(1.0))
    animator.add_speech(100.0, hill(1.0), emotion="sad")
    later = [animator.pose_at(90 + i / 10) for i in range(200)]
    animator.forget_before(90.0)
    assert [animator.pose_at(90 + i / 10) for i in range(200)] == later


def test_scheduling_and_rendering_threads_can_share_it() -> None:
    animator = awake()
    errors: list[BaseException] = []

    def schedule() -> None:
        try:
            for i in range(300):
                animator.add_speech(i * 0.5, hill(0.4))
                animator.set_state(State.SPEAKING, at=i * 0.5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=schedule)
    thread.start()
    for i in range(3000):
        animator.pose_at(i * 0.05)
    thread.join()
    assert not errors
    assert animator.speaking_at(149.7)


def test_listening_eyes_stay_on_the_child_with_small_jumps() -> None:
    animator = Animator(seed=5)
    animator.set_state(State.LISTENING, at=0.0)
    gazes = [(p.gaze_x, p.gaze_y) for p in (animator.pose_at(i / 25) for i in range(250))]
    assert all(abs(x) <= 0.25 and abs(y) <= 0.15 for x, y in gazes)
    assert len({(round(x, 3), round(y, 3)) for x, y in gazes}) > 4  # the eyes do move
    steps = [abs(a[0] - b[0]) for a, b in zip(gazes, gazes[1:], strict=False)]
    assert sum(s > 1e-6 for s in steps) < 40  # quick jumps, not a constant drift


def test_thinking_glances_up_and_aside_and_sleep_tilts_the_head() -> None:
    animator = Animator(seed=2)
    animator.set_state(State.LISTENING, at=0.0)
    animator.set_state(State.THINKING, at=1.0)
    animator.set_state(State.SLEEPING, at=3.0)
    thinking = animator.pose_at(2.0)
    assert thinking.gaze_y < -0.5 and abs(thinking.gaze_x) > 0.5
    assert animator.pose_at(5.0).tilt > 0.5
    assert animator.pose_at(5.0).gaze_x == 0.0
