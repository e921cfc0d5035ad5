"""Hard photos become avatars too: glasses, a small turned face with downcast eyes (warned)."""

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
from kiosk.avatar.photo.pose import (  # noqa: E402
    DOWNCAST_WARNING,
    TURNED_ABOVE_DEG,
    TURNED_WARNING,
    pose_warnings,
)
from kiosk.avatar.photo.prepare import Prepared  # noqa: E402
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


@pytest.mark.slow  # Real-ESRGAN once per session: ~6 s alone, ~16 s under load
def test_small_turned_face_with_downcast_eyes_is_enhanced_and_animated(
    camera_face: Prepared,
) -> None:
    done = camera_face  # scikit-image's "camera": 76 px, three-quarter profile, looking down
    assert done.aligned.enhanced and done.aligned.native_px < 300
    assert done.asset.meta["gaze"]["y"] > 0.0  # the mesh sees the eyes looking down
    face = PhotoFace(done.folder, 512)
    mouth = _region(face.asset.mouth_box)
    closed = _pixels(face, FacePose(state=State.SPEAKING))
    opened = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=1.0))
    assert np.abs(closed[mouth] - opened[mouth]).mean() > 4
    spread = np.abs(opened[mouth] - opened[mouth].mean(axis=2, keepdims=True)).max()
    assert spread <= 3  # a grey photo gets a grey mouth, not a red one


@pytest.mark.slow  # Real-ESRGAN once per session: ~6 s alone, ~16 s under load
def test_turned_face_is_prepared_with_a_russian_warning(camera_face: Prepared) -> None:
    assert TURNED_WARNING in camera_face.warnings
    assert "лицо повёрнуто — лучше фото анфас" in TURNED_WARNING
    assert abs(camera_face.asset.meta["face"]["yaw_deg"]) > TURNED_ABOVE_DEG
    assert (camera_face.folder / "asset.toml").is_file()  # built all the same


def test_eyes_looking_far_down_are_warned_about() -> None:
    from kiosk.avatar.photo import landmarks as lm
    from kiosk.avatar.photo.detect import find_one_face

    pts = find_one_face(skdata.astronaut())
    assert DOWNCAST_WARNING not in pose_warnings(pts)
    radius = np.linalg.norm(pts[lm.IRIS_RIGHT_RING[0]] - pts[lm.IRIS_RIGHT])
    low = pts.copy()
    low[468:478, 1] += 0.9 * radius  # the irises sink towards the lower lids
    assert DOWNCAST_WARNING in pose_warnings(low)
    assert TURNED_WARNING not in pose_warnings(low)
