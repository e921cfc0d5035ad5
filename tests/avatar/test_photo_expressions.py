"""The photo face's expressions and speech shapes, measured where a viewer sees them.

The rendered frames go back through the same mediapipe face mesh that
``kiosk avatar prepare`` uses: a sad mouth's corners must end up below the middle
of the lips (the astronaut smiles in her photo), the inner brows must rise, and a
rounded "О" must be a taller, narrower opening than an "А".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame
import pytest

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.avatar import FacePose  # noqa: E402
from kiosk.avatar.photo import landmarks as lm  # noqa: E402
from kiosk.avatar.photo import prepare_avatar  # noqa: E402
from kiosk.avatar.photo.asset import MARGIN, MOUTH_VARIANTS  # noqa: E402
from kiosk.avatar.photo.detect import mesh_landmarks  # noqa: E402
from kiosk.avatar.photo.renderer import PhotoFace  # noqa: E402
from kiosk.avatar.photo.shapes import mouth_moved  # noqa: E402
from kiosk.events import State  # noqa: E402

_TALK = State.SPEAKING
_INNER_BROWS = (55, 285, 107, 336)
"""Mesh points at the inner ends of both brows."""


@pytest.fixture(scope="module")
def face(tmp_path_factory: pytest.TempPathFactory) -> PhotoFace:
    folder = tmp_path_factory.mktemp("expressions")
    photo = folder / "astronaut.png"
    Image.fromarray(skdata.astronaut()).save(photo)
    prepare_avatar(photo, folder / "avatars", "astro", consent="--yes", enhance=False)
    return PhotoFace(folder / "avatars" / "astro", 512)


def _pixels(face: PhotoFace, pose: FacePose) -> np.ndarray:
    return np.ascontiguousarray(pygame.surfarray.array3d(face.draw(pose, 0.0)).swapaxes(0, 1))


def _mesh(face: PhotoFace, pose: FacePose) -> np.ndarray:
    pts = mesh_landmarks(_pixels(face, pose))
    assert pts is not None, pose
    return pts


def _corner_drop(pts: np.ndarray) -> float:
    """How far the mouth corners sit below the middle of the lips, in mouth widths."""
    middle = (pts[13, 1] + pts[14, 1]) / 2
    corners = (pts[lm.MOUTH_RIGHT, 1] + pts[lm.MOUTH_LEFT, 1]) / 2
    return float((corners - middle) / np.linalg.norm(pts[lm.MOUTH_LEFT] - pts[lm.MOUTH_RIGHT]))


def _brow_height(pts: np.ndarray) -> float:
    """Inner brow ends above the irises, in eye distances."""
    eyes = pts[[lm.IRIS_RIGHT, lm.IRIS_LEFT]]
    gap = float(np.linalg.norm(eyes[1] - eyes[0]))
    return float((eyes[:, 1].mean() - pts[list(_INNER_BROWS), 1].mean()) / gap)


def _opening(pts: np.ndarray) -> tuple[float, float]:
    """Width and height of the opening between the inner lips, pixels."""
    upper, lower = pts[list(lm.LIP_INNER_UPPER)], pts[list(lm.LIP_INNER_LOWER)]
    width = float(np.linalg.norm(upper[-1] - upper[0]))
    return width, float((lower[:, 1] - upper[:, 1]).max())


def test_sad_corners_go_down_below_the_lips_and_happy_ones_up(face: PhotoFace) -> None:
    drop = {
        emotion: _corner_drop(_mesh(face, FacePose(state=_TALK, emotion=emotion)))
        for emotion in ("happy", "neutral", "concern", "sad")
    }
    assert drop["neutral"] < 0.0  # the photo smiles: corners above the middle
    assert drop["happy"] < drop["neutral"] - 0.01
    assert drop["sad"] > 0.03  # a frown, not a weaker smile
    assert drop["neutral"] + 0.02 < drop["concern"] < drop["sad"] - 0.02


def test_sad_and_concern_raise_the_inner_brows(face: PhotoFace) -> None:
    height = {
        emotion: _brow_height(_mesh(face, FacePose(state=State.LISTENING, emotion=emotion)))
        for emotion in ("neutral", "concern", "sad")
    }
    assert height["sad"] > height["neutral"] + 0.04
    assert height["neutral"] < height["concern"] < height["sad"]


def test_o_is_a_round_opening_and_a_is_a_wide_one() -> None:
    pts = _astronaut_landmarks()
    a_w, a_h = _opening(mouth_moved(pts, 1.0, MOUTH_VARIANTS["neutral"]))
    o_w, o_h = _opening(mouth_moved(pts, 0.75, MOUTH_VARIANTS["O"]))
    u_w, u_h = _opening(mouth_moved(pts, 0.45, MOUTH_VARIANTS["U"]))
    assert a_w / a_h > 1.6
    assert o_w / o_h < 0.65 * (a_w / a_h)
    assert o_w < 0.75 * a_w and u_w < o_w
    closed_w, closed_h = _opening(mouth_moved(pts, 0.0, MOUTH_VARIANTS["MBP"]))
    assert _opening(pts)[1] > 5 and closed_h < 1.0  # the parted photo lips are pressed shut


def test_rendered_o_is_narrower_than_a_for_the_same_height_of_dark_mouth(face: PhotoFace) -> None:
    lips = face.asset.landmarks[list(lm.LIP_OUTER_UPPER + lm.LIP_OUTER_LOWER)] - MARGIN
    (x0, y0), (x1, y1) = np.round(lips.min(axis=0)).astype(int), np.round(lips.max(axis=0))
    y1 = int(y1 + 0.5 * (x1 - x0))  # room for the dropped jaw, not the dark collar below

    def dark_box(pose: FacePose) -> tuple[int, int]:
        region = _pixels(face, pose)[y0 - 4 : y1, x0 - 4 : int(x1) + 4].astype(int)
        ys, xs = np.nonzero(region.sum(axis=2) < 3 * 90)  # the painted throat
        return int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1

    a_w, a_h = dark_box(FacePose(state=_TALK, mouth_open=1.0, viseme="A"))
    o_w, o_h = dark_box(FacePose(state=_TALK, mouth_open=0.75, viseme="O"))
    assert o_w < 0.75 * a_w
    assert o_w / o_h < 0.8 * (a_w / a_h)


def test_pressed_lips_hide_the_teeth_the_photo_shows(face: PhotoFace) -> None:
    x0, y0, x1, y1 = face.mouth_region()

    def teeth(pose: FacePose) -> int:
        region = _pixels(face, pose)[y0:y1, x0:x1].astype(int)
        white = (region.min(axis=2) > 170) & (np.ptp(region, axis=2) < 45)
        return int(white.sum())  # teeth, and a little of the brightest skin

    shown = teeth(FacePose(state=_TALK))
    assert shown > 300
    assert teeth(FacePose(state=_TALK, mouth_open=0.1, viseme="MBP")) < 0.4 * shown
    assert teeth(FacePose(state=_TALK, emotion="sad")) < 0.4 * shown


def test_viseme_mouths_win_over_the_emotion_and_leave_the_eyes(face: PhotoFace) -> None:
    x0, y0, x1, y1 = face.mouth_region()
    mouth = slice(y0, y1), slice(x0, x1)
    round_happy = _pixels(face, FacePose(state=_TALK, mouth_open=0.6, viseme="O", emotion="happy"))
    round_plain = _pixels(face, FacePose(state=_TALK, mouth_open=0.6, viseme="O"))
    smile = _pixels(face, FacePose(state=_TALK, mouth_open=0.6, viseme="A", emotion="happy"))
    assert np.array_equal(round_happy[mouth], round_plain[mouth])
    assert np.abs(round_happy[mouth].astype(int) - smile[mouth]).mean() > 5
    ex0, ey0, ex1, ey1 = face.eye_region()
    eyes = slice(ey0, ey1), slice(ex0, ex1)
    assert np.array_equal(round_happy[eyes], smile[eyes])


def _astronaut_landmarks() -> np.ndarray:
    pts = mesh_landmarks(np.ascontiguousarray(skdata.astronaut()))
    assert pts is not None
    return pts


def test_older_assets_without_the_new_sets_fall_back_to_neutral(
    face: PhotoFace, tmp_path: Path
) -> None:
    import dataclasses

    old = dataclasses.replace(
        face.asset,
        mouths={k: face.asset.mouths[k] for k in ("neutral", "happy", "sad")},
        eyes={k: face.asset.eyes[k] for k in ("neutral", "raised")},
        gaze={k: face.asset.gaze[k] for k in ("neutral", "raised")},
    )
    older = PhotoFace(old, 512)
    for pose in (
        FacePose(state=_TALK, emotion="concern", mouth_open=0.4, viseme="O"),
        FacePose(state=_TALK, emotion="sad"),
    ):
        assert older.draw(pose, 0.0).get_size() == (512, 512)
    concern = pygame.surfarray.array3d(older.draw(FacePose(state=_TALK, emotion="concern"), 0.0))
    neutral = pygame.surfarray.array3d(older.draw(FacePose(state=_TALK), 0.0))
    assert np.array_equal(concern, neutral)
