"""Anti-aliased drawing for the face: a supersampled canvas in 512-unit design space.

Shapes are drawn at twice the target resolution and smoothscaled down in
premultiplied alpha, so edges are soft without halos; blit results with
``pygame.BLEND_PREMULTIPLIED``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pygame

__all__ = [
    "DESIGN",
    "Color",
    "Point",
    "Sketch",
    "bezier",
    "ellipse_points",
    "mix",
]

DESIGN = 512.0
"""Width of the design space: every coordinate in the face modules is in these units."""

SUPERSAMPLE = 2
"""Drawing resolution relative to the output (2: four samples per output pixel)."""

Color = tuple[int, ...]
"""RGB or RGBA, 0..255."""
Point = tuple[float, float]


def mix(a: Sequence[int], b: Sequence[int], w: float) -> tuple[int, ...]:
    """Colour ``a`` moved ``w`` (0..1) of the way towards ``b``."""
    return tuple(round(x + (y - x) * w) for x, y in zip(a, b, strict=True))


def bezier(p0: Point, c: Point, p1: Point, n: int = 24) -> list[Point]:
    """``n + 1`` points along the quadratic Bézier curve from ``p0`` via ``c`` to ``p1``."""
    out = []
    for i in range(n + 1):
        s = i / n
        a, b, d = (1 - s) ** 2, 2 * (1 - s) * s, s * s
        out.append((a * p0[0] + b * c[0] + d * p1[0], a * p0[1] + b * c[1] + d * p1[1]))
    return out


def ellipse_points(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 32
) -> list[Point]:
    """Points on an ellipse from angle ``a0`` to ``a1`` (radians, y down)."""
    return [
        (cx + rx * math.cos(a0 + (a1 - a0) * i / n), cy + ry * math.sin(a0 + (a1 - a0) * i / n))
        for i in range(n + 1)
    ]


class Sketch:
    """A transparent canvas covering ``box`` (x, y, w, h in design units), drawn supersampled."""

    def __init__(self, scale: float, box: tuple[float, float, float, float]) -> None:
        x0, y0, w, h = box
        self.x0, self.y0 = x0, y0
        self.k = scale * SUPERSAMPLE
        self.out_size = (max(1, round(w * scale)), max(1, round(h * scale)))
        self.surface = pygame.Surface(
            (self.out_size[0] * SUPERSAMPLE, self.out_size[1] * SUPERSAMPLE), pygame.SRCALPHA
        )
        self.surface.fill((0, 0, 0, 0))

    def blank(self) -> Sketch:
        """A new empty canvas with the same geometry (for translucent layers and masks)."""
        other = Sketch.__new__(Sketch)
        other.x0, other.y0, other.k, other.out_size = self.x0, self.y0, self.k, self.out_size
        other.surface = pygame.Surface(self.surface.get_size(), pygame.SRCALPHA)
        other.surface.fill((0, 0, 0, 0))
        return other

    def pt(self, x: float, y: float) -> tuple[float, float]:
        """Design units → pixels of the supersampled surface."""
        return ((x - self.x0) * self.k, (y - self.y0) * self.k)

    def polygon(self, points: Sequence[Point], color: Color) -> None:
        """Fill a polygon (replaces the pixels it covers, alpha included)."""
        if len(points) >= 3:
            pygame.draw.polygon(self.surface, color, [self.pt(*p) for p in points])

    def circle(self, cx: float, cy: float, r: float, color: Color) -> None:
        """Fill a circle."""
        pygame.draw.circle(self.surface, color, self.pt(cx, cy), max(0.5, r * self.k))

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, color: Color) -> None:
        """Fill an axis-aligned ellipse."""
        x, y = self.pt(cx - rx, cy - ry)
        rect = pygame.Rect(
            round(x), round(y), max(1, round(2 * rx * self.k)), round(2 * ry * self.k)
        )
        if rect.height > 0:
            pygame.draw.ellipse(self.surface, color, rect)

    def stroke(
        self, points: Sequence[Point], radius: float | Sequence[float], color: Color
    ) -> None:
        """A round-capped line through ``points``; ``radius`` may taper per point."""
        radii = [radius] * len(points) if isinstance(radius, int | float) else list(radius)
        dense: list[tuple[Point, float]] = []
        for (a, ra), (b, rb) in zip(
            zip(points, radii, strict=True), zip(points[1:], radii[1:], strict=True), strict=False
        ):
            steps = max(
                1, math.ceil(math.dist(a, b) * self.k / max(1.0, min(ra, rb) * self.k * 0.5))
            )
            for i in range(steps):
                s = i / steps
                dense.append(
                    ((a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s), ra + (rb - ra) * s)
                )
        if points:
            dense.append((points[-1], radii[-1]))
        for (x, y), r in dense:
            self.circle(x, y, r, color)

    def paste(self, layer: Sketch, alpha: int = 255) -> None:
        """Blend a same-geometry ``layer`` over this canvas with extra opacity ``alpha``."""
        layer.surface.set_alpha(alpha)
        self.surface.blit(layer.surface, (0, 0))
        layer.surface.set_alpha(None)

    def clip_to(self, mask: Sketch) -> None:
        """Keep only what lies under the opaque parts of ``mask`` (white shapes on clear)."""
        self.surface.blit(mask.surface, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)

    def finish(self) -> pygame.Surface:
        """The canvas at output size, premultiplied: blit with ``BLEND_PREMULTIPLIED``."""
        return pygame.transform.smoothscale(self.surface.premul_alpha(), self.out_size)
