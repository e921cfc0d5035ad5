"""Badges that say at a glance what the kiosk is doing, animated by a phase 0..1.

Sleeping: drifting "z z z". Listening: a green badge with a microphone and a pulse.
Thinking: a thought bubble with bouncing dots. Speaking: a warm badge whose bars
follow the voice. Error: a gentle amber "!" (never red: nothing scary for a child).
"""

from __future__ import annotations

import math

from kiosk.avatar.drawing import Sketch, ellipse_points, mix
from kiosk.avatar.features import Sprite
from kiosk.events import State

__all__ = ["BADGE_CENTRE", "PERIOD_S", "draw_indicator"]

BADGE_CENTRE = (452.0, 452.0)
BADGE_R = 34.0

PERIOD_S: dict[State, float] = {
    State.SLEEPING: 3.6,
    State.LISTENING: 1.6,
    State.THINKING: 1.2,
    State.SPEAKING: 1.0,
    State.ERROR: 2.4,
}
"""Seconds per animation cycle of each state's badge."""

_BOXES: dict[State, tuple[float, float, float, float]] = {
    State.SLEEPING: (334.0, 12.0, 150.0, 194.0),
    State.THINKING: (334.0, 22.0, 168.0, 144.0),
}
"""Design-space area each overlay covers; the others are the badge corner."""
_BADGE_BOX = (394.0, 394.0, 118.0, 118.0)

_COLORS = {
    State.LISTENING: (72, 190, 120),
    State.SPEAKING: (250, 146, 110),
    State.ERROR: (246, 180, 64),
}


def _badge(sk: Sketch, color: tuple[int, int, int], pulse: float, ring_alpha: float) -> None:
    x, y = BADGE_CENTRE
    if ring_alpha > 0.01:
        ring = sk.blank()
        ring.stroke(
            ellipse_points(x, y, BADGE_R + pulse, BADGE_R + pulse, 0, 2 * math.pi, 48), 3.2, color
        )
        sk.paste(ring, round(255 * ring_alpha))
    shadow = sk.blank()
    shadow.circle(x, y + 4, BADGE_R + 1, (40, 40, 80))
    sk.paste(shadow, 60)
    sk.circle(x, y, BADGE_R + 3, (255, 255, 255))
    sk.circle(x, y, BADGE_R, color)
    sk.circle(x - 9, y - 10, BADGE_R * 0.55, mix(color, (255, 255, 255), 0.14))


def _listening(sk: Sketch, phase: float) -> None:
    _badge(sk, _COLORS[State.LISTENING], 18 * phase, 0.8 * (1 - phase))
    x, y = BADGE_CENTRE
    white = (255, 255, 255)
    sk.stroke([(x, y - 15), (x, y - 3)], 7.5, white)
    sk.stroke(ellipse_points(x, y - 6, 13, 13, 0.15, math.pi - 0.15, 16), 2.6, white)
    sk.stroke([(x, y + 7), (x, y + 14)], 2.6, white)
    sk.stroke([(x - 8, y + 15), (x + 8, y + 15)], 2.6, white)


def _speaking(sk: Sketch, level: float) -> None:
    _badge(sk, _COLORS[State.SPEAKING], 4 + 8 * level, 0.25 + 0.45 * level)
    x, y = BADGE_CENTRE
    for dx, k in ((-13, 0.6), (0, 1.0), (13, 0.75)):
        h = 4 + 13 * k * (0.25 + 0.75 * level)
        sk.stroke([(x + dx, y - h), (x + dx, y + h)], 3.6, (255, 255, 255))


def _error(sk: Sketch, phase: float) -> None:
    _badge(sk, _COLORS[State.ERROR], 6, 0.3 + 0.2 * math.sin(2 * math.pi * phase))
    x, y = BADGE_CENTRE
    sk.stroke([(x, y - 18), (x, y + 4)], [4.6, 3.4], (255, 255, 255))
    sk.circle(x, y + 15, 4.4, (255, 255, 255))


def _thinking(sk: Sketch, phase: float) -> None:
    outline, fill = (196, 180, 236), (255, 255, 255)
    puffs = ((426, 84, 40), (392, 94, 28), (460, 94, 28), (406, 64, 27), (446, 62, 27))
    for r_add, color in ((3.0, outline), (0.0, fill)):
        for x, y, r in puffs:
            sk.circle(x, y, r + r_add, color)
        for x, y, r in ((372, 124, 10), (352, 146, 6)):
            sk.circle(x, y, r + r_add, color)
    for i, x in enumerate((408, 426, 444)):
        bump = max(0.0, math.sin(2 * math.pi * (phase - i / 6)))
        sk.circle(x, 82 - 7 * bump, 5.8, mix((176, 160, 220), (120, 96, 200), bump))


def _sleeping(sk: Sketch, phase: float) -> None:
    for i in range(3):
        p = (phase + i / 3) % 1.0
        x, y = 352 + 96 * p, 186 - 140 * p
        s = 8 + 14 * p
        z = [(x - s, y - s), (x + s, y - s), (x - s, y + s), (x + s, y + s)]
        letter = sk.blank()
        letter.stroke(z, 1.6 + 2.2 * p, (236, 236, 255))
        sk.paste(letter, round(255 * math.sin(math.pi * p) ** 0.7))


def draw_indicator(scale: float, state: State, phase: float, level: float = 0.0) -> Sprite:
    """The overlay for ``state`` at animation ``phase`` (0..1), and where it goes.

    ``level`` (0..1) is the voice loudness for the speaking badge.
    """
    box = _BOXES.get(state, _BADGE_BOX)
    sk = Sketch(scale, box)
    match state:
        case State.LISTENING:
            _listening(sk, phase)
        case State.SPEAKING:
            _speaking(sk, level)
        case State.ERROR:
            _error(sk, phase)
        case State.THINKING:
            _thinking(sk, phase)
        case State.SLEEPING:
            _sleeping(sk, phase)
    return sk.finish(), box[:2]
