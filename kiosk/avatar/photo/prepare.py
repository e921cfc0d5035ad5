"""Photo → avatar asset: find the face, align it, enhance it if small, precompute the patches."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from kiosk.avatar.photo import landmarks as lm
from kiosk.avatar.photo.asset import (
    ASSET_VERSION,
    BROW_VARIANTS,
    CANVAS,
    EYE_LEVELS,
    FRAME,
    GAZE_IRIS_SHIFT,
    GAZE_STEPS,
    PhotoAsset,
    save_asset,
)
from kiosk.avatar.photo.detect import find_one_face, load_photo, mesh_landmarks
from kiosk.avatar.photo.enhance import SCALE, laplacian_variance, upscale_x4
from kiosk.avatar.photo.mouths import mouth_patches, mouth_targets, settled
from kiosk.avatar.photo.pose import head_yaw_deg, pose_warnings
from kiosk.avatar.photo.shapes import (
    brows_moved,
    eyes_moved,
    gaze_moved,
    iris_radius,
    own_gaze,
    paint_lashes,
)
from kiosk.avatar.photo.warp import Box, triangulate, warp_mesh

__all__ = [
    "ENHANCE_BELOW_PX",
    "SOFT_BELOW",
    "Aligned",
    "Prepared",
    "align_face",
    "build_asset",
    "prepare_avatar",
]

_LOGGER = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
"""Called with a Russian stage name and the fraction of that stage done (0..1)."""

EYE_DISTANCE = 0.2 * FRAME
"""Distance between the eye centres on the canvas, pixels."""
EYES_AT = 0.42
"""Height of the eye line on the canvas, fraction from the top."""
ENHANCE_BELOW_PX = 300
"""A face whose native crop is smaller than this (pixels) is enhanced."""
SOFT_BELOW = 60.0
"""Laplacian variance of the aligned face below which it counts as blurry."""
ENHANCE_MAX_INPUT = 224
"""Largest crop fed to Real-ESRGAN (cost grows with the pixel count)."""


@dataclass(frozen=True, slots=True)
class Aligned:
    """The face on its canvas and how it got there."""

    image: np.ndarray
    """CANVAS×CANVAS×3 RGB."""
    landmarks: np.ndarray
    """478×2 points on the canvas."""
    native_px: float
    """Side the canvas has in the photo's own pixels (small means upscaled)."""
    sharpness: float
    """Laplacian variance of the plain (not enhanced) aligned face."""
    enhanced: bool
    enhance_s: float = 0.0
    before: np.ndarray | None = None
    """The plain (bicubic) canvas when ``image`` was enhanced, for comparison."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ``prepare_avatar`` made."""

    asset: PhotoAsset
    folder: Path
    aligned: Aligned
    seconds: float
    warnings: tuple[str, ...] = ()
    """Russian notes for the parent (turned face, downcast eyes); the asset is built anyway."""


def _similarity(pts: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """2×3 matrix taking photo pixels to a ``side`` canvas with the eyes level; native side."""
    right, left = pts[lm.IRIS_RIGHT], pts[lm.IRIS_LEFT]
    dx, dy = left - right
    distance = math.hypot(dx, dy)
    scale = EYE_DISTANCE / distance * side / CANVAS
    angle = math.atan2(dy, dx)
    c, s = math.cos(-angle) * scale, math.sin(-angle) * scale
    mid = (right + left) / 2
    tx = side / 2 - (c * mid[0] - s * mid[1])
    ty = EYES_AT * side - (s * mid[0] + c * mid[1])
    return np.array([[c, -s, tx], [s, c, ty]]), CANVAS * distance / EYE_DISTANCE


def _warp(rgb: np.ndarray, matrix: np.ndarray, side: int) -> np.ndarray:
    import cv2

    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    if scale < 0.7:  # shrink first: warpAffine alone would alias
        small = cv2.resize(rgb, None, fx=scale * 1.2, fy=scale * 1.2, interpolation=cv2.INTER_AREA)
        matrix = matrix.copy()
        matrix[:, :2] /= scale * 1.2
        rgb = small
    return cv2.warpAffine(
        rgb, matrix, (side, side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def _centre_sharpness(canvas: np.ndarray) -> float:
    q = CANVAS // 4
    return laplacian_variance(canvas[q : 3 * q, q : 3 * q])


def align_face(
    rgb: np.ndarray,
    pts: np.ndarray,
    enhance: bool | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> Aligned:
    """Crop and rotate the face onto the canvas; Real-ESRGAN when small or soft.

    ``enhance`` None decides by size (``ENHANCE_BELOW_PX``) and sharpness
    (``SOFT_BELOW``); True or False forces it. ``threads`` goes to ``upscale_x4``.
    """
    import cv2

    matrix, native = _similarity(pts, CANVAS)
    plain = _warp(rgb, matrix, CANVAS)
    sharpness = _centre_sharpness(plain)
    if enhance is None:
        enhance = native < ENHANCE_BELOW_PX or sharpness < SOFT_BELOW
    image, seconds = plain, 0.0
    if enhance:
        side = int(min(round(native), ENHANCE_MAX_INPUT))
        small, _ = _similarity(pts, side)
        crop = _warp(rgb, small, side)
        started = time.monotonic()
        tick = (lambda f: progress("улучшаю лицо", f)) if progress else None
        big = upscale_x4(crop, tick, threads)
        seconds = time.monotonic() - started
        inter = cv2.INTER_AREA if side * SCALE >= CANVAS else cv2.INTER_CUBIC
        image = cv2.resize(big, (CANVAS, CANVAS), interpolation=inter)
        _LOGGER.info("enhanced a %d px face in %.1f s", side, seconds)
    found = mesh_landmarks(image)
    if found is None:  # the mesh saw it in the photo: carry those points over
        found = np.column_stack([pts, np.ones(len(pts))]) @ matrix.T
    before = plain if enhance else None
    return Aligned(image, found, native, sharpness, bool(enhance), seconds, before)


def _anchors(pts: np.ndarray) -> np.ndarray:
    """Fixed points: a ring around the face and the canvas border (the warp ends there)."""
    oval = pts[list(lm.FACE_OVAL)]
    centre = oval.mean(axis=0)
    ring = centre + (oval - centre) * 1.35
    step = CANVAS / 8
    edge = np.arange(0, CANVAS + 1, step)
    border = np.concatenate(
        [
            np.column_stack([edge, np.zeros_like(edge)]),
            np.column_stack([edge, np.full_like(edge, CANVAS - 1)]),
            np.column_stack([np.zeros_like(edge), edge]),
            np.column_stack([np.full_like(edge, CANVAS - 1), edge]),
        ]
    )
    return np.vstack([np.clip(ring, 1, CANVAS - 2), np.clip(border, 0, CANVAS - 1)])


def _box_of(src: np.ndarray, dsts: list[np.ndarray], triangles: np.ndarray) -> Box:
    """Bounding box of every triangle some ``dst`` moves, in source and destination."""
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for dst in dsts:
        moved = np.abs(dst - src).max(axis=1) > 0
        tris = triangles[moved[triangles].any(axis=1)]
        if len(tris):
            corners = np.vstack([src[tris.ravel()], dst[tris.ravel()]])
            lo, hi = np.minimum(lo, corners.min(axis=0)), np.maximum(hi, corners.max(axis=0))
    if not np.isfinite(lo).all():
        return (0, 0, 1, 1)
    x0, y0 = np.clip(np.floor(lo) - 2, 0, CANVAS - 1).astype(int)
    x1, y1 = np.clip(np.ceil(hi) + 3, 1, CANVAS).astype(int)
    return (int(x0), int(y0), int(x1), int(y1))


def build_asset(
    aligned: Aligned, name: str, meta: dict[str, object], progress: Progress | None = None
) -> PhotoAsset:
    """Precompute the mouth and eye patches of an aligned face."""
    face = aligned.landmarks
    src = np.vstack([face[: lm.MESH_POINTS], _anchors(face)])
    triangles = triangulate(src, CANVAS, CANVAS)
    mouth_dst = mouth_targets(face)
    eye_open = np.linspace(0.0, 1.0, EYE_LEVELS)
    eye_dst = {
        (v, i): eyes_moved(brows_moved(face, *lift), 1.0 - float(openness))
        for v, lift in BROW_VARIANTS.items()
        for i, openness in enumerate(eye_open)
    }
    mouth_box = _box_of(src, [settled(src, d) for d in mouth_dst.values()], triangles)
    eye_box = _box_of(src, [settled(src, d) for d in eye_dst.values()], triangles)
    total, done = len(mouth_dst) + len(eye_dst), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress("готовлю рот и глаза", done / total)

    mouths = mouth_patches(aligned.image, face, src, triangles, mouth_box, mouth_dst, tick)
    eyes: dict[str, list[np.ndarray]] = {v: [] for v in BROW_VARIANTS}
    for (variant, i), moved in eye_dst.items():
        patch = warp_mesh(aligned.image, src, settled(src, moved), triangles, eye_box)
        eyes[variant].append(paint_lashes(patch, moved, eye_box[:2], 1.0 - float(eye_open[i])))
        tick()
    gaze = {
        v: _gaze_patches(aligned.image, face, lift, eyes[v][-1], eye_box)
        for v, lift in BROW_VARIANTS.items()
    }
    looks = own_gaze(face)
    meta = meta | {"gaze": {"x": round(looks[0], 3), "y": round(looks[1], 3)}}
    return PhotoAsset(
        name=name,
        base=aligned.image,
        landmarks=face,
        triangles=triangles,
        mouth_box=mouth_box,
        eye_box=eye_box,
        mouths={k: np.stack(v) for k, v in mouths.items()},
        eyes={k: np.stack(v) for k, v in eyes.items()},
        gaze=gaze,
        before=aligned.before,
        meta=meta,
    )


def _gaze_patches(
    image: np.ndarray,
    face: np.ndarray,
    lift: tuple[float, float],
    open_eyes: np.ndarray,
    box: Box,
) -> np.ndarray:
    """Open-eye patches of ``box`` with the irises moved to each of ``GAZE_STEPS``.

    A mesh of its own, with the iris centres and their side points in it, so
    that the iris between the lids moves and the white of the eye stretches. The
    top and bottom iris points are left out: they often lie on the lids, which
    must stay put.
    """
    x0, y0, x1, y1 = box
    canvas = image.copy()
    canvas[y0:y1, x0:x1] = open_eyes
    lids = {
        lm.IRIS_RIGHT_RING[1],
        lm.IRIS_RIGHT_RING[3],
        lm.IRIS_LEFT_RING[1],
        lm.IRIS_LEFT_RING[3],
    }
    keep = [i for i in range(len(face)) if i not in lids]
    pts = brows_moved(face, *lift)[keep]
    step = GAZE_IRIS_SHIFT * iris_radius(face)
    src = np.vstack([pts, _anchors(face)])
    triangles = triangulate(src, CANVAS, CANVAS)
    n = len(pts)
    patches = []
    for gx, gy in GAZE_STEPS:
        moved = gaze_moved(pts, gx * step, gy * step * 0.6)
        patches.append(warp_mesh(canvas, src, np.vstack([moved, src[n:]]), triangles, box))
    return np.stack(patches)


def prepare_avatar(
    photo: Path,
    avatars_dir: Path,
    name: str,
    consent: str,
    enhance: bool | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> Prepared:
    """Build and save the avatar asset ``name`` from ``photo``.

    ``consent`` says how the guardian agreed (``"prompt"`` or ``"--yes"``); it is
    recorded in ``asset.toml``. Raises ``PhotoRejected`` before anything is written
    when the photo is unusable. A turned face or downcast eyes still give an
    asset, with ``Prepared.warnings`` for the parent. ``threads``: Real-ESRGAN's
    CPU threads (None: ``default_threads()``).
    """
    started = time.monotonic()
    photo = Path(photo)
    data = photo.read_bytes() if photo.is_file() else b""
    rgb = load_photo(photo)
    if progress:
        progress("ищу лицо", 0.0)
    pts = find_one_face(rgb, name=f"фото {photo.name}")
    if progress:
        progress("ищу лицо", 1.0)
    warnings = pose_warnings(pts)
    for warning in warnings:
        _LOGGER.info("photo %s: %s", photo.name, warning)
    aligned = align_face(rgb, pts, enhance=enhance, progress=progress, threads=threads)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    meta: dict[str, object] = {
        "version": ASSET_VERSION,
        "name": name,
        "created": now,
        "source": {
            "file": photo.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "width": int(rgb.shape[1]),
            "height": int(rgb.shape[0]),
        },
        "consent": {"given": True, "how": consent, "at": now},
        "face": {
            "native_px": round(aligned.native_px, 1),
            "sharpness": round(aligned.sharpness, 1),
            "enhanced": aligned.enhanced,
            "enhance_s": round(aligned.enhance_s, 2),
            "yaw_deg": round(head_yaw_deg(pts), 1),
        },
        "geometry": {"canvas": CANVAS, "frame": FRAME},
    }
    asset = build_asset(aligned, name, meta, progress)
    folder = save_asset(asset, avatars_dir)
    seconds = time.monotonic() - started
    _LOGGER.info("avatar %s prepared in %.1f s", name, seconds)
    return Prepared(asset, folder, aligned, seconds, warnings)
