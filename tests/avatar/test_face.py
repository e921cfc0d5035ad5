from __future__ import annotations

import numpy as np
import pygame
import pytest

from kiosk.avatar import AvatarRenderer, make_renderer
from kiosk.avatar.base import FacePose
from kiosk.avatar.face import DrawnFace
from kiosk.avatar.layers import EYE_CENTRES, MOUTH_CENTRE
from kiosk.config import AvatarSettings
from kiosk.events import State

MOUTH_BOX = (MOUTH_CENTRE[0] - 60, MOUTH_CENTRE[1] - 30, 120, 90)
EYE_BOX = (EYE_CENTRES[0][0] - 40, EYE_CENTRES[0][1] - 42, 80, 84)


@pytest.fixture(scope="module")
def face() -> DrawnFace:
    return DrawnFace(512)


def pixels(face: DrawnFace, pose: FacePose, t: float = 0.5) -> np.ndarray:
    return pygame.surfarray.array3d(face.draw(pose, t)).astype(np.int16)


def box_difference(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]) -> float:
    x, y, w, h = (int(v) for v in box)
    return float(np.abs(a[x : x + w, y : y + h] - b[x : x + w, y : y + h]).mean())


def test_drawn_face_is_an_avatar_renderer_of_the_requested_size() -> None:
    face = DrawnFace(300)
    assert isinstance(face, AvatarRenderer)
    assert face.draw(FacePose(state=State.LISTENING), 0.0).get_size() == (300, 300)


def test_make_renderer_gives_the_drawn_face_at_the_configured_size() -> None:
    renderer = make_renderer(AvatarSettings(size=256))
    assert isinstance(renderer, DrawnFace)
    assert renderer.size == 256


def test_open_mouth_changes_the_mouth_region(face: DrawnFace) -> None:
    closed = pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.0))
    opened = pixels(face, FacePose(state=State.SPEAKING, mouth_open=1.0))
    assert box_difference(closed, opened, MOUTH_BOX) > 15
    assert box_difference(closed, opened, EYE_BOX) == 0


def test_equal_poses_draw_identical_frames(face: DrawnFace) -> None:
    pose = FacePose(state=State.SPEAKING, mouth_open=0.43, head_x=0.3, emotion="happy")
    first = pixels(face, pose, 1.25)
    pixels(face, FacePose(state=State.THINKING, mouth_open=0.9), 3.0)
    assert np.array_equal(first, pixels(face, pose, 1.25))


def test_closed_eyes_change_the_eye_region(face: DrawnFace) -> None:
    opened = pixels(face, FacePose(state=State.LISTENING, eyes_open=1.0))
    closed = pixels(face, FacePose(state=State.LISTENING, eyes_open=0.0))
    assert box_difference(opened, closed, EYE_BOX) > 20


@pytest.mark.parametrize("emotion", ["happy", "sad", "surprised", "thinking"])
def test_emotion_reshapes_the_mouth(face: DrawnFace, emotion: str) -> None:
    neutral = pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.3))
    moved = pixels(face, FacePose(state=State.SPEAKING, mouth_open=0.3, emotion=emotion))
    assert box_difference(neutral, moved, MOUTH_BOX) > 2


def test_unknown_emotion_is_drawn_as_neutral(face: DrawnFace) -> None:
    neutral = pixels(face, FacePose(state=State.LISTENING))
    assert np.array_equal(neutral, pixels(face, FacePose(state=State.LISTENING, emotion="???")))


def test_head_offset_moves_the_face(face: DrawnFace) -> None:
    centred = pixels(face, FacePose(state=State.LISTENING))
    moved = pixels(face, FacePose(state=State.LISTENING, head_x=1.0, head_y=1.0))
    assert box_difference(centred, moved, MOUTH_BOX) > 1


@pytest.mark.parametrize("state", list(State))
def test_every_state_renders_its_own_picture(face: DrawnFace, state: State) -> None:
    frame = pixels(face, FacePose(state=state, eyes_open=0.0 if state is State.SLEEPING else 1.0))
    others = [pixels(face, FacePose(state=s)) for s in State if s is not state]
    assert frame.shape == (512, 512, 3)
    for other in others:
        assert np.abs(frame - other).mean() > 0.3


def test_sleeping_looks_darker_than_listening(face: DrawnFace) -> None:
    sleeping = pixels(face, FacePose(state=State.SLEEPING, eyes_open=0.0))
    listening = pixels(face, FacePose(state=State.LISTENING))
    assert sleeping.mean() < listening.mean() - 40


@pytest.mark.parametrize("state", [State.LISTENING, State.THINKING, State.SLEEPING])
def test_state_badges_animate_over_time(face: DrawnFace, state: State) -> None:
    pose = FacePose(state=state)
    assert not np.array_equal(pixels(face, pose, 0.0), pixels(face, pose, 0.5))
