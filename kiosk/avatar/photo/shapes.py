"""Where the mesh points go for a mouth opening, a smile, a blink or raised brows.

Each function takes the face's landmarks on the canvas (478×2) and returns the
moved copy; ``paint_mouth`` then fills the opened lips with a mouth interior and
``paint_lashes`` draws the lash line of a closed eye.
"""

from __future__ import annotations

import numpy as np

from kiosk.avatar.photo import landmarks as lm

__all__ = [
    "brows_moved",
    "eyes_moved",
    "gaze_moved",
    "iris_radius",
    "own_gaze",
    "mouth_moved",
    "paint_lashes",
    "paint_mouth",
]

_JAW_DROP = 0.34
"""Lower lip travel at full opening, in mouth widths."""


def _mouth_frame(pts: np.ndarray) -> tuple[np.ndarray, float]:
    centre = (pts[lm.MOUTH_RIGHT] + pts[lm.MOUTH_LEFT]) / 2
    width = float(np.linalg.norm(pts[lm.MOUTH_LEFT] - pts[lm.MOUTH_RIGHT]))
    return centre, width


def mouth_moved(
    pts: np.ndarray, openness: float, corners: float = 0.0, jaw: bool = True
) -> np.ndarray:
    """Landmarks with the jaw dropped by ``openness`` (0..1) and the corners lifted.

    The lower lip and the chin move down as one (a jaw), fading out sideways so
    that the cheeks stretch; the upper lip rises a little. ``corners`` > 0 is a
    smile (corners up and out), < 0 a sad mouth. ``jaw=False`` leaves the jaw where
    it is: how the upper teeth move (with the upper lip and the corners).
    """
    out = pts.copy()
    centre, width = _mouth_frame(pts)
    drop = _JAW_DROP * width * openness
    x, y = pts[:, 0] - centre[0], pts[:, 1] - centre[1]
    # Below the lip line: half-width of the moving jaw grows with depth.
    lip_y = np.interp(
        pts[:, 0], *_sorted_xy(pts[list(lm.LIP_INNER_LOWER)]), left=np.inf, right=np.inf
    )
    below = pts[:, 1] >= np.minimum(lip_y, centre[1] + 0.12 * width) - 0.5
    depth = np.clip((pts[:, 1] - centre[1]) / width, 0.0, None)
    half = width / 2 * (1.0 + 1.6 * depth)
    profile = np.clip(1.0 - (x / half) ** 2, 0.0, 1.0) ** 0.7
    fade = np.clip(1.0 - (depth - 1.1) / 0.6, 0.0, 1.0)  # the jaw line below the chin
    if jaw:
        lower = below & (depth < 1.7)
        out[lower, 1] += drop * profile[lower] * np.maximum(fade[lower], 0.6)
    upper = np.array(lm.LIP_INNER_UPPER[1:-1] + lm.LIP_OUTER_UPPER[1:-1])
    lift = np.clip(1.0 - (x[upper] / (width / 2)) ** 2, 0.0, 1.0)
    out[upper, 1] -= 0.12 * drop * lift
    # The opening mouth narrows a little.
    for corner, sign in ((lm.MOUTH_RIGHT, 1.0), (lm.MOUTH_LEFT, -1.0)):
        near = np.exp(-(((pts - pts[corner]) ** 2).sum(axis=1)) / (0.18 * width) ** 2)
        out[:, 0] += sign * 0.10 * drop * near
    if corners:
        for corner, sign in ((lm.MOUTH_RIGHT, -1.0), (lm.MOUTH_LEFT, 1.0)):
            near = np.exp(-(((pts - pts[corner]) ** 2).sum(axis=1)) / (0.32 * width) ** 2)
            up = 0.13 * width * corners if corners > 0 else 0.09 * width * corners
            out[:, 1] -= up * near
            out[:, 0] += sign * 0.05 * width * max(corners, 0.0) * near
    del y
    return out


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


def brows_moved(pts: np.ndarray, raise_by: float) -> np.ndarray:
    """Landmarks with the brows (and the forehead above them, fading) raised by ``raise_by``."""
    out = pts.copy()
    eye_gap = float(np.linalg.norm(pts[lm.IRIS_LEFT] - pts[lm.IRIS_RIGHT]))
    lift = 0.12 * eye_gap * raise_by
    for brow, upper in ((lm.BROW_RIGHT, lm.EYE_RIGHT_UPPER), (lm.BROW_LEFT, lm.EYE_LEFT_UPPER)):
        b = pts[list(brow)]
        centre = b.mean(axis=0)
        lid_y = float(pts[list(upper)][:, 1].min())
        dist = np.abs(pts[:, 0] - centre[0]) / (0.6 * eye_gap)
        above = pts[:, 1] < lid_y - 0.25 * (lid_y - centre[1])
        height = np.clip((centre[1] - pts[:, 1]) / (0.9 * eye_gap), 0.0, 1.0)
        near_lid = np.clip((lid_y - pts[:, 1]) / max(lid_y - centre[1], 1.0), 0.0, 1.0)
        weight = np.clip(1.0 - dist**2, 0.0, 1.0) * (1.0 - height) * near_lid**1.5
        weight[~above] = 0.0
        weight[lm.MESH_POINTS :] = 0.0
        out[:, 1] -= lift * weight
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
