"""The moving parts of the drawn face: eyes, eyebrows and mouth, shaped by emotion.

Each function draws one part as a small premultiplied sprite and returns it with the
design-space position of its top-left corner; ``DrawnFace`` caches them by their
(quantised) parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from kiosk.avatar.drawing import Point, Sketch, bezier, mix

__all__ = [
    "BROWS",
    "EYES",
    "MOUTHS",
    "BrowShape",
    "Sprite",
    "EyeShape",
    "MouthShape",
    "draw_brow",
    "draw_eye",
    "draw_mouth",
]

Sprite = tuple[pygame.Surface, tuple[float, float]]
"""A premultiplied picture and the design-space position of its top-left corner."""

SKIN = (255, 221, 200)
LASH = (62, 38, 32)
BROW = (112, 66, 44)
IRIS_RING = (92, 54, 36)
IRIS = (146, 94, 52)
IRIS_LIGHT = (204, 148, 82)
PUPIL = (42, 26, 22)
MOUTH_LINE = (176, 78, 82)
MOUTH_INSIDE = (122, 40, 56)
TONGUE = (238, 120, 132)

EYE_RX, EYE_RY = 31.0, 36.0


@dataclass(frozen=True, slots=True)
class EyeShape:
    """How an emotion sets the eyes."""

    open_scale: float = 1.0
    """Multiplies the pose's eye openness."""
    smile: float = 0.0
    """0..1 how far the lower lid rises (cheeks pushing up when smiling)."""
    pupil: float = 10.0
    """Pupil radius, design units."""


@dataclass(frozen=True, slots=True)
class BrowShape:
    """How an emotion sets one eyebrow (offsets in design units, negative is up)."""

    inner: float = 0.0
    outer: float = 0.0
    arch: float = 5.0


@dataclass(frozen=True, slots=True)
class MouthShape:
    """How an emotion sets the mouth."""

    half_width: float = 26.0
    """Half the mouth's width (radius of the "o" when round), design units."""
    corner: float = -3.0
    """Corner height relative to the mouth centre (negative: corners up, a smile)."""
    sag: float = 8.0
    """Where the closed line's middle bends to (positive: down, a smile)."""
    open_height: float = 44.0
    """Depth of the fully open mouth."""
    round: bool = False
    """An "o" instead of a smile line (surprise)."""
    shift: float = 0.0
    """Sideways offset of the whole mouth (pursed to one side when thinking)."""
    tilt: float = 0.0
    """Right corner minus left corner height."""
    dimples: bool = False
    """Little creases at the corners (a big smile)."""


EYES: dict[str, EyeShape] = {
    "neutral": EyeShape(),
    "happy": EyeShape(0.95, 0.32),
    "excited": EyeShape(1.0, 0.18, 11.0),
    "calm": EyeShape(0.78, 0.18),
    "concern": EyeShape(0.95, 0.0, 10.5),
    "sad": EyeShape(0.82, 0.0, 10.5),
    "surprised": EyeShape(1.0, 0.0, 7.0),
    "thinking": EyeShape(0.9, 0.05),
}
"""Eye shape per emotion label (``kiosk.brain.emotion.EMOTIONS``)."""

BROWS: dict[str, tuple[BrowShape, BrowShape]] = {
    "neutral": (BrowShape(), BrowShape()),
    "happy": (BrowShape(-4, -3, 7), BrowShape(-4, -3, 7)),
    "excited": (BrowShape(-9, -7, 8), BrowShape(-9, -7, 8)),
    "calm": (BrowShape(1, 2, 4), BrowShape(1, 2, 4)),
    "concern": (BrowShape(-7, 3, 2), BrowShape(-7, 3, 2)),
    "sad": (BrowShape(-9, 6, 1), BrowShape(-9, 6, 1)),
    "surprised": (BrowShape(-15, -12, 9), BrowShape(-15, -12, 9)),
    "thinking": (BrowShape(2, 2, 2), BrowShape(-10, -13, 7)),
}
"""(left, right) eyebrow per emotion label, left as seen on screen."""

MOUTHS: dict[str, MouthShape] = {
    "neutral": MouthShape(),
    "happy": MouthShape(34, -9, 14, 50, dimples=True),
    "excited": MouthShape(37, -10, 17, 56, dimples=True),
    "calm": MouthShape(23, -3, 7, 36),
    "concern": MouthShape(21, 2, -2, 34),
    "sad": MouthShape(24, 6, -7, 36),
    "surprised": MouthShape(12, 0, 0, 34, round=True),
    "thinking": MouthShape(17, 0, 2, 36, shift=12, tilt=-6),
}
"""Mouth shape per emotion label."""

_VISEME_WIDTH = {"O": 0.78, "U": 0.64, "SH": 0.82, "I": 1.12, "E": 1.08, "MBP": 0.96}


def _lid(cx: float, corner_y: float, apex_y: float, n: int = 20) -> list[Point]:
    """A lid curve from the left corner to the right one, bulging to ``apex_y``."""
    pts = []
    for i in range(n + 1):
        u = -1 + 2 * i / n
        pts.append((cx + EYE_RX * u, corner_y + (apex_y - corner_y) * math.sqrt(1 - u * u)))
    return pts


def draw_eye(
    scale: float,
    cx: float,
    cy: float,
    openness: float,
    gaze: tuple[float, float],
    shape: EyeShape,
    mirrored: bool,
) -> Sprite:
    """One eye: ``openness`` 0..1, iris shifted by ``gaze`` (design units); ``mirrored`` = right."""
    box = (cx - 44, cy - 46, 88, 92)
    sk = Sketch(scale, box)
    o = max(0.0, min(1.0, openness * shape.open_scale))
    corner_y = cy + 3
    closed_y = corner_y + 7  # a closed eye is a soft "‿"
    upper = _lid(cx, corner_y, closed_y - o * (closed_y - (cy - EYE_RY - 1)))
    lower = _lid(cx, corner_y, closed_y + o * (1 - shape.smile) * (cy + EYE_RY - closed_y))
    if o > 0.02:
        sk.ellipse(cx, cy, EYE_RX, EYE_RY, (255, 255, 255))
        sk.ellipse(cx, cy - EYE_RY * 0.72, EYE_RX * 0.8, EYE_RY * 0.45, (236, 236, 246))
        sk.ellipse(cx, cy - EYE_RY * 0.55, EYE_RX, EYE_RY * 0.1, (255, 255, 255))
        sk.ellipse(cx, cy - 5, EYE_RX, EYE_RY - 2, (255, 255, 255))
        ix, iy = cx + gaze[0], cy + 4 + gaze[1]
        sk.circle(ix, iy, 23.5, IRIS_RING)
        sk.circle(ix, iy, 21.0, IRIS)
        sk.ellipse(ix, iy + 9, 14, 8.5, IRIS_LIGHT)
        sk.circle(ix, iy, shape.pupil, PUPIL)
        sk.circle(ix - 8, iy - 9, 7.0, (255, 255, 255))
        sk.circle(ix + 8, iy + 8, 3.2, (255, 255, 255))
        mask = sk.blank()
        mask.polygon(upper + lower[::-1], (255, 255, 255, 255))
        sk.clip_to(mask)
    # Lashes: thicker towards the outer corner, two flicks outwards.
    outer_left = not mirrored
    radii = [1.8 + 1.8 * ((1 - i / 20) if outer_left else i / 20) for i in range(21)]
    sk.stroke(upper, radii, LASH)
    ox, oy = upper[0] if outer_left else upper[-1]
    sign = -1 if outer_left else 1
    for dx, dy in ((9, -7), (5, -11)):
        sk.stroke([(ox + sign * 1, oy - 1), (ox + sign * dx, oy + dy)], [2.6, 1.2], LASH)
    return sk.finish(), box[:2]


def draw_brow(scale: float, cx: float, cy: float, shape: BrowShape, mirrored: bool) -> Sprite:
    """One eyebrow centred at (cx, cy); the inner end points to the nose."""
    box = (cx - 40, cy - 34, 80, 60)
    sk = Sketch(scale, box)
    side = -1 if mirrored else 1  # +1: inner end is to the right
    inner = (cx + side * 22, cy + shape.inner)
    outer = (cx - side * 25, cy + shape.outer + 3)
    ctrl = (cx - side * 4, (inner[1] + outer[1]) / 2 - 2 * shape.arch)
    pts = bezier(outer, ctrl, inner, 16)
    sk.stroke(pts, [2.6 + 2.0 * i / 16 for i in range(17)], BROW)
    return sk.finish(), box[:2]


def draw_mouth(
    scale: float, cx: float, cy: float, openness: float, shape: MouthShape, viseme: str = ""
) -> Sprite:
    """The mouth at ``openness`` 0 (closed line) .. 1 (wide open, teeth and tongue)."""
    box = (cx - 64, cy - 36, 128, 110)
    sk = Sketch(scale, box)
    o = max(0.0, min(1.0, openness))
    width = _VISEME_WIDTH.get(viseme, 1.0) * (1 - 0.12 * o)
    mx = cx + shape.shift
    if shape.round:
        rx = shape.half_width * width + 4 * o
        ry = 7 + o * shape.open_height / 2
        outline = [
            (mx + rx * math.cos(a * math.pi / 24), cy + 6 + ry * math.sin(a * math.pi / 24))
            for a in range(49)
        ]
        upper_mid = cy + 6 - ry
        inside = outline
        top = outline[24:][::-1]
    else:
        w = shape.half_width * width
        left = (mx - w, cy + shape.corner - shape.tilt / 2)
        right = (mx + w, cy + shape.corner + shape.tilt / 2)
        top_ctrl = (mx, cy + shape.sag * (1 - 0.5 * o) - 5 * o)
        bottom_ctrl = (mx, cy + shape.sag + 2 * o * shape.open_height)
        top = bezier(left, top_ctrl, right)
        bottom = bezier(right, bottom_ctrl, left)
        inside = top + bottom[1:]
        outline = inside + [top[0]]
        upper_mid = top[len(top) // 2][1]
    depth = max(p[1] for p in inside) - upper_mid
    if depth > 1.5:
        sk.polygon(inside, MOUTH_INSIDE)
        xs = [p[0] for p in inside]
        span = max(xs) - min(xs)
        teeth = min(8.0, 0.3 * depth)
        sk.polygon(
            [(p[0], p[1] - 20) for p in top] + [(p[0], p[1] + teeth) for p in top[::-1]],
            (255, 255, 255),
        )
        low = max(p[1] for p in inside)
        if depth > 10:
            sk.ellipse(mx, low - 0.12 * depth, span * 0.3, 0.34 * depth, TONGUE)
        mask = sk.blank()
        mask.polygon(inside, (255, 255, 255, 255))
        sk.clip_to(mask)
    sk.stroke(outline, 2.8, MOUTH_LINE)
    if shape.dimples and not shape.round:
        for end, sign in ((top[0], -1), (top[-1], 1)):
            sk.stroke(
                [(end[0] + sign * 2, end[1] - 5), (end[0] + sign * 5, end[1] + 1)],
                [1.2, 2.0],
                mix(MOUTH_LINE, SKIN, 0.35),
            )
    return sk.finish(), box[:2]
