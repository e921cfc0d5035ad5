"""How the face in a photo is turned and where it looks, from its mesh: warnings for the parent.

A face turned to the side or eyes looking far down still become an avatar, but the
mouth and eye patches then look odd; the parent is told to prefer a frontal photo.
"""

from __future__ import annotations

import math

import numpy as np

from kiosk.avatar.photo import landmarks as lm
from kiosk.avatar.photo.shapes import own_gaze

__all__ = [
    "DOWNCAST_ABOVE",
    "DOWNCAST_WARNING",
    "TURNED_ABOVE_DEG",
    "TURNED_WARNING",
    "head_yaw_deg",
    "pose_warnings",
]

TURNED_ABOVE_DEG = 20.0
"""Estimated yaw (degrees) beyond which the face counts as turned away from the camera."""
DOWNCAST_ABOVE = 0.5
"""Iris offset below the eye centre (iris radii) beyond which the eyes look far down."""

_CHEEK_RIGHT = 234
"""Mesh point on the person's right cheek edge (image left)."""
_CHEEK_LEFT = 454

TURNED_WARNING = "лицо повёрнуто — лучше фото анфас (рот и глаза будут двигаться не так ровно)"
"""Shown when the head is turned more than ``TURNED_ABOVE_DEG``."""
DOWNCAST_WARNING = "глаза смотрят вниз — лучше фото, где ребёнок смотрит в камеру"
"""Shown when the eyes look further down than ``DOWNCAST_ABOVE``."""


def head_yaw_deg(pts: np.ndarray) -> float:
    """Estimated head yaw in degrees from 2-D mesh points; 0 frontal, ±90 full profile.

    The nose tip's offset from the middle of the two cheek edges, as a share of
    half the face width, is the sine of the yaw (a round head seen from above).
    Positive: the nose points to the image right.
    """
    right, left, nose = pts[_CHEEK_RIGHT], pts[_CHEEK_LEFT], pts[lm.NOSE_TIP]
    across = left - right
    half = float(np.linalg.norm(across)) / 2
    if half < 1e-6:
        return 90.0
    share = float(np.dot(nose - (right + left) / 2, across / (2 * half))) / half
    return math.degrees(math.asin(max(-1.0, min(1.0, share))))


def pose_warnings(pts: np.ndarray) -> tuple[str, ...]:
    """Russian warnings for the parent about a turned face or downcast eyes (may be empty)."""
    out = []
    if abs(head_yaw_deg(pts)) > TURNED_ABOVE_DEG:
        out.append(TURNED_WARNING)
    if own_gaze(pts)[1] > DOWNCAST_ABOVE:
        out.append(DOWNCAST_WARNING)
    return tuple(out)
