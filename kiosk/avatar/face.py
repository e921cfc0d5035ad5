"""The drawn default face (Аня): a cartoon girl whose mouth, eyes and brows follow the pose.

Still layers (backdrop per state, body, head) are drawn once; eyes, brows, mouth and
state badges are small sprites cached by their quantised parameters, so a frame is a
handful of blits. Equal poses at equal times give identical pixels.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import partial

import pygame

from kiosk.avatar.base import FacePose
from kiosk.avatar.drawing import DESIGN
from kiosk.avatar.features import (
    BROWS,
    EYES,
    MOUTHS,
    Sprite,
    draw_brow,
    draw_eye,
    draw_mouth,
)
from kiosk.avatar.indicators import PERIOD_S, draw_indicator
from kiosk.avatar.layers import (
    BROW_Y,
    EYE_CENTRES,
    MOUTH_CENTRE,
    draw_background,
    draw_body,
    draw_head,
)
from kiosk.events import State

__all__ = ["DrawnFace"]

_LOGGER = logging.getLogger(__name__)

HEAD_RANGE_X = 7.0
"""Design units the head moves sideways at ``head_x = ±1``."""
HEAD_RANGE_Y = 4.0
"""Design units the head moves up/down at ``head_y = ±1``."""
GAZE_RANGE = 7.0
"""Design units the irises move with ``head_x`` (the eyes lead the head)."""
LOOK_RANGE = (10.0, 13.0)
"""Design units the irises move at ``gaze_x``/``gaze_y`` = ±1."""
INDICATOR_STEPS = 36
"""Animation frames per badge cycle."""
SLEEP_DIM = (34, 32, 96, 52)
"""Night-time veil over the sleeping face (RGBA)."""

_MOUTH_STEPS = 40
_EYE_STEPS = 24
_CACHE_SIZE = 768


class _SpriteCache:
    """A small LRU of sprites keyed by their drawing parameters."""

    def __init__(self, limit: int) -> None:
        self._items: OrderedDict[Hashable, tuple[pygame.Surface, tuple[int, int]]] = OrderedDict()
        self._limit = limit

    def get(
        self, key: Hashable, make: Callable[[], tuple[pygame.Surface, tuple[int, int]]]
    ) -> tuple[pygame.Surface, tuple[int, int]]:
        item = self._items.get(key)
        if item is None:
            item = make()
            self._items[key] = item
            if len(self._items) > self._limit:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return item


class DrawnFace:
    """The procedural default avatar; implements ``AvatarRenderer``."""

    def __init__(self, size: int = 512) -> None:
        if size < 64:
            raise ValueError(f"avatar size {size} is too small (at least 64 pixels)")
        self.size = size
        self._scale = size / DESIGN
        self._frame = pygame.Surface((size, size))
        body = draw_body(size)
        self._backgrounds: dict[State, pygame.Surface] = {}
        for state in State:  # all up front: a state change must not stall a frame
            self._backgrounds[state] = draw_background(size, state)
            self._backgrounds[state].blit(body, (0, 0), special_flags=pygame.BLEND_PREMULTIPLIED)
        self._head = draw_head(size)
        self._veil = pygame.Surface((size, size), pygame.SRCALPHA)
        self._veil.fill(SLEEP_DIM)
        self._sprites = _SpriteCache(_CACHE_SIZE)

    def mouth_region(self) -> tuple[int, int, int, int]:
        """Box (x0, y0, x1, y1, frame pixels) the mouth fills when open, head still.

        For measuring the mouth in rendered video (``kiosk.avatar.sync``).
        """
        cx, cy = MOUTH_CENTRE
        return self._box(cx - 22, cy - 4, cx + 22, cy + 40)

    def eye_region(self) -> tuple[int, int, int, int]:
        """Box (x0, y0, x1, y1, frame pixels) around both eyes and brows, head still."""
        (lx, ly), (rx, _) = EYE_CENTRES
        return self._box(lx - 40, BROW_Y - 20, rx + 40, ly + 36)

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        s = self._scale
        return (round(x0 * s), round(y0 * s), round(x1 * s), round(y1 * s))

    # --- the frame --------------------------------------------------------

    def draw(self, pose: FacePose, t: float) -> pygame.Surface:
        """Return the frame for ``pose`` at ``t`` seconds (the same surface every call)."""
        frame = self._frame
        frame.blit(self._backgrounds[pose.state], (0, 0))
        ox = _clamp(pose.head_x) * HEAD_RANGE_X
        oy = _clamp(pose.head_y) * HEAD_RANGE_Y
        self._frame.blit(
            self._head, self._at((0, 0), ox, oy), special_flags=pygame.BLEND_PREMULTIPLIED
        )
        emotion = pose.emotion if pose.emotion in MOUTHS else "neutral"
        gaze = (
            round(_clamp(pose.head_x) * GAZE_RANGE + _clamp(pose.gaze_x) * LOOK_RANGE[0]),
            round(_clamp(pose.gaze_y) * LOOK_RANGE[1]),
        )
        eyes = round(_clamp(pose.eyes_open, 0.0, 1.0) * _EYE_STEPS) / _EYE_STEPS
        lift = round(3.0 * (1 - eyes))  # brows settle a little when the eyes close
        for i, (cx, cy) in enumerate(EYE_CENTRES):
            right = i == 1
            brow = partial(draw_brow, self._scale, cx, BROW_Y + lift, BROWS[emotion][i], right)
            self._place(("brow", emotion, i, lift), brow, ox, oy)
            eye = partial(draw_eye, self._scale, cx, cy, eyes, gaze, EYES[emotion], right)
            self._place(("eye", emotion, i, eyes, gaze), eye, ox, oy)
        mouth = round(_clamp(pose.mouth_open, 0.0, 1.0) * _MOUTH_STEPS) / _MOUTH_STEPS
        shape = MOUTHS[emotion]
        lips = partial(draw_mouth, self._scale, *MOUTH_CENTRE, mouth, shape, pose.viseme)
        self._place(("mouth", emotion, mouth, pose.viseme), lips, ox, oy)
        if pose.state is State.SLEEPING:
            frame.blit(self._veil, (0, 0))
        self._draw_indicator(pose, t)
        return frame

    # --- helpers ----------------------------------------------------------

    def _place(self, key: Hashable, make: Callable[[], Sprite], ox: float, oy: float) -> None:
        """Blit the cached sprite for ``key`` (drawn by ``make`` on a miss), moved with the head."""

        def scaled() -> tuple[pygame.Surface, tuple[int, int]]:
            surface, (x, y) = make()
            return surface, (round(x * self._scale), round(y * self._scale))

        surface, pos = self._sprites.get(key, scaled)
        self._frame.blit(surface, self._at(pos, ox, oy), special_flags=pygame.BLEND_PREMULTIPLIED)

    def _at(self, pos: tuple[int, int], ox: float, oy: float) -> tuple[int, int]:
        return (pos[0] + round(ox * self._scale), pos[1] + round(oy * self._scale))

    def _draw_indicator(self, pose: FacePose, t: float) -> None:
        state = pose.state
        step = int((t / PERIOD_S[state]) % 1.0 * INDICATOR_STEPS) % INDICATOR_STEPS
        level = 0
        if state is State.SPEAKING:
            step, level = 0, round(_clamp(pose.mouth_open, 0.0, 1.0) * 8)
        badge = partial(draw_indicator, self._scale, state, step / INDICATOR_STEPS, level / 8)
        self._place(("badge", state, step, level), badge, 0.0, 0.0)


def _clamp(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x
