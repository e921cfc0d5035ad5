"""The contact sheet shows distinct mouths, blinks, emotions and gaze; the strip shows talking."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from kiosk.avatar.face import DrawnFace
from kiosk.avatar.sheet import SHEET_ROWS, ContactSheet, contact_sheet, frame_strip, save_png

if TYPE_CHECKING:
    from kiosk.avatar.photo.prepare import Prepared

Box = tuple[int, int, int, int]


def _diff(sheet: ContactSheet, a: str, b: str, box: Box) -> float:
    x0, y0, x1, y1 = box
    one = sheet.cell(a)[y0:y1, x0:x1].astype(int)
    two = sheet.cell(b)[y0:y1, x0:x1].astype(int)
    return float(np.abs(one - two).mean())


def _check_distinct(sheet: ContactSheet, mouth: Box, eyes: Box, irises: Box) -> None:
    openings = ["рот 0", "рот 0.25", "рот 0.5", "рот 0.75", "рот 1"]
    for a, b in zip(openings, openings[1:], strict=False):
        assert _diff(sheet, a, b, mouth) > 1.0, (a, b)
    assert _diff(sheet, "рот 0", "рот 1", mouth) > 10
    assert _diff(sheet, "рот 0", "рот 1", eyes) < 1.0  # talking leaves the eyes alone
    assert _diff(sheet, "слушает", "моргание", eyes) > 3
    assert _diff(sheet, "моргание", "полуприкрыты", eyes) > 1.5
    assert _diff(sheet, "слушает", "моргание", mouth) < 1.0  # a blink leaves the mouth alone
    assert _diff(sheet, "взгляд влево", "взгляд вправо", irises) > 2
    assert _diff(sheet, "слушает", "взгляд вниз", irises) > 1
    for a, b in combinations(["радость", "грусть", "удивление", "восторг"], 2):
        assert _diff(sheet, a, b, mouth) > 2, (a, b)


def test_drawn_face_sheet_has_distinct_mouths_blinks_emotions_and_gaze() -> None:
    face = DrawnFace(128)
    sheet = contact_sheet(face)
    assert set(sheet.cells) == {label for row in SHEET_ROWS for label, _ in row}
    assert sheet.surface.get_size() == (5 * 128, len(SHEET_ROWS) * (128 + 18))
    _check_distinct(sheet, face.mouth_region(), face.eye_region(), face.eye_region())


@pytest.mark.slow  # shares the session's Real-ESRGAN run of the 96 px face
def test_enhanced_photo_sheet_compares_bicubic_with_real_esrgan(
    tiny_face: Prepared, tmp_path: Path
) -> None:
    from kiosk.avatar.photo.enhance import laplacian_variance
    from kiosk.avatar.photo.renderer import PhotoFace

    face = PhotoFace(tiny_face.folder, 192)
    sheet = contact_sheet(face)
    native = f"в фото: {round(tiny_face.aligned.native_px)} пикс."
    assert {native, "бикубическое", "Real-ESRGAN x4"} <= set(sheet.cells)
    q = slice(48, 144)
    sharp = laplacian_variance(sheet.cell("Real-ESRGAN x4")[q, q])
    soft = laplacian_variance(sheet.cell("бикубическое")[q, q])
    assert sharp > 2 * soft
    assert (sheet.cell(native)[:10] == 255).all()  # the small face sits on white, at its size
    from kiosk.avatar.photo.asset import FRAME, MARGIN

    iris = (face.asset.landmarks[468:478] - MARGIN) * face.size / FRAME
    (x0, y0), (x1, y1) = iris.min(axis=0) - 3, iris.max(axis=0) + 3
    irises = (int(x0), int(y0), int(x1) + 1, int(y1) + 1)
    _check_distinct(sheet, face.mouth_region(), face.eye_region(), irises)
    path = save_png(sheet.surface, tmp_path / "docs" / "sheet.png")
    assert [p.name for p in path.parent.iterdir()] == ["sheet.png"]


def test_frame_strip_crops_the_face_and_takes_frames_from_the_span() -> None:
    frames = np.zeros((50, 256, 256, 3), np.uint8)
    for i in range(50):
        frames[i, 180:200, 100:156] = i * 5  # the "mouth" changes every frame
    strip = frame_strip(frames, (100, 180, 156, 200), count=4, cell=64, span=(10, 40))
    assert strip.shape == (64, 4 * 64, 3)
    cells = [strip[:, i * 64 : (i + 1) * 64] for i in range(4)]
    levels = [int(c.max()) for c in cells]
    assert levels == sorted(levels) and levels[0] >= 45 and levels[-1] <= 200
    assert levels[0] < levels[-1]
