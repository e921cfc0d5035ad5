"""The still parts of the drawn face, built once per size: backgrounds, body, head.

Аня: a round-faced girl with chestnut hair, a fringe and two bunches with pink
bobbles, in a sky-blue top. Everything here is drawn once and cached by
``DrawnFace``; only eyes, brows, mouth and state badges change per frame.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from kiosk.avatar.drawing import DESIGN, Point, Sketch, bezier, ellipse_points, mix
from kiosk.avatar.features import SKIN
from kiosk.events import State

__all__ = [
    "EYE_CENTRES",
    "HEAD_CENTRE",
    "MOUTH_CENTRE",
    "draw_background",
    "draw_body",
    "draw_head",
]

HEAD_CENTRE = (256.0, 262.0)
EYE_CENTRES = ((204.0, 276.0), (308.0, 276.0))
BROW_Y = 222.0
MOUTH_CENTRE = (256.0, 352.0)

SKIN_SHADE = (246, 196, 172)
SKIN_LINE = (226, 160, 136)
HAIR = (120, 70, 46)
HAIR_DARK = (92, 52, 34)
HAIR_SHINE = (160, 104, 70)
BOBBLE = (255, 128, 168)
SHIRT = (110, 176, 236)
COLLAR = (255, 255, 255)

_DAY_TOP, _DAY_BOTTOM = (255, 242, 228), (220, 236, 252)
_GLOW = {
    State.LISTENING: (160, 236, 186),
    State.THINKING: (214, 198, 252),
    State.SPEAKING: (255, 210, 166),
    State.ERROR: (252, 226, 156),
    State.SLEEPING: (118, 108, 196),
}


def draw_background(size: int, state: State) -> pygame.Surface:
    """The opaque backdrop for ``state``: a soft gradient with a glow behind the head."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size * DESIGN
    if state is State.SLEEPING:
        top, bottom, strength = (52, 58, 118), (104, 88, 160), 0.55
    else:
        top, bottom, strength = _DAY_TOP, _DAY_BOTTOM, 0.75
    v = (ys / DESIGN)[..., None]
    rgb = np.array(top, np.float32) * (1 - v) + np.array(bottom, np.float32) * v
    dist = np.hypot(xs - HEAD_CENTRE[0], ys - HEAD_CENTRE[1])
    glow = (strength * np.clip(1 - dist / 250.0, 0, 1) ** 1.6)[..., None]
    rgb = rgb * (1 - glow) + np.array(_GLOW[state], np.float32) * glow
    surface = pygame.surfarray.make_surface(
        np.ascontiguousarray(rgb.swapaxes(0, 1)).astype(np.uint8)
    )
    scale = size / DESIGN
    if state is State.SLEEPING:
        sk = Sketch(scale, (0, 0, DESIGN, DESIGN))
        rng = np.random.default_rng(3)
        for x, y, r in zip(
            rng.uniform(10, 500, 26), rng.uniform(10, 200, 26), rng.uniform(1, 2.6, 26), strict=True
        ):
            if math.dist((x, y), HEAD_CENTRE) > 175:
                sk.circle(x, y, r, (255, 250, 220, 230))
        sk.circle(84, 78, 30, (255, 238, 176))
        sk.circle(98, 68, 27, (0, 0, 0, 0))  # the bite that makes a crescent
        surface.blit(sk.finish(), (0, 0), special_flags=pygame.BLEND_PREMULTIPLIED)
    return surface


def draw_body(size: int) -> pygame.Surface:
    """Neck and shoulders in a sky-blue top (does not move with the head)."""
    sk = Sketch(size / DESIGN, (0, 0, DESIGN, DESIGN))
    sk.polygon([(228, 340), (284, 340), (288, 430), (224, 430)], SKIN_SHADE)
    sk.ellipse(256, 576, 200, 150, SHIRT)
    collar = ellipse_points(256, 428, 40, 26, 0, math.pi, 24)
    sk.stroke(collar, 6, COLLAR)
    sk.polygon(ellipse_points(256, 427, 36, 22, 0, math.pi, 24), SKIN_SHADE)
    sk.polygon([(226, 400), (286, 400), (286, 428), (226, 428)], SKIN_SHADE)
    return sk.finish()


def _pigtail(sk: Sketch, sign: float) -> None:
    """A bunch of hair swinging out from the side of the head (``sign`` -1 left, +1 right)."""
    x0 = HEAD_CENTRE[0] + sign * 130
    n = 48
    path = bezier((x0, 176), (x0 + sign * 78, 160), (x0 + sign * 60, 300), n)
    radii = [20 + 12 * math.sin(0.9 * math.pi * i / n) - 13 * (i / n) ** 2 for i in range(n + 1)]
    for (x, y), r in zip(path, radii, strict=True):
        sk.circle(x, y, r + 2.5, HAIR_DARK)
    for (x, y), r in zip(path, radii, strict=True):
        sk.circle(x, y, r, HAIR)
    shine = path[6:34:4]
    sk.stroke(
        [(x + sign * 7, y - 3) for x, y in shine],
        [4.5 - 0.4 * i for i in range(len(shine))],
        HAIR_SHINE,
    )


def _bobble(sk: Sketch, sign: float) -> None:
    x, y = HEAD_CENTRE[0] + sign * 128, 172.0
    sk.circle(x, y, 15, mix(BOBBLE, (0, 0, 0), 0.15))
    sk.circle(x, y, 13, BOBBLE)
    sk.circle(x - 4, y - 5, 4.5, (255, 216, 230))


def _fringe_outline() -> list[Point]:
    """Hair cap over the forehead with a scalloped fringe and locks by the temples."""
    cx, cy = HEAD_CENTRE[0], 238.0
    cap = ellipse_points(cx, cy, 140, 150, math.pi, 2 * math.pi, 40)  # left → right over the top
    right_lock = [(398, 262), (392, 300), (380, 322), (372, 300), (370, 262)]
    fringe = []
    strands = 6
    for i in range(61):
        x = 370 - (370 - 142) * i / 60
        u = (x - cx) / 114
        base = 182 + 62 * u * u
        fringe.append((x, base + 20 * abs(math.sin(math.pi * strands * i / 60))))
    left_lock = [(142, 262), (140, 300), (132, 322), (120, 300), (114, 262)]
    return cap + right_lock + fringe + left_lock


def draw_head(size: int) -> pygame.Surface:
    """Hair, face, cheeks and nose: everything of the head that never changes."""
    sk = Sketch(size / DESIGN, (0, 0, DESIGN, DESIGN))
    hx, hy = HEAD_CENTRE
    _pigtail(sk, -1)
    _pigtail(sk, 1)
    # Back hair: the mass behind the face, falling to the neck.
    sk.ellipse(hx, 236, 154, 156, HAIR_DARK)
    sk.ellipse(hx, 236, 151, 153, HAIR)
    for x in (116, 396):
        sk.ellipse(x, 300, 34, 82, HAIR)
    # Ears, face and a soft shade under the fringe.
    for x in (134, 378):
        sk.ellipse(x, 290, 16, 22, SKIN_LINE)
        sk.ellipse(x, 290, 14, 20, SKIN)
    sk.ellipse(hx, hy + 2, 127, 138, SKIN_LINE)
    sk.ellipse(hx, hy + 2, 125, 136, SKIN)
    outline = _fringe_outline()
    shadow, face = sk.blank(), sk.blank()
    shadow.polygon([(x, y + 8) for x, y in outline], SKIN_SHADE)
    face.ellipse(hx, hy + 2, 125, 136, (255, 255, 255, 255))
    shadow.clip_to(face)
    sk.paste(shadow, 220)
    blush = sk.blank()
    for x in (168, 344):
        blush.ellipse(x, 330, 28, 16, (255, 138, 150))
    sk.paste(blush, 95)
    sk.stroke(ellipse_points(256, 312, 7, 5, 0.2, math.pi - 0.2, 10), 2.4, SKIN_LINE)
    # Fringe in front of the forehead, with a darker edge and a shine.
    sk.stroke(outline[40:], 2.4, HAIR_DARK)
    sk.polygon(outline, HAIR)
    sk.stroke(ellipse_points(hx, 238, 118, 128, 1.22 * math.pi, 1.42 * math.pi, 12), 6, HAIR_SHINE)
    sk.stroke(ellipse_points(hx, 238, 118, 128, 1.58 * math.pi, 1.7 * math.pi, 10), 5, HAIR_SHINE)
    _bobble(sk, -1)
    _bobble(sk, 1)
    return sk.finish()
