"""The animator: kiosk state and scheduled speech → a ``FacePose`` at any time t.

Pure in time: callers pass ``t`` on the playback clock (``AudioOut.position()``), and
the pose at a given ``t`` does not depend on how often or in which order it is asked
for, so a live window at 30 fps and a video rendered afterwards show the same face.
Thread-safe: the conversation thread schedules, the render thread asks.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from dataclasses import dataclass

from kiosk.avatar.base import FacePose
from kiosk.events import LipSyncTrack, State

__all__ = ["Animator"]

_LOGGER = logging.getLogger(__name__)

COARTICULATION_S = 0.04
"""Half-width of the mouth smoothing window, seconds: lips anticipate and trail sounds."""
CLOSE_S = 0.12
"""Seconds the mouth takes to close after speech is cancelled (barge-in)."""
EMOTION_BLEND_S = 0.3
"""Length of an emotion transition; the label switches where the new one dominates."""
EMOTION_LINGER_S = 1.5
"""Seconds a reply's emotion stays on the face after the speech ends."""
BLINK_S = 0.15
"""Length of one blink."""
BLINK_SLOT_S = 4.0
"""One blink per slot of this length, at a random offset in its first half: gaps 2–6 s."""
FALL_ASLEEP_S = 0.8
"""Seconds the eyes take to close when the kiosk goes to sleep."""
WAKE_S = 0.25
"""Seconds the eyes take to open on waking."""
BREATH_PERIOD_S = 4.5
"""One breath (vertical head motion)."""
SACCADE_SLOT_S = 1.1
"""One small eye jump per slot of this length, at a random offset in it."""
SACCADE_S = 0.05
"""How long an eye jump takes (saccades are quick)."""
GLANCE_S = 0.3
"""How long the eyes take to glance up and aside when thinking starts."""
_LOOK_AROUND = {
    State.LISTENING: (0.25, 0.15),
    State.SPEAKING: (0.45, 0.2),
    State.ERROR: (0.3, 0.2),
}
"""State → (x, y) reach of the eye jumps: listening looks at the child, close to centre."""

# Triangular kernel over ±COARTICULATION_S, sampled at fixed offsets (frame-rate independent).
_KERNEL_STEPS = 4
_KERNEL = [
    (COARTICULATION_S * i / _KERNEL_STEPS, float(_KERNEL_STEPS + 1 - abs(i)))
    for i in range(-_KERNEL_STEPS, _KERNEL_STEPS + 1)
]
_KERNEL_SUM = sum(w for _, w in _KERNEL)
_MASK64 = (1 << 64) - 1


@dataclass(slots=True)
class _Speech:
    start: float
    track: LipSyncTrack
    emotion: str
    cut: float = math.inf

    @property
    def end(self) -> float:
        """When the mouth stops following the track (natural end or barge-in)."""
        return min(self.start + self.track.duration, self.cut)


def _unit_random(seed: int, k: int) -> float:
    """A deterministic number in [0, 1) for slot ``k`` (splitmix64)."""
    z = ((seed & 0xFFFFFFFF) << 32 ^ (k & _MASK64)) + 0x9E3779B97F4A7C15 & _MASK64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _MASK64
    return ((z ^ (z >> 31)) >> 11) / float(1 << 53)


class Animator:
    """Turns state changes, emotions and scheduled speech into a face pose at time t."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.RLock()
        self._states: list[tuple[float, int, State]] = []
        self._runs: list[tuple[float, bool, bool]] = []  # (start, asleep, follows another run)
        self._emotions: list[tuple[float, int, str]] = []
        self._speech: list[_Speech] = []
        self._longest = 0.0
        self._seq = 0
        self._phase = (
            2 * math.pi * _unit_random(seed, -1),
            2 * math.pi * _unit_random(seed, -2),
        )

    # --- scheduling -----------------------------------------------------------

    def set_state(self, state: State, at: float) -> None:
        """From ``at`` seconds on, the face shows ``state``."""
        with self._lock:
            self._seq += 1
            bisect.insort(self._states, (at, self._seq, state))
            self._runs = []
            for when, _, st in self._states:
                asleep = st is State.SLEEPING
                if not self._runs or self._runs[-1][1] != asleep:
                    self._runs.append((when, asleep, bool(self._runs)))

    def set_emotion(self, emotion: str, at: float) -> None:
        """From ``at`` on (blended over ``EMOTION_BLEND_S``), the face shows ``emotion``."""
        with self._lock:
            self._seq += 1
            bisect.insort(self._emotions, (at, self._seq, emotion))

    def add_speech(self, start: float, track: LipSyncTrack, emotion: str = "neutral") -> None:
        """Move the mouth along ``track`` from ``start`` (playback clock), showing ``emotion``."""
        with self._lock:
            bisect.insort(self._speech, _Speech(start, track, emotion), key=lambda s: s.start)
            self._longest = max(self._longest, track.duration)

    def cancel_speech(self, at: float) -> None:
        """Barge-in: drop speech after ``at``; a mouth open at ``at`` closes over ``CLOSE_S``."""
        with self._lock:
            self._speech = [s for s in self._speech if s.start < at]
            for s in self._speech:
                s.cut = min(s.cut, at)

    def forget_before(self, t: float) -> None:
        """Drop history that cannot affect poses at ``t`` or later (long-running kiosk)."""
        horizon = t - EMOTION_LINGER_S - EMOTION_BLEND_S - CLOSE_S - 1.0
        with self._lock:
            self._speech = [s for s in self._speech if s.end >= horizon]
            for name in ("_states", "_emotions"):
                entries = getattr(self, name)
                i = bisect.bisect_right(entries, horizon, key=lambda e: e[0])
                setattr(self, name, entries[max(0, i - 1) :])

    # --- queries --------------------------------------------------------------

    def speech_end(self) -> float:
        """When the last scheduled speech ends (0.0 when none is scheduled)."""
        with self._lock:
            return max((s.end for s in self._speech), default=0.0)

    def speaking_at(self, t: float) -> bool:
        """True while scheduled speech is playing at ``t``."""
        with self._lock:
            return self._active_speech(t) is not None

    def state_at(self, t: float) -> State:
        """The state set last at or before ``t`` (sleeping before anything was set)."""
        with self._lock:
            i = bisect.bisect_right(self._states, t, key=lambda e: e[0])
            return self._states[i - 1][2] if i else State.SLEEPING

    def pose_at(self, t: float) -> FacePose:
        """The face at ``t`` seconds on the playback clock."""
        with self._lock:
            state = self.state_at(t)
            awake = self._awake_at(t)
            mouth = self._mouth_at(t)
            speech = self._active_speech(t)
            viseme = speech.track.viseme_at(t - speech.start) if speech and mouth > 0 else ""
            emotion = self._emotion_target(t - EMOTION_BLEND_S / 2)
        sleepy = 1.0 - awake
        eyes = awake * self._blink_at(t) if awake > 0 else 0.0
        b1, b2 = self._phase
        head_x = (
            0.22 * math.sin(2 * math.pi * t / 7.3 + b1)
            + 0.08 * math.sin(2 * math.pi * t / 3.1 + b2)
        ) * (1 - 0.6 * sleepy)
        head_y = (0.35 + 0.3 * sleepy) * math.sin(2 * math.pi * t / BREATH_PERIOD_S) + 0.25 * mouth
        tilt = 0.35 * math.sin(2 * math.pi * t / 9.7 + b2) * awake + 0.7 * sleepy
        gaze_x, gaze_y = self._gaze_at(t, state) if awake > 0 else (0.0, 0.0)
        return FacePose(
            mouth_open=mouth,
            eyes_open=eyes,
            emotion=emotion,
            state=state,
            head_x=head_x,
            head_y=max(-1.0, min(1.0, head_y)),
            viseme=viseme,
            gaze_x=gaze_x * awake,
            gaze_y=gaze_y * awake,
            tilt=tilt,
        )

    def _gaze_at(self, t: float, state: State) -> tuple[float, float]:
        """Where the eyes look: at the child with small jumps, up and aside when thinking."""
        with self._lock:
            i = bisect.bisect_right(self._states, t, key=lambda e: e[0])
            since = t - self._states[i - 1][0] if i else t
        if state is State.THINKING:
            side = 1.0 if _unit_random(self._seed, -3 - i) < 0.5 else -1.0
            k = min(1.0, since / GLANCE_S)
            k = k * k * (3 - 2 * k)
            return 0.8 * side * k, -0.7 * k
        reach = _LOOK_AROUND.get(state)
        if reach is None:
            return 0.0, 0.0
        slot = math.floor(t / SACCADE_SLOT_S)

        def target(n: int) -> tuple[float, float]:
            if _unit_random(self._seed, 3_000_000 + n) < 0.4:
                return 0.0, 0.0  # back at the child's eyes
            rx = 2 * _unit_random(self._seed, 1_000_000 + n) - 1
            ry = 2 * _unit_random(self._seed, 2_000_000 + n) - 1
            return reach[0] * rx, reach[1] * ry

        jump = (slot + 0.8 * _unit_random(self._seed, 4_000_000 + slot)) * SACCADE_SLOT_S
        if t >= jump:
            before, after, p = target(slot - 1), target(slot), (t - jump) / SACCADE_S
        else:
            before, after, p = target(slot - 2), target(slot - 1), 1.0
        p = min(1.0, p)
        return (
            before[0] + (after[0] - before[0]) * p,
            before[1] + (after[1] - before[1]) * p,
        )

    # --- internals (call with the lock held) ----------------------------------

    def _candidates(self, lo: float, hi: float) -> list[_Speech]:
        """Speech items that may be audible (or closing) somewhere in [lo, hi]."""
        i = bisect.bisect_right(self._speech, hi, key=lambda s: s.start)
        out = []
        for j in range(i - 1, -1, -1):
            s = self._speech[j]
            if s.start < lo - self._longest - CLOSE_S:
                break
            if s.end + CLOSE_S >= lo:
                out.append(s)
        return out

    def _active_speech(self, t: float) -> _Speech | None:
        return next((s for s in self._candidates(t, t) if s.start <= t < s.end), None)

    def _raw_mouth(self, t: float, items: list[_Speech]) -> float:
        value = 0.0
        for s in items:
            if s.start <= t < s.end:
                value = max(value, s.track.openness_at(t - s.start))
            elif s.cut < s.start + s.track.duration and s.cut <= t < s.cut + CLOSE_S:
                value = max(
                    value, s.track.openness_at(s.cut - s.start) * (1 - (t - s.cut) / CLOSE_S)
                )
        return value

    def _mouth_at(self, t: float) -> float:
        items = self._candidates(t - COARTICULATION_S, t + COARTICULATION_S)
        if not items:
            return 0.0
        total = sum(w * self._raw_mouth(t + d, items) for d, w in _KERNEL) / _KERNEL_SUM
        return 0.0 if total < 1e-4 else min(1.0, total)

    def _emotion_target(self, t: float) -> str:
        lead = EMOTION_BLEND_S / 2
        for s in self._candidates(t - EMOTION_LINGER_S, t + lead):
            if s.start - lead <= t < s.end + EMOTION_LINGER_S:
                return s.emotion
        if self.state_at(t) is State.THINKING:
            return "thinking"
        i = bisect.bisect_right(self._emotions, t, key=lambda e: e[0])
        return self._emotions[i - 1][2] if i else "neutral"

    def _awake_at(self, t: float) -> float:
        """1 with eyes open, 0 asleep, in between while falling asleep or waking."""
        i = bisect.bisect_right(self._runs, t, key=lambda r: r[0])
        if not i:
            return 0.0
        start, asleep, follows = self._runs[i - 1]
        if asleep:
            return max(0.0, 1.0 - (t - start) / FALL_ASLEEP_S) if follows else 0.0
        return min(1.0, (t - start) / WAKE_S) if follows else 1.0

    def _blink_at(self, t: float) -> float:
        """Eye openness from blinking alone: 1, dipping to 0 for ``BLINK_S`` every 2–6 s."""
        k = math.floor(t / BLINK_SLOT_S)
        for slot in (k, k - 1):
            p = (
                t - slot * BLINK_SLOT_S - 0.5 * BLINK_SLOT_S * _unit_random(self._seed, slot)
            ) / BLINK_S
            if 0.0 <= p < 1.0:
                closed = min(1.0, p / 0.4, (1.0 - p) / 0.4)
                return 1.0 - closed
        return 1.0
