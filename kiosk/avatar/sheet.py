"""An avatar's contact sheet (states, mouths, emotions, sounds, blinks, gaze); a clip's strip.

``kiosk avatar preview --sheet`` and ``--strip`` write these; ``docs/photo-avatar.png``
is one. A photo asset that was enhanced gets a first row comparing the face as it
was in the photo, a plain bicubic upscale and the Real-ESRGAN result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kiosk.avatar.base import AvatarRenderer, FacePose
from kiosk.avatar.preview import STATE_LABELS, state_pose
from kiosk.events import State

if TYPE_CHECKING:
    import pygame

__all__ = [
    "SHEET_ROWS",
    "ContactSheet",
    "contact_sheet",
    "decode_frames",
    "frame_strip",
    "save_png",
]

_TALK = State.SPEAKING
_LOOK = State.LISTENING
SHEET_ROWS: list[list[tuple[str, FacePose]]] = [
    [(label, state_pose(state)) for state, label in STATE_LABELS.items()],
    [
        ("рот 0", FacePose(state=_TALK, mouth_open=0.0)),
        ("рот 0.25", FacePose(state=_TALK, mouth_open=0.25)),
        ("рот 0.5", FacePose(state=_TALK, mouth_open=0.5)),
        ("рот 0.75", FacePose(state=_TALK, mouth_open=0.75)),
        ("рот 1", FacePose(state=_TALK, mouth_open=1.0)),
    ],
    [
        ("радость", FacePose(state=_TALK, emotion="happy", mouth_open=0.3)),
        ("грусть", FacePose(state=_TALK, emotion="sad")),
        ("удивление", FacePose(state=_TALK, emotion="surprised", mouth_open=0.45)),
        ("восторг", FacePose(state=_TALK, emotion="excited", mouth_open=0.6)),
        ("задумчивость", FacePose(state=State.THINKING, emotion="thinking")),
    ],
    [
        ("тревога", FacePose(state=_TALK, emotion="concern")),
        ("звук А", FacePose(state=_TALK, mouth_open=1.0, viseme="A")),
        ("звук О", FacePose(state=_TALK, mouth_open=0.75, viseme="O")),
        ("звук У", FacePose(state=_TALK, mouth_open=0.45, viseme="U")),
        ("звук М", FacePose(state=_TALK, mouth_open=0.1, viseme="MBP")),
    ],
    [
        ("моргание", FacePose(state=_LOOK, eyes_open=0.0)),
        ("полуприкрыты", FacePose(state=_LOOK, eyes_open=0.5)),
        ("взгляд влево", FacePose(state=_LOOK, gaze_x=-1.0)),
        ("взгляд вправо", FacePose(state=_LOOK, gaze_x=1.0)),
        ("взгляд вниз", FacePose(state=_LOOK, gaze_y=1.0)),
    ],
]
"""Rows of (label, pose) the sheet shows, five to a row."""

_INK = (70, 60, 90)


@dataclass(frozen=True, slots=True)
class ContactSheet:
    """The sheet and where each labelled cell lies on it."""

    surface: pygame.Surface
    cells: dict[str, tuple[int, int]]
    """Label → top-left corner (x, y) of its ``side``×``side`` picture."""
    side: int
    """Side of one cell's picture, pixels."""

    def cell(self, label: str) -> np.ndarray:
        """The RGB pixels (side×side×3 ``uint8``) of the cell labelled ``label``."""
        import pygame

        x, y = self.cells[label]
        area = self.surface.subsurface((x, y, self.side, self.side))
        return np.ascontiguousarray(pygame.surfarray.array3d(area).swapaxes(0, 1))


def _surface(rgb: np.ndarray, side: int) -> pygame.Surface:
    import pygame

    surface = pygame.image.frombuffer(np.ascontiguousarray(rgb).tobytes(), rgb.shape[1::-1], "RGB")
    if surface.get_size() != (side, side):
        surface = pygame.transform.smoothscale(surface, (side, side))
    return surface.copy()


def _comparison(renderer: AvatarRenderer) -> list[tuple[str, pygame.Surface]]:
    """For an enhanced photo asset: the face at its size in the photo, bicubic, Real-ESRGAN."""
    import cv2
    import pygame

    asset = getattr(renderer, "asset", None)
    before = getattr(asset, "before", None)
    if asset is None or before is None:
        return []
    from kiosk.avatar.photo.asset import MARGIN

    side = renderer.size
    frame = slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN)
    native = float(asset.meta.get("face", {}).get("native_px", 0.0)) or before.shape[0]
    small_side = max(8, min(side, round(native * (before.shape[0] - 2 * MARGIN) / before.shape[0])))
    small = cv2.resize(before[frame], (small_side, small_side), interpolation=cv2.INTER_AREA)
    photo = pygame.Surface((side, side))
    photo.fill((255, 255, 255))
    photo.blit(_surface(small, small_side), ((side - small_side) // 2, (side - small_side) // 2))
    return [
        (f"в фото: {round(native)} пикс.", photo),
        ("бикубическое", _surface(before[frame], side)),
        ("Real-ESRGAN x4", _surface(asset.base[frame], side)),
    ]


def contact_sheet(renderer: AvatarRenderer, t: float = 0.4) -> ContactSheet:
    """Every pose of ``SHEET_ROWS`` drawn by ``renderer`` (after the comparison row), labelled."""
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    side = renderer.size
    label_h = max(18, side // 9)
    font = pygame.font.Font(None, round(label_h * 0.9))
    rows: list[list[tuple[str, pygame.Surface | FacePose]]] = []
    header = _comparison(renderer)
    if header:
        rows.append(list(header))
    rows += [list(row) for row in SHEET_ROWS]
    cols = max(len(row) for row in rows)
    sheet = pygame.Surface((side * cols, (side + label_h) * len(rows)))
    sheet.fill((255, 255, 255))
    cells: dict[str, tuple[int, int]] = {}
    for r, row in enumerate(rows):
        y = r * (side + label_h)
        for c, (label, what) in enumerate(row):
            picture = renderer.draw(what, t) if isinstance(what, FacePose) else what
            sheet.blit(picture, (c * side, y))
            cells[label] = (c * side, y)
            text = font.render(label, True, _INK)
            sheet.blit(text, text.get_rect(center=(c * side + side // 2, y + side + label_h // 2)))
    return ContactSheet(sheet, cells, side)


def decode_frames(path: Path) -> np.ndarray:
    """Every frame of a square video (``kiosk avatar preview --out x.mp4``) as N×S×S×3 RGB."""
    from kiosk.avatar.sync import _run
    from kiosk.avatar.video import _tool, probe_video

    video = probe_video(path)["video"]
    if video is None:
        from kiosk.errors import KioskError

        raise KioskError(f"{path} has no video", "нужен MP4, записанный kiosk avatar preview")
    w, h = int(video["width"]), int(video["height"])
    raw = _run(
        [_tool("ffmpeg"), "-v", "error", "-i", str(path), "-an", "-fps_mode", "passthrough"]
        + ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    )
    frames = np.frombuffer(raw, dtype=np.uint8)
    return frames[: len(frames) // (w * h * 3) * (w * h * 3)].reshape(-1, h, w, 3)


def frame_strip(
    frames: np.ndarray,
    mouth: tuple[int, int, int, int],
    count: int = 10,
    cell: int = 136,
    span: tuple[int, int] | None = None,
) -> np.ndarray:
    """``count`` frames side by side, cropped to the eyes and mouth, each ``cell`` pixels.

    ``mouth`` is the renderer's mouth box (frame pixels); the crop is a square around
    it reaching up past the eyes. ``span`` (first, last frame) picks where the frames
    are taken evenly from (default: all of them).
    """
    import cv2

    n, h, w = frames.shape[:3]
    first, last = span if span is not None else (0, n - 1)
    first, last = max(0, min(first, n - 1)), max(0, min(last, n - 1))
    x0, _, x1, y1 = mouth
    crop = round(0.55 * w)
    left = min(max(0, (x0 + x1) // 2 - crop // 2), w - crop)
    top = min(max(0, y1 + round(0.1 * h) - crop), h - crop)
    picks = np.linspace(first, last, count).round().astype(int)
    cells = [
        cv2.resize(
            frames[i, top : top + crop, left : left + crop],
            (cell, cell),
            interpolation=cv2.INTER_AREA,
        )
        for i in picks
    ]
    return np.concatenate(cells, axis=1)


def save_png(picture: pygame.Surface | np.ndarray, path: Path) -> Path:
    """Write a surface or an RGB array to ``path`` as PNG; the file appears complete."""
    from PIL import Image

    if not isinstance(picture, np.ndarray):
        import pygame

        picture = pygame.surfarray.array3d(picture).swapaxes(0, 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
    try:
        Image.fromarray(np.ascontiguousarray(picture)).save(tmp, format="PNG", optimize=True)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
