"""``PhotoFace``: the prepared photo follows the pose by blitting patches, fast and repeatably."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pygame
import pytest

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.avatar import AvatarRenderer, FacePose, make_renderer  # noqa: E402
from kiosk.avatar.face import DrawnFace  # noqa: E402
from kiosk.avatar.photo import load_asset, prepare_avatar  # noqa: E402
from kiosk.avatar.photo.asset import MARGIN  # noqa: E402
from kiosk.avatar.photo.renderer import PhotoFace  # noqa: E402
from kiosk.config import AvatarSettings  # noqa: E402
from kiosk.events import State  # noqa: E402


@pytest.fixture(scope="module")
def avatars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photoface")
    photo = folder / "astronaut.png"
    Image.fromarray(skdata.astronaut()).save(photo)
    prepare_avatar(photo, folder / "avatars", "astro", consent="--yes", enhance=False)
    return folder / "avatars"


@pytest.fixture(scope="module")
def face(avatars: Path) -> PhotoFace:
    return PhotoFace(avatars / "astro", 512)


def _pixels(renderer: PhotoFace, pose: FacePose, t: float = 0.0) -> np.ndarray:
    return pygame.surfarray.array3d(renderer.draw(pose, t)).swapaxes(0, 1).astype(int)


def _region(face: PhotoFace, box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = (v - MARGIN for v in box)
    return slice(max(0, y0), y1), slice(max(0, x0), x1)


def test_photo_face_is_an_avatar_renderer(face: PhotoFace) -> None:
    assert isinstance(face, AvatarRenderer)
    assert face.draw(FacePose(), 0.0).get_size() == (512, 512)


def test_mouth_region_differs_between_closed_and_open(face: PhotoFace) -> None:
    mouth = _region(face, face.asset.mouth_box)
    closed = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.0))
    opened = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=1.0))
    assert np.abs(closed[mouth] - opened[mouth]).mean() > 8
    eyes = _region(face, face.asset.eye_box)
    assert np.array_equal(closed[eyes], opened[eyes])  # the mouth moves nothing else


def test_equal_poses_give_equal_pixels(face: PhotoFace) -> None:
    pose = FacePose(state=State.SPEAKING, mouth_open=0.43, eyes_open=0.7, emotion="happy")
    assert np.array_equal(_pixels(face, pose, 1.0), _pixels(face, pose, 1.0))


def test_in_between_openness_blends_its_neighbours(face: PhotoFace) -> None:
    mouth = _region(face, face.asset.mouth_box)
    levels = [_pixels(face, FacePose(mouth_open=v))[mouth] for v in (0.5, 0.5625, 0.625)]
    halfway = (levels[0] + levels[2]) / 2
    assert np.abs(levels[1] - halfway).mean() < 2.0


def test_blink_and_emotions_change_their_regions(face: PhotoFace) -> None:
    eyes, mouth = _region(face, face.asset.eye_box), _region(face, face.asset.mouth_box)
    base = _pixels(face, FacePose(state=State.LISTENING))
    blink = _pixels(face, FacePose(state=State.LISTENING, eyes_open=0.0))
    assert np.abs(base[eyes] - blink[eyes]).mean() > 1.5
    happy = _pixels(face, FacePose(state=State.LISTENING, emotion="happy"))
    sad = _pixels(face, FacePose(state=State.LISTENING, emotion="sad"))
    assert np.abs(happy[mouth] - sad[mouth]).mean() > 1.5
    surprised = _pixels(face, FacePose(state=State.LISTENING, emotion="surprised"))
    assert np.abs(base[eyes] - surprised[eyes]).mean() > 1.5


def test_states_look_different(face: PhotoFace) -> None:
    frames = {s: _pixels(face, FacePose(state=s), 0.3) for s in State}
    asleep = frames.pop(State.SLEEPING)
    assert asleep.mean() < frames[State.LISTENING].mean() - 20  # night veil
    for a in frames:
        for b in frames:
            if a is not b:
                assert not np.array_equal(frames[a], frames[b])


def test_head_motion_moves_the_whole_photo(face: PhotoFace) -> None:
    still = _pixels(face, FacePose(state=State.LISTENING))
    moved = _pixels(face, FacePose(state=State.LISTENING, head_x=1.0))
    shift = round(12.0)
    assert np.array_equal(moved[100:300, 100 + shift : 300 + shift], still[100:300, 100:300])


def test_other_sizes_render_at_their_size(avatars: Path) -> None:
    small = PhotoFace(avatars / "astro", 256)
    assert small.draw(FacePose(mouth_open=0.5), 0.0).get_size() == (256, 256)


def test_draw_costs_a_few_milliseconds(face: PhotoFace) -> None:
    rng = np.random.default_rng(1)
    poses = [
        FacePose(
            mouth_open=float(rng.random()),
            eyes_open=float(rng.random()),
            state=State.SPEAKING,
            emotion=str(rng.choice(["neutral", "happy", "sad", "surprised"])),
            head_x=float(rng.uniform(-1, 1)),
        )
        for _ in range(200)
    ]
    started = time.process_time()
    for i, pose in enumerate(poses):
        face.draw(pose, i / 30)
    per_frame = (time.process_time() - started) / len(poses)
    assert per_frame < 0.010  # ≥ 100 FPS of CPU work at 512² (about 1 ms here)


def test_make_renderer_picks_the_prepared_photo(avatars: Path) -> None:
    renderer = make_renderer(AvatarSettings(photo_asset="astro", size=256), avatars)
    assert isinstance(renderer, PhotoFace) and renderer.size == 256
    assert load_asset(avatars / "astro").name == "astro"


def test_make_renderer_falls_back_to_the_drawn_face_when_the_asset_is_missing(
    avatars: Path,
) -> None:
    renderer = make_renderer(AvatarSettings(photo_asset="nobody"), avatars)
    assert isinstance(renderer, DrawnFace)
    assert isinstance(make_renderer(AvatarSettings()), DrawnFace)


def test_gaze_moves_the_irises_and_nothing_else(face: PhotoFace) -> None:
    eyes, mouth = _region(face, face.asset.eye_box), _region(face, face.asset.mouth_box)
    ahead = _pixels(face, FacePose(state=State.LISTENING))
    left = _pixels(face, FacePose(state=State.LISTENING, gaze_x=-1.0))
    right = _pixels(face, FacePose(state=State.LISTENING, gaze_x=1.0))
    assert np.abs(ahead[eyes] - left[eyes]).mean() > 0.5
    assert np.abs(left[eyes] - right[eyes]).mean() > np.abs(ahead[eyes] - left[eyes]).mean()
    assert np.array_equal(ahead[mouth], left[mouth])
    # Where the right iris was, the eye now shows more white when looking left.
    iris = np.round(face.asset.landmarks[468] - MARGIN).astype(int)
    spot = slice(iris[1] - 2, iris[1] + 3), slice(iris[0] + 2, iris[0] + 6)
    assert left[spot].mean() > ahead[spot].mean() + 10


def test_teeth_follow_a_smile_on_an_open_mouth(face: PhotoFace) -> None:
    mouth = _region(face, face.asset.mouth_box)
    opened = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.75))[mouth]
    smiling = _pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.75, emotion="happy"))
    # Under the lifted upper lip near the corners the photo's teeth, not a dark gap.
    corner = face.asset.landmarks[61] - np.array(face.asset.mouth_box[:2])
    x, y = np.round(corner).astype(int) + (12, 0)
    patch = (slice(y - 4, y + 2), slice(x - 3, x + 3))
    assert smiling[mouth][patch].mean() > 90
    assert np.abs(opened - smiling[mouth]).mean() > 3


def test_tilt_turns_the_head(face: PhotoFace) -> None:
    still = _pixels(face, FacePose(state=State.LISTENING))
    tilted = _pixels(face, FacePose(state=State.LISTENING, tilt=1.0))
    centre = (slice(200, 312), slice(200, 312))
    assert np.abs(still[centre] - tilted[centre]).mean() < 12  # the middle barely moves
    top = (slice(20, 80), slice(150, 360))
    assert np.abs(still[top] - tilted[top]).mean() > np.abs(still[centre] - tilted[centre]).mean()
