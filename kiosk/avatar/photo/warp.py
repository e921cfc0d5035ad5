"""Piecewise-affine mesh warps: move mesh points, and the pixels of each triangle follow.

The warp is done backwards and at once (no seams between triangles): every pixel
of the box finds the destination triangle that holds it, and that triangle's
inverse affine map says where to sample the source; ``cv2.remap`` does the rest.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Box", "triangulate", "warp_mesh"]

Box = tuple[int, int, int, int]
"""x0, y0, x1, y1 in pixels (x1, y1 exclusive)."""


def triangulate(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Delaunay triangles (K×3 indices into ``points``) of points inside width×height."""
    import cv2

    subdiv = cv2.Subdiv2D((-1, -1, width + 2, height + 2))
    where: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(np.asarray(points, dtype=np.float32)):
        key = (float(x), float(y))
        if key not in where:
            where[key] = i
            subdiv.insert(key)
    triangles = []
    for tri in subdiv.getTriangleList():
        corners = [
            where.get((float(np.float32(tri[k])), float(np.float32(tri[k + 1])))) for k in (0, 2, 4)
        ]
        if None not in corners:
            triangles.append(corners)
    return np.array(triangles, dtype=np.int32)


def _inverse_affines(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """For each triangle the 2×3 matrix taking destination pixels to source pixels."""
    d = dst[triangles]  # K×3×2
    s = src[triangles]
    ones = np.ones((len(triangles), 3, 1))
    a = np.concatenate([d, ones], axis=2)  # K×3×3 rows (x, y, 1)
    with np.errstate(all="ignore"):
        m = np.linalg.solve(a, s)  # K×3×2: [x y 1] @ m = source
    m = np.nan_to_num(m)
    return np.transpose(m, (0, 2, 1))  # K×2×3


def warp_mesh(
    image: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    triangles: np.ndarray,
    box: Box,
) -> np.ndarray:
    """The ``box`` region of ``image`` warped so that ``src`` points land on ``dst``.

    Only triangles that touch the box and whose corners move are resampled;
    everything else is copied as is.
    """
    import cv2

    x0, y0, x1, y1 = box
    moved = np.abs(dst - src).max(axis=1) > 1e-3
    active = triangles[moved[triangles].any(axis=1)]
    region = image[y0:y1, x0:x1].copy()
    if len(active) == 0:
        return region
    ids = np.full((y1 - y0, x1 - x0), -1, dtype=np.int32)
    for k, tri in enumerate(active):
        poly = np.round((dst[tri] - (x0, y0)) * 16).astype(np.int32)
        cv2.fillConvexPoly(ids, poly, k, lineType=cv2.LINE_8, shift=4)
    inv = _inverse_affines(src, dst, active)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    inside = ids >= 0
    m = inv[ids[inside]]
    map_x = xs.copy()
    map_y = ys.copy()
    px, py = xs[inside], ys[inside]
    map_x[inside] = m[:, 0, 0] * px + m[:, 0, 1] * py + m[:, 0, 2]
    map_y[inside] = m[:, 1, 0] * px + m[:, 1, 1] * py + m[:, 1, 2]
    warped = cv2.remap(
        image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    region[inside] = warped[inside]
    return region
