"""Hard photos become avatars too: glasses, downcast eyes on a small turned face, teeth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame
import pytest

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.avatar.base import FacePose  # noqa: E402
from kiosk.avatar.photo import prepare_avatar  # noqa: E402
from kiosk.avatar.photo.asset import MARGIN  # noqa: E402
from kiosk.avatar.photo.detect import find_one_face  # noqa: E402
from kiosk.avatar.photo.renderer import PhotoFace  # noqa: E402
from kiosk.events import State  # noqa: E402


def _pixels(face: PhotoFace, pose: FacePose) -> np.ndarray:
    return pygame.surfarray.array3d(face.draw(pose, 0.0)).swapaxes(0, 1).astype(int)


def _region(box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = (v - MARGIN for v in box)
    return slice(max(0, y0), y1), slice(max(0, x0), x1)


def with_glasses(rgb: np.ndarray) -> np.ndarray:
    """The photo with dark glasses frames drawn around the eyes (a derived hard case)."""
    import cv2

    pts = find_one_face(rgb)
    out = rgb.copy()
    right, left = pts[468], pts[473]
    gap = float(np.linalg.norm(left - right))
    axes = (round(0.36 * gap), round(0.26 * gap))
    for centre in (right, left):
        cv2.ellipse(out, tuple(int(v) for v in centre), axes, 0, 0, 360, (25, 20, 20), 3)
    inner_r = (int(right[0] + axes[0]), int(right[1]))
    inner_l = (int(left[0] - axes[0]), int(left[1]))
    cv2.line(out, inner_r, inner_l, (25, 20, 20), 3)
    return out


def test_face_with_glasses_gets_an_asset_that_blinks_and_talks(tmp_path: Path) -> None:
    photo = tmp_path / "glasses.png"
    Image.fromarray(with_glasses(skdata.astronaut())).save(photo)
    done = prepare_avatar(photo, tmp_path / "avatars", "glasses", consent="--yes", enhance=False)
    face = PhotoFace(done.folder, 512)
    eyes, mouth = _region(face.asset.eye_box), _region(face.asset.mouth_box)
    still = _pixels(face, FacePose(state=State.SPEAKING))
    blink = _pixels(face, FacePose(state=State.SPEAKING, eyes_open=0.0))
    talk = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.8))
    assert np.abs(still[eyes] - blink[eyes]).mean() > 1.5
    assert np.abs(still[mouth] - talk[mouth]).mean() > 8


@pytest.mark.slow
def test_small_turned_face_with_downcast_eyes_is_enhanced_and_animated(tmp_path: Path) -> None:
    # scikit-image's "camera" (CC0, Lav Varshney): a man looking down into a camera,
    # face in three-quarter profile, about 76 px wide, black and white.
    photo = tmp_path / "camera.png"
    Image.fromarray(skdata.camera()).save(photo)
    done = prepare_avatar(photo, tmp_path / "avatars", "camera", consent="--yes")
    assert done.aligned.enhanced and done.aligned.native_px < 300
    assert done.asset.meta["gaze"]["y"] > 0.0  # the mesh sees the eyes looking down
    face = PhotoFace(done.folder, 512)
    mouth = _region(face.asset.mouth_box)
    closed = _pixels(face, FacePose(state=State.SPEAKING))
    opened = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=1.0))
    assert np.abs(closed[mouth] - opened[mouth]).mean() > 4
    spread = np.abs(opened[mouth] - opened[mouth].mean(axis=2, keepdims=True)).max()
    assert spread <= 3  # a grey photo gets a grey mouth, not a red one
