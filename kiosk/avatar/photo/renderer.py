"""``PhotoFace``: the prepared photo, animated by blitting precomputed patches.

A frame is the canvas (shifted for head motion), the eye patch and the mouth
patch for the pose (the emotion's mouth, or the viseme's when it has one of its
own; the two nearest openness steps blended with surface alpha),
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
    GAZE_STEPS,
    MARGIN,
    MOUTH_LEVELS,
    VISEME_MOUTHS,
    PhotoAsset,
    load_asset,
)
from kiosk.events import State

__all__ = ["HEAD_RANGE", "TILT_DEG", "PhotoFace"]

_LOGGER = logging.getLogger(__name__)

HEAD_RANGE = (12.0, 7.0)
"""Pixels (at 512) the photo moves at ``head_x``/``head_y`` = ±1; less than ``MARGIN``."""
SLEEP_DIM = (20, 22, 60, 96)
"""Night veil over the sleeping face (RGBA)."""
TILT_DEG = 2.0
"""Head roll in degrees at ``tilt`` = ±1 (the frame is rotated about its centre)."""
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
        self._gaze = {k: [_surface(p, self._scale) for p in v] for k, v in asset.gaze.items()}
        self._gaze_x = sorted((x, i) for i, (x, y) in enumerate(GAZE_STEPS) if y == 0)
        self._gaze_y = {y: i for i, (x, y) in enumerate(GAZE_STEPS) if x == 0}
        own = asset.meta.get("gaze", {})
        self._own_gaze = (float(own.get("x", 0.0)), float(own.get("y", 0.0)))
        eye_size = next(iter(self._eyes.values()))[0].get_size()
        self._open_eyes = pygame.Surface(eye_size)
        self._mouth_at = self._scaled(asset.mouth_box[:2])
        self._eye_at = self._scaled(asset.eye_box[:2])
        self._canvas = pygame.Surface(self._base.get_size())
        rim = np.concatenate(
            [asset.base[:MARGIN].reshape(-1, 3), asset.base[-MARGIN:].reshape(-1, 3)]
        )
        self._edge = tuple(int(v) for v in np.median(rim, axis=0))
        self._veil = pygame.Surface((size, size), pygame.SRCALPHA)
        self._veil.fill(SLEEP_DIM)
        self._badges: OrderedDict[tuple[State, int, int], tuple[pygame.Surface, tuple[int, int]]]
        self._badges = OrderedDict()

    def _scaled(self, xy: tuple[int, int]) -> tuple[int, int]:
        """Where a patch goes relative to the canvas' top-left corner, pixels at this size."""
        return (round(xy[0] * self._scale), round(xy[1] * self._scale))

    def mouth_region(self) -> tuple[int, int, int, int]:
        """Box (x0, y0, x1, y1, frame pixels) around the lips of the still head, opened or not.

        For measuring the mouth in rendered video (``kiosk.avatar.sync``).
        """
        from kiosk.avatar.photo import landmarks as lm

        lips = self.asset.landmarks[list(lm.LIP_OUTER_UPPER + lm.LIP_OUTER_LOWER)] - MARGIN
        (x0, y0), (x1, y1) = lips.min(axis=0), lips.max(axis=0)
        width = x1 - x0
        y1 += 0.2 * width  # the lower lip drops when the mouth opens
        box = np.array([x0 + 0.15 * width, y0, x1 - 0.15 * width, y1]) * self._scale
        x0, y0, x1, y1 = (int(v) for v in np.round(box))
        return (max(0, x0), max(0, y0), min(self.size, x1), min(self.size, y1))

    def eye_region(self) -> tuple[int, int, int, int]:
        """Box (x0, y0, x1, y1, frame pixels) around both eyes and brows of the still head."""
        box = np.array(self.asset.eye_box, dtype=float) - MARGIN
        x0, y0, x1, y1 = (int(v) for v in np.round(box * self._scale))
        return (max(0, x0), max(0, y0), min(self.size, x1), min(self.size, y1))

    def draw(self, pose: FacePose, t: float) -> pygame.Surface:
        """Return the frame for ``pose`` at ``t`` seconds (the same surface every call)."""
        frame = self._frame
        ox = round(_clamp(pose.head_x) * HEAD_RANGE[0] * self._scale)
        oy = round(_clamp(pose.head_y) * HEAD_RANGE[1] * self._scale)
        margin = round(MARGIN * self._scale)
        angle = round(_clamp(pose.tilt) * TILT_DEG * 20) / 20  # quantised: equal poses, pixels
        if angle:
            self._compose(self._canvas, pose, 0, 0)
            # Clockwise on screen for a positive tilt: pygame turns counter-clockwise.
            turned = pygame.transform.rotozoom(self._canvas, -angle, 1.0)
            frame.fill(self._edge)  # a corner the turned canvas leaves bare
            frame.blit(turned, turned.get_rect(center=(self.size // 2 + ox, self.size // 2 + oy)))
        else:
            self._compose(frame, pose, ox - margin, oy - margin)
        if pose.state is State.SLEEPING:
            frame.blit(self._veil, (0, 0))
        self._draw_badge(pose, t)
        return frame

    def _compose(self, target: pygame.Surface, pose: FacePose, ox: int, oy: int) -> None:
        """The photo with the eyes and the mouth of ``pose``, its canvas corner at (ox, oy)."""
        target.blit(self._base, (ox, oy))
        mouth_variant, brow_variant = EMOTION_FACES.get(pose.emotion, ("neutral", "neutral"))
        if pose.viseme in VISEME_MOUTHS:  # rounded and pressed lips win over the emotion's
            mouth_variant = pose.viseme
        mouths = self._mouths.get(mouth_variant) or self._mouths["neutral"]
        if brow_variant not in self._eyes:  # an older asset
            brow_variant = "neutral"
        eyes = _clamp(pose.eyes_open, 0.0, 1.0)
        if pose.state is State.SLEEPING:
            eyes = min(eyes, SLEEP_EYES)
        patches = self._eyes[brow_variant]
        if brow_variant in self._gaze and eyes > (EYE_LEVELS - 2) / (EYE_LEVELS - 1):
            patches = [*patches[:-1], self._look(brow_variant, pose.gaze_x, pose.gaze_y)]
        self._blend(target, patches, eyes, EYE_LEVELS, self._eye_at, ox, oy)
        mouth = _clamp(pose.mouth_open, 0.0, 1.0)
        self._blend(target, mouths, mouth, MOUTH_LEVELS, self._mouth_at, ox, oy)

    def _look(self, brow: str, gaze_x: float, gaze_y: float) -> pygame.Surface:
        """The open eyes looking at (``gaze_x``, ``gaze_y``) from the viewer's point of view.

        The photo's own gaze is taken off first, so that 0 looks at the viewer
        as far as the patches reach; x and y blend between neighbouring steps.
        """
        from kiosk.avatar.photo.asset import GAZE_IRIS_SHIFT

        gx = _clamp(gaze_x - self._own_gaze[0] / GAZE_IRIS_SHIFT)
        gy = _clamp(gaze_y - self._own_gaze[1] / GAZE_IRIS_SHIFT)
        centre = self._eyes[brow][-1]
        if abs(gx) < 1 / 32 and abs(gy) < 1 / 32:
            return centre
        steps = self._gaze[brow]
        row = [(x, steps[i]) for x, i in self._gaze_x]
        row.insert(len(row) // 2, (0.0, centre))
        k = max((i for i, (x, _) in enumerate(row[:-1]) if x <= gx), default=0)
        (xa, a), (xb, b) = row[k], row[k + 1]
        target = self._open_eyes
        _blit_mix(target, a, b, (gx - xa) / (xb - xa), (0, 0))
        if abs(gy) >= 1 / 32:
            side = steps[self._gaze_y[1.0 if gy > 0 else -1.0]]
            side.set_alpha(round(255 * round(abs(gy) * 32) / 32))
            target.blit(side, (0, 0))
            side.set_alpha(None)
        return target

    def _blend(
        self,
        target: pygame.Surface,
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
        _blit_mix(target, patches[low], patches[low + 1], position - low, (at[0] + ox, at[1] + oy))

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


def _blit_mix(
    target: pygame.Surface,
    lower: pygame.Surface,
    upper: pygame.Surface,
    frac: float,
    where: tuple[int, int],
) -> None:
    """Blit ``lower``, then ``upper`` faded in by ``frac`` (0..1) over it."""
    frac = round(frac * 32) / 32  # quantised: equal poses, equal pixels
    if frac >= 1.0:
        lower, frac = upper, 0.0
    lower.set_alpha(None)
    target.blit(lower, where)
    if frac > 0.0:
        upper.set_alpha(round(255 * frac))
        target.blit(upper, where)
        upper.set_alpha(None)


def _clamp(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x
