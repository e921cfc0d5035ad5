"""``PhotoFace``: the prepared photo, animated by blitting precomputed patches.

A frame is the canvas (shifted for head motion), the eye patch and the mouth
patch for the pose (the two nearest openness steps blended with surface alpha),
a night veil when asleep and the state badge. Equal poses at equal times give
identical pixels.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pygame

from kiosk.avatar.base import FacePose
from kiosk.avatar.drawing import DESIGN
from kiosk.avatar.indicators import PERIOD_S, draw_indicator
from kiosk.avatar.photo.asset import (
    EMOTION_FACES,
    EYE_LEVELS,
    FRAME,
    MARGIN,
    MOUTH_LEVELS,
    PhotoAsset,
    load_asset,
)
from kiosk.events import State

__all__ = ["HEAD_RANGE", "PhotoFace"]

_LOGGER = logging.getLogger(__name__)

HEAD_RANGE = (12.0, 7.0)
"""Pixels (at 512) the photo moves at ``head_x``/``head_y`` = ±1; less than ``MARGIN``."""
SLEEP_DIM = (20, 22, 60, 96)
"""Night veil over the sleeping face (RGBA)."""
SLEEP_EYES = 0.15
"""Eye openness at most while asleep."""
_INDICATOR_STEPS = 36
_BADGES = 256


def _surface(rgb: np.ndarray, scale: float) -> pygame.Surface:
    surface = pygame.image.frombuffer(np.ascontiguousarray(rgb).tobytes(), rgb.shape[1::-1], "RGB")
    if scale != 1.0:
        w, h = rgb.shape[1::-1]
        surface = pygame.transform.smoothscale(surface, (round(w * scale), round(h * scale)))
    return surface.copy()


class PhotoFace:
    """The photo avatar renderer; implements ``AvatarRenderer``."""

    def __init__(self, asset: PhotoAsset | Path, size: int = FRAME) -> None:
        if not isinstance(asset, PhotoAsset):
            asset = load_asset(Path(asset))
        if size < 64:
            raise ValueError(f"avatar size {size} is too small (at least 64 pixels)")
        self.asset = asset
        self.size = size
        self._scale = size / FRAME
        self._frame = pygame.Surface((size, size))
        self._base = _surface(asset.base, self._scale)
        self._mouths = {k: [_surface(p, self._scale) for p in v] for k, v in asset.mouths.items()}
        self._eyes = {k: [_surface(p, self._scale) for p in v] for k, v in asset.eyes.items()}
        self._mouth_at = self._scaled(asset.mouth_box[:2])
        self._eye_at = self._scaled(asset.eye_box[:2])
        self._veil = pygame.Surface((size, size), pygame.SRCALPHA)
        self._veil.fill(SLEEP_DIM)
        self._badges: OrderedDict[tuple[State, int, int], tuple[pygame.Surface, tuple[int, int]]]
        self._badges = OrderedDict()

    def _scaled(self, xy: tuple[int, int]) -> tuple[int, int]:
        return (round((xy[0] - MARGIN) * self._scale), round((xy[1] - MARGIN) * self._scale))

    def draw(self, pose: FacePose, t: float) -> pygame.Surface:
        """Return the frame for ``pose`` at ``t`` seconds (the same surface every call)."""
        frame = self._frame
        ox = round(_clamp(pose.head_x) * HEAD_RANGE[0] * self._scale)
        oy = round(_clamp(pose.head_y) * HEAD_RANGE[1] * self._scale)
        margin = round(MARGIN * self._scale)
        frame.blit(self._base, (ox - margin, oy - margin))
        mouth_variant, brow_variant = EMOTION_FACES.get(pose.emotion, ("neutral", "neutral"))
        eyes = _clamp(pose.eyes_open, 0.0, 1.0)
        if pose.state is State.SLEEPING:
            eyes = min(eyes, SLEEP_EYES)
        self._blend(self._eyes[brow_variant], eyes, EYE_LEVELS, self._eye_at, ox, oy)
        mouth = _clamp(pose.mouth_open, 0.0, 1.0)
        self._blend(self._mouths[mouth_variant], mouth, MOUTH_LEVELS, self._mouth_at, ox, oy)
        if pose.state is State.SLEEPING:
            frame.blit(self._veil, (0, 0))
        self._draw_badge(pose, t)
        return frame

    def _blend(
        self,
        patches: list[pygame.Surface],
        value: float,
        levels: int,
        at: tuple[int, int],
        ox: int,
        oy: int,
    ) -> None:
        """Blit the two patches nearest to ``value`` (0..1), the upper one faded in."""
        position = value * (levels - 1)
        low = min(int(position), levels - 2)
        frac = round((position - low) * 32) / 32  # quantised: equal poses, equal pixels
        where = (at[0] + ox, at[1] + oy)
        if frac >= 1.0:
            low, frac = low + 1, 0.0
        lower = patches[low]
        lower.set_alpha(None)
        self._frame.blit(lower, where)
        if frac > 0.0:
            upper = patches[low + 1]
            upper.set_alpha(round(255 * frac))
            self._frame.blit(upper, where)
            upper.set_alpha(None)

    def _draw_badge(self, pose: FacePose, t: float) -> None:
        state = pose.state
        step = int((t / PERIOD_S[state]) % 1.0 * _INDICATOR_STEPS) % _INDICATOR_STEPS
        level = 0
        if state is State.SPEAKING:
            step, level = 0, round(_clamp(pose.mouth_open, 0.0, 1.0) * 8)
        key = (state, step, level)
        item = self._badges.get(key)
        if item is None:
            scale = self.size / DESIGN
            surface, (x, y) = draw_indicator(scale, state, step / _INDICATOR_STEPS, level / 8)
            item = (surface, (round(x * scale), round(y * scale)))
            self._badges[key] = item
            if len(self._badges) > _BADGES:
                self._badges.popitem(last=False)
        else:
            self._badges.move_to_end(key)
        self._frame.blit(item[0], item[1], special_flags=pygame.BLEND_PREMULTIPLIED)


def _clamp(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x
