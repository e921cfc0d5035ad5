"""The mouth patches of a photo asset: one warped and painted patch per shape and level.

The lips move with the mesh (``shapes.mouth_moved``), one set per ``MouthShape``
(emotions, rounded and pressed visemes); the opening gets a painted
interior, or the photo's own teeth where they show; a black-and-white photo keeps
a grey mouth.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kiosk.avatar.photo import landmarks as lm
from kiosk.avatar.photo.asset import MOUTH_LEVELS, MOUTH_VARIANTS
from kiosk.avatar.photo.shapes import mouth_moved, paint_mouth
from kiosk.avatar.photo.warp import Box, warp_mesh

__all__ = [
    "STILL_PX",
    "is_grey_photo",
    "lip_colour",
    "mouth_patches",
    "mouth_targets",
    "own_teeth_mask",
    "paint_seam",
    "settled",
]

STILL_PX = 0.3
"""Mesh points that move less than this (pixels) stay put: patches end cleanly."""
PAINTED_TEETH = (226, 220, 208)
"""RGB of the drawn teeth when the photo shows none of its own."""


def settled(src: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The whole mesh: ``moved``'s face points on ``src``'s anchors, tiny moves dropped."""
    dst = np.vstack([moved[: lm.MESH_POINTS], src[lm.MESH_POINTS :]])
    shifted = np.abs(dst - src).max(axis=1) > STILL_PX
    return np.where(shifted[:, None], dst, src)


def mouth_targets(face: np.ndarray) -> dict[tuple[str, int], np.ndarray]:
    """Moved face landmarks per (mouth variant, openness level index)."""
    levels = np.linspace(0.0, 1.0, MOUTH_LEVELS)
    return {
        (v, i): mouth_moved(face, float(level), shape)
        for v, shape in MOUTH_VARIANTS.items()
        for i, level in enumerate(levels)
    }


def own_teeth_mask(image: np.ndarray, face: np.ndarray) -> np.ndarray | None:
    """A soft canvas mask (uint8) of the photo's parted lips when teeth show; else None.

    Warped along with the upper lip for every mouth patch, so that the photo's own
    teeth stay under the upper lip (and follow a smile) instead of drawn ones.
    """
    import cv2

    hole = np.vstack([face[list(lm.LIP_INNER_UPPER)], face[list(lm.LIP_INNER_LOWER)][::-1]])
    mask = np.zeros(image.shape[:2], np.uint8)
    poly = np.round(hole * 16).astype(np.int32)
    cv2.fillPoly(mask, [poly], 255, cv2.LINE_AA, shift=4)
    pixels = image[mask > 128].astype(np.float32)
    if len(pixels) < 40:
        return None
    bright = pixels[pixels.sum(axis=1) >= np.percentile(pixels.sum(axis=1), 70)]
    colour = np.median(bright, axis=0)
    if colour.mean() < 140 or colour.max() - colour.min() > 70:  # lips or tongue, not teeth
        return None
    return cv2.erode(mask, np.ones((3, 3), np.uint8))


def lip_colour(image: np.ndarray, face: np.ndarray) -> tuple[float, float, float]:
    """Median RGB of the upper lip (between its outer and inner edge) in ``image``."""
    import cv2

    band = np.vstack([face[list(lm.LIP_OUTER_UPPER)], face[list(lm.LIP_INNER_UPPER)][::-1]])
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(band).astype(np.int32)], 255)
    pixels = image[mask > 0]
    if len(pixels) < 10:
        return (150.0, 90.0, 90.0)
    r, g, b = np.median(pixels, axis=0)
    return (float(r), float(g), float(b))


def paint_seam(
    region: np.ndarray,
    pts: np.ndarray,
    origin: tuple[int, int],
    lip_rgb: tuple[float, float, float],
    strength: float,
) -> np.ndarray:
    """A closed mouth's line: lip colour over the seam where the lips were brought together.

    Closing squeezes the photo's teeth and the dark corners of a smile into a thin,
    ragged seam; a soft band of lip colour with a darker line in it hides them.
    """
    import cv2

    if strength <= 0.0:
        return region
    seam = (pts[list(lm.LIP_INNER_UPPER)] + pts[list(lm.LIP_INNER_LOWER)]) / 2 - origin
    width = float(np.linalg.norm(pts[lm.MOUTH_LEFT] - pts[lm.MOUTH_RIGHT]))
    line = [np.round(seam * 16).astype(np.int32)]
    band = np.zeros(region.shape[:2], np.uint8)
    cv2.polylines(band, line, False, 255, max(2, round(width / 22)), cv2.LINE_AA, shift=4)
    core = np.zeros(region.shape[:2], np.uint8)
    cv2.polylines(core, line, False, 255, 1, cv2.LINE_AA, shift=4)
    out = region.astype(np.float32)
    lip = np.array(lip_rgb, np.float32)
    for mask, colour, alpha in ((band, lip, 0.9), (core, lip * 0.5, 0.75)):
        a = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[..., None]
        a *= np.float32(alpha * strength / 255)
        out = out * (1 - a) + colour * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def is_grey_photo(image: np.ndarray, face: np.ndarray) -> bool:
    """True for a black-and-white photo: then the painted mouth is grey too."""
    x0, y0 = np.floor(face.min(axis=0)).astype(int).clip(0)
    x1, y1 = np.ceil(face.max(axis=0)).astype(int)
    skin = image[y0:y1, x0:x1].astype(np.int16)
    return bool(np.abs(skin - skin.mean(axis=2, keepdims=True)).mean() < 3.0)


def mouth_patches(
    image: np.ndarray,
    face: np.ndarray,
    src: np.ndarray,
    triangles: np.ndarray,
    box: Box,
    targets: dict[tuple[str, int], np.ndarray],
    on_patch: Callable[[], None] | None = None,
) -> dict[str, list[np.ndarray]]:
    """The ``box`` patch of ``image`` for every target of ``mouth_targets``, by variant.

    ``src`` is the mesh (face points, then anchors) ``triangles`` index;
    ``on_patch`` is called after each patch (progress).
    """
    levels = np.linspace(0.0, 1.0, MOUTH_LEVELS)
    patches: dict[str, list[np.ndarray]] = {v: [] for v in MOUTH_VARIANTS}
    own = own_teeth_mask(image, face)
    teeth = None if own is not None else PAINTED_TEETH
    grey = is_grey_photo(image, face)
    lips = lip_colour(image, face)
    for (variant, i), moved in targets.items():
        patch = warp_mesh(image, src, settled(src, moved), triangles, box)
        patch = paint_seam(patch, moved, box[:2], lips, MOUTH_VARIANTS[variant].closed)
        kept = None
        if own is not None:
            lip = mouth_moved(face, float(levels[i]), MOUTH_VARIANTS[variant], jaw=False)
            upper = settled(src, lip)
            pixels = warp_mesh(image, src, upper, triangles, box)
            keep = warp_mesh(own, src, upper, triangles, box)
            kept = (pixels, keep.astype(np.float32)[..., None] / 255.0)
        patch = paint_mouth(patch, moved, box[:2], float(levels[i]), teeth, kept)
        if grey:
            patch = np.repeat(patch.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
        patches[variant].append(patch)
        if on_patch is not None:
            on_patch()
    return patches
