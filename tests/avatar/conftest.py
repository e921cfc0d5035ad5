"""Avatar tests draw on real pygame surfaces; SDL gets its dummy drivers (no screen here).

Real-ESRGAN is the slow part of preparing a photo, so each enhanced face is
prepared once per session (``tiny_face``, ``camera_face``) and shared by the tests
that look at it. Enhancement runs on one thread: on a machine busy with other
work ncnn's threads stall each other (96 s on two threads against 12 s on one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

if TYPE_CHECKING:
    import numpy as np

    from kiosk.avatar.photo.prepare import Prepared

ENHANCE_THREADS = 1


def _prepare(folder: Path, rgb: np.ndarray, name: str) -> Prepared:
    from PIL import Image

    from kiosk.avatar.photo import prepare_avatar

    photo = folder / f"{name}.png"
    Image.fromarray(rgb).save(photo)
    return prepare_avatar(photo, folder / "avatars", name, "--yes", threads=ENHANCE_THREADS)


@pytest.fixture(scope="session")
def tiny_face_photo() -> np.ndarray:
    """scikit-image's astronaut, her face cut out and shrunk to 96 px (a small face)."""
    skdata = pytest.importorskip("skimage.data")
    import numpy as np
    from PIL import Image

    crop = skdata.astronaut()[20:260, 110:350]
    return np.asarray(Image.fromarray(crop).resize((96, 96)))


@pytest.fixture(scope="session")
def tiny_face(tmp_path_factory: pytest.TempPathFactory, tiny_face_photo: np.ndarray) -> Prepared:
    """The 96 px face prepared with automatic enhancement (it is small, so Real-ESRGAN runs)."""
    pytest.importorskip("mediapipe")
    return _prepare(tmp_path_factory.mktemp("tiny"), tiny_face_photo, "tiny")


@pytest.fixture(scope="session")
def camera_face(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """scikit-image's "camera" (CC0, Lav Varshney) prepared with automatic enhancement.

    A man looking down into a camera, face in three-quarter profile, about 76 px
    wide, black and white: small, turned and downcast at once.
    """
    pytest.importorskip("mediapipe")
    skdata = pytest.importorskip("skimage.data")
    return _prepare(tmp_path_factory.mktemp("camera"), skdata.camera(), "camera")
