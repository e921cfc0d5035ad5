"""Where the mesh points go for a mouth opening, a smile, a blink or raised brows.

Each function takes the face's landmarks on the canvas (478×2) and returns the
moved copy; ``paint_mouth`` then fills the opened lips with a mouth interior and
``paint_lashes`` draws the lash line of a closed eye.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.avatar.photo import landmarks as lm

__all__ = [
    "MouthShape",
    "brows_moved",
    "eyes_moved",
    "gaze_moved",
    "iris_radius",
    "own_gaze",
    "mouth_moved",
    "paint_lashes",
    "paint_mouth",
]


@dataclass(frozen=True, slots=True)
class MouthShape:
    """How one set of mouth patches moves the photo's lips (``mouth_moved``)."""

    corners: float = 0.0
    """Corner lift, -1 (down: sad, whatever the photo's own smile) .. 1 (up: a smile)."""
    closed: float = 0.0
    """0..1: how far the photo's own parted lips are first brought together."""
    width: float = 1.0
    """Mouth width relative to the photo's (rounded lips: < 1)."""
    opening: float = 1.0
    """Jaw drop at openness 1, relative to a wide "A"."""
    rounded: float = 0.0
    """0..1: how round the opening is (the lips part evenly, an "O")."""
    pressed: float = 0.0
    """0..1: how far the lips thin as they press together ("М", "Б", "П")."""


_JAW_DROP = 0.34
"""Lower lip travel at full opening, in mouth widths."""
_SAD_BELOW = 0.07
"""How far a sad mouth's corners end up below the middle of the lip line, in mouth widths."""
_LOWER_SHARE = 0.75
"""Share of the photo's lip gap the lower lip closes (the upper lip comes down the rest)."""


def _mouth_frame(pts: np.ndarray) -> tuple[np.ndarray, float]:
    centre = (pts[lm.MOUTH_RIGHT] + pts[lm.MOUTH_LEFT]) / 2
    width = float(np.linalg.norm(pts[lm.MOUTH_LEFT] - pts[lm.MOUTH_RIGHT]))
    return centre, width


def _lip_gap(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, gap) along the inner lips: how far apart they stand (pixels, never negative)."""
    upper, lower = pts[list(lm.LIP_INNER_UPPER)], pts[list(lm.LIP_INNER_LOWER)]
    gap = np.clip(lower[:, 1] - upper[:, 1], 0.0, None)
    return _sorted_xy(np.column_stack([(upper[:, 0] + lower[:, 0]) / 2, gap]))


def mouth_moved(
    pts: np.ndarray, openness: float, shape: MouthShape = MouthShape(), jaw: bool = True
) -> np.ndarray:
    """Landmarks with the mouth of ``shape`` opened by ``openness`` (0..1).

    The lower lip and the chin move down as one (a jaw), fading out sideways so
    that the cheeks stretch; the upper lip rises a little. ``shape`` first closes
    the photo's own parted lips, narrows and rounds the mouth, lifts or drops the
    corners and presses the lips thin. ``jaw=False`` leaves the lower lip and the
    jaw where they are: how the upper teeth move (with the upper lip and the corners).
    """
    out = pts.copy()
    centre, width = _mouth_frame(pts)
    drop = _JAW_DROP * width * openness * shape.opening
    x = pts[:, 0] - centre[0]
    # Below the lip line: half-width of the moving jaw grows with depth.
    lip_y = np.interp(
        pts[:, 0], *_sorted_xy(pts[list(lm.LIP_INNER_LOWER)]), left=np.inf, right=np.inf
    )
    below = pts[:, 1] >= np.minimum(lip_y, centre[1] + 0.12 * width) - 0.5
    below[lm.MESH_POINTS :] = False
    depth = np.clip((pts[:, 1] - centre[1]) / width, 0.0, None)
    half = width / 2 * (1.0 + 1.6 * depth)
    round_power = 0.7 - 0.2 * shape.rounded  # 0.5: the opening is an ellipse
    profile = np.clip(1.0 - (x / half) ** 2, 0.0, 1.0) ** round_power
    fade = np.clip(1.0 - (depth - 1.1) / 0.6, 0.0, 1.0)  # the jaw line below the chin
    lower = below & (depth < 1.7)
    gap_x, gap = _lip_gap(pts)
    gap_here = np.interp(pts[:, 0], gap_x, gap, left=0.0, right=0.0)
    if jaw:
        carried = np.maximum(fade[lower], 0.6)
        out[lower, 1] += drop * profile[lower] * carried
        out[lower, 1] -= shape.closed * _LOWER_SHARE * gap_here[lower] * carried
    upper = np.array(lm.LIP_INNER_UPPER[1:-1] + lm.LIP_OUTER_UPPER[1:-1])
    across = np.clip(1.0 - (x[upper] / (width / 2)) ** 2, 0.0, 1.0)
    lift = (0.12 + 0.3 * shape.rounded) * drop * across ** (1.0 - 0.5 * shape.rounded)
    out[upper, 1] -= lift - shape.closed * (1 - _LOWER_SHARE) * gap_here[upper]
    # The opening mouth narrows a little.
    for corner, sign in ((lm.MOUTH_RIGHT, 1.0), (lm.MOUTH_LEFT, -1.0)):
        near = np.exp(-(((pts - pts[corner]) ** 2).sum(axis=1)) / (0.18 * width) ** 2)
        out[:, 0] += sign * 0.10 * drop * near
    if shape.pressed:
        _press(pts, out, shape.pressed, jaw)
    if shape.width != 1.0:  # a pucker: lips and the cheeks beside them drawn to the middle
        r = np.hypot(x / (0.5 * width), (pts[:, 1] - centre[1]) / (0.3 * width))
        pull = np.where(r <= 1.0, 1.0, np.exp(-(((r - 1.0) / 0.35) ** 2)))
        top = float(pts[list(lm.LIP_OUTER_UPPER), 1].min())
        over = np.clip(top - pts[:, 1], 0.0, None) / (0.12 * width)
        pull *= np.exp(-(over**2))  # the nose stays put
        pull[lm.MESH_POINTS :] = 0.0
        out[:, 0] += (shape.width - 1.0) * x * pull
    if shape.corners:
        _move_corners(pts, out, shape.corners, width)
    return out


def _move_corners(pts: np.ndarray, out: np.ndarray, corners: float, width: float) -> None:
    """Lift (``corners`` > 0, a smile) or drop (< 0) the mouth corners in ``out``, in place.

    A sad mouth's corners end ``_SAD_BELOW`` widths below the middle of the lip
    line however much the photo smiles, so that a smiling photo can look sad too.
    """
    middle = (pts[lm.LIP_INNER_UPPER[5], 1] + pts[lm.LIP_INNER_LOWER[5], 1]) / 2
    corner_y = (pts[lm.MOUTH_RIGHT, 1] + pts[lm.MOUTH_LEFT, 1]) / 2
    if corners > 0:
        up, outwards = 0.13 * width * corners, 0.05 * width * corners
    else:
        up = -max(0.05 * width, _SAD_BELOW * width + middle - corner_y) * -corners
        outwards = 0.05 * width * corners  # a sad mouth is a little narrower
    for corner, sign in ((lm.MOUTH_RIGHT, -1.0), (lm.MOUTH_LEFT, 1.0)):
        near = np.exp(-(((pts - pts[corner]) ** 2).sum(axis=1)) / (0.32 * width) ** 2)
        near[lm.MESH_POINTS :] = 0.0
        out[:, 1] -= up * near
        out[:, 0] += sign * outwards * near


def _press(pts: np.ndarray, out: np.ndarray, pressed: float, jaw: bool) -> None:
    """Thin the lips in ``out`` (in place): each outer lip line moves 40 % towards its inner one."""
    pairs = [(lm.LIP_OUTER_UPPER, lm.LIP_INNER_UPPER)]
    if jaw:
        pairs.append((lm.LIP_OUTER_LOWER, lm.LIP_INNER_LOWER))
    for outer, inner in pairs:
        o, i = list(outer[1:-1]), list(inner[1:-1])
        out[o, 1] += 0.4 * pressed * (pts[i, 1] - pts[o, 1])


def eyes_moved(pts: np.ndarray, closed: float) -> np.ndarray:
    """Landmarks with both upper lids lowered by ``closed`` (0 open .. 1 shut).

    The lids meet at 80 % of the way down; the skin between lid and brow follows
    the lid and fades out at the brow.
    """
    out = pts.copy()
    for upper, lower, brow in (
        (lm.EYE_RIGHT_UPPER, lm.EYE_RIGHT_LOWER, lm.BROW_RIGHT),
        (lm.EYE_LEFT_UPPER, lm.EYE_LEFT_LOWER, lm.BROW_LEFT),
    ):
        up, low = pts[list(upper)], pts[list(lower)]
        gap = (low - up)[:, 1]
        out[list(upper[1:-1]), 1] += 0.8 * closed * gap[1:-1]
        out[list(lower[1:-1]), 1] -= 0.2 * closed * gap[1:-1]
        brow_y = float(pts[list(brow)][:, 1].mean())
        xs, lid_y = _sorted_xy(up)
        _, lid_gap = _sorted_xy(np.column_stack([up[:, 0], gap]))
        x0, x1 = xs[0], xs[-1]
        lid_here = np.interp(pts[:, 0], xs, lid_y)
        skin = (
            (pts[:, 0] > x0)
            & (pts[:, 0] < x1)
            & (pts[:, 1] < lid_here - 0.5)
            & (pts[:, 1] > brow_y)
        )
        skin[list(upper)] = False
        skin[lm.MESH_POINTS :] = False
        share = np.clip((pts[:, 1] - brow_y) / np.maximum(lid_here - brow_y, 1.0), 0.0, 1.0)
        out[skin, 1] += 0.8 * closed * np.interp(pts[skin, 0], xs, lid_gap) * share[skin] ** 1.5
    return out


def iris_radius(pts: np.ndarray) -> float:
    """Mean radius of the right iris (centre to its four edge points), pixels."""
    ring = pts[list(lm.IRIS_RIGHT_RING)] - pts[lm.IRIS_RIGHT]
    return float(np.linalg.norm(ring, axis=1).mean())


def gaze_moved(pts: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Landmarks with every point after the 468 of the mesh (irises) moved by (dx, dy) pixels.

    ``pts`` may hold only some of the iris points after the mesh.
    """
    out = pts.copy()
    out[lm.MESH_POINTS :] += (dx, dy)
    return out


def own_gaze(pts: np.ndarray) -> tuple[float, float]:
    """Where the photo's irises sit in the eyes, in iris radii from the eye centre (x, y).

    About (0, 0) for someone looking into the camera; y > 0 for downcast eyes.
    """
    radius = max(iris_radius(pts), 1.0)
    offsets = []
    for iris, upper, lower in (
        (lm.IRIS_RIGHT, lm.EYE_RIGHT_UPPER, lm.EYE_RIGHT_LOWER),
        (lm.IRIS_LEFT, lm.EYE_LEFT_UPPER, lm.EYE_LEFT_LOWER),
    ):
        corners = (pts[upper[0]] + pts[upper[-1]]) / 2
        lids = (pts[list(upper)].mean(axis=0) + pts[list(lower)].mean(axis=0)) / 2
        centre = np.array([corners[0], lids[1]])
        offsets.append((pts[iris] - centre) / radius)
    x, y = np.mean(offsets, axis=0)
    return float(x), float(y)


def brows_moved(pts: np.ndarray, raise_by: float, inner: float = 0.0) -> np.ndarray:
    """Landmarks with the brows (and the forehead above them, fading) raised by ``raise_by``.

    ``inner`` (0..1) lifts the inner ends of the brows and draws them a little
    together, the outer ends dropping slightly: the worried brows of sadness.
    """
    out = pts.copy()
    eye_gap = float(np.linalg.norm(pts[lm.IRIS_LEFT] - pts[lm.IRIS_RIGHT]))
    lift = 0.12 * eye_gap * raise_by
    middle = float((pts[lm.IRIS_LEFT, 0] + pts[lm.IRIS_RIGHT, 0]) / 2)
    worry = np.zeros(len(pts))
    for brow, upper in ((lm.BROW_RIGHT, lm.EYE_RIGHT_UPPER), (lm.BROW_LEFT, lm.EYE_LEFT_UPPER)):
        b = pts[list(brow)]
        centre = b.mean(axis=0)
        lid_y = float(pts[list(upper)][:, 1].min())
        above = pts[:, 1] < lid_y - 0.25 * (lid_y - centre[1])
        height = np.clip((centre[1] - pts[:, 1]) / (0.9 * eye_gap), 0.0, 1.0)
        near_lid = np.clip((lid_y - pts[:, 1]) / max(lid_y - centre[1], 1.0), 0.0, 1.0)
        vertical = (1.0 - height) * near_lid**1.5
        vertical[~above] = 0.0
        vertical[lm.MESH_POINTS :] = 0.0
        dist = np.abs(pts[:, 0] - centre[0]) / (0.6 * eye_gap)
        out[:, 1] -= lift * np.clip(1.0 - dist**2, 0.0, 1.0) * vertical
        if inner:
            ends = b[np.argsort(np.abs(b[:, 0] - middle))]
            inner_x, outer_x = float(ends[0, 0]), float(ends[-1, 0])
            along = np.clip((pts[:, 0] - outer_x) / (inner_x - outer_x), -0.3, 1.4)
            # Up towards the inner end, a little down at the outer end; this side only.
            rise = (np.clip(along - 0.35, 0.0, None) / 0.65) ** 1.3
            bend = np.where(along > 0.35, rise, 0.4 * (along - 0.35))
            bend[(pts[:, 0] - middle) * np.sign(outer_x - middle) < -0.05 * eye_gap] = 0.0
            bend *= vertical
            worry = np.where(np.abs(bend) > np.abs(worry), bend, worry)
    worry = np.clip(worry, -0.25, 1.0)
    out[:, 1] -= 0.14 * eye_gap * inner * worry
    towards = np.sign(middle - pts[:, 0]) * np.clip(worry, 0.0, None)
    out[:, 0] += 0.03 * eye_gap * inner * towards
    return out


def _sorted_xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(points[:, 0])
    return points[order, 0], points[order, 1]


def _aa_mask(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """Anti-aliased 0..1 mask of filled polygons (pixel coordinates)."""
    import cv2

    mask = np.zeros(shape, dtype=np.uint8)
    for poly in polygons:
        cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32)[..., None] / 255.0


def paint_mouth(
    region: np.ndarray,
    pts: np.ndarray,
    origin: tuple[int, int],
    openness: float,
    teeth_rgb: tuple[int, int, int] | None = (226, 220, 208),
    own_mouth: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Fill the opening between the inner lips of ``pts`` (canvas coordinates) in ``region``.

    A dark throat, a hint of tongue at the bottom and the upper teeth under the
    lip, shaded towards the corners. Faded in over the first third of the opening,
    so that a photo whose mouth is already parted keeps its own look when closed.
    ``own_mouth`` (pixels, 0..1 mask of the photo's parted lips, region-sized) puts
    the photo's own teeth back under the upper lip instead of drawn ones.
    """
    ox, oy = origin
    upper = pts[list(lm.LIP_INNER_UPPER)] - (ox, oy)
    lower = pts[list(lm.LIP_INNER_LOWER)] - (ox, oy)
    gap = float((lower[:, 1] - upper[:, 1]).max())
    strength = float(np.clip(openness / 0.3, 0.0, 1.0))
    if gap < 1.0 or strength <= 0.0:
        return region
    hole = np.vstack([upper, lower[::-1]])
    h, w = region.shape[:2]
    mask = _aa_mask((h, w), [hole]) * strength
    ys = np.arange(h, dtype=np.float32)[:, None, None]
    xs = np.arange(w, dtype=np.float32)[None, :, None]
    top, bottom = float(upper[:, 1].min()), float(lower[:, 1].max())
    k = np.clip((ys - top) / max(bottom - top, 1.0), 0.0, 1.0)
    throat = np.array([34, 12, 16], np.float32) * (1 - k) + np.array([112, 46, 52], np.float32) * k
    inside = np.broadcast_to(throat, (h, w, 3)).copy()
    left, right = float(upper[0, 0]), float(upper[-1, 0])
    width = max(right - left, 1.0)
    across = np.abs((xs - (left + right) / 2) / (width / 2))
    teeth_h = min(0.11 * width, 0.4 * gap)
    band = np.vstack([upper, (upper + (0, teeth_h))[::-1]])
    teeth = _aa_mask((h, w), [band]) * np.clip((0.85 - across) / 0.2, 0.0, 1.0)
    if teeth_rgb is None:
        teeth *= 0.0
        teeth_rgb = (0, 0, 0)
    shade = np.clip((ys - top) / max(teeth_h, 1.0), 0.0, 1.0)
    tooth = np.array(teeth_rgb, np.float32) * (1.0 - 0.22 * shade)
    inside = inside * (1 - teeth) + tooth * teeth
    inside *= 1.0 - 0.55 * np.clip(across, 0.0, 1.0) ** 3  # corners lie in shadow
    if own_mouth is not None:
        pixels, keep = own_mouth
        inside = inside * (1 - keep) + pixels.astype(np.float32) * keep
    out = region.astype(np.float32) * (1 - mask) + inside * mask
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def paint_lashes(
    region: np.ndarray, pts: np.ndarray, origin: tuple[int, int], closed: float
) -> np.ndarray:
    """A soft dark line along each closed lid, stronger as the eye shuts."""
    import cv2

    if closed < 0.5:
        return region
    ox, oy = origin
    strength = (closed - 0.5) / 0.5
    layer = np.zeros(region.shape[:2], dtype=np.uint8)
    eye_gap = float(np.linalg.norm(pts[lm.IRIS_LEFT] - pts[lm.IRIS_RIGHT]))
    thick = max(1, round(eye_gap / 60))
    for upper in (lm.EYE_RIGHT_UPPER, lm.EYE_LEFT_UPPER):
        line = np.round((pts[list(upper)] - (ox, oy)) * 16).astype(np.int32)
        cv2.polylines(layer, [line], False, 255, thick, cv2.LINE_AA, shift=4)
    alpha = cv2.GaussianBlur(layer, (3, 3), 0).astype(np.float32)[..., None] / 255 * 0.7 * strength
    dark = np.array([40, 28, 26], np.float32)
    out = region.astype(np.float32) * (1 - alpha) + dark * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
