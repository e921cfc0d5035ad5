"""``prepare_avatar``: one face → a versioned asset; bad photos write nothing."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.avatar.photo import ASSET_VERSION, PhotoRejected, load_asset, prepare_avatar  # noqa: E402
from kiosk.avatar.photo.asset import CANVAS, EYE_LEVELS, MOUTH_LEVELS, MOUTH_VARIANTS  # noqa: E402
from kiosk.avatar.photo.enhance import laplacian_variance  # noqa: E402
from kiosk.avatar.photo.prepare import Prepared  # noqa: E402


def _save(rgb: np.ndarray, path: Path) -> Path:
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("astro")
    photo = _save(skdata.astronaut(), folder / "astronaut.jpg")
    avatars = folder / "avatars"
    prepare_avatar(photo, avatars, "astro", consent="prompt", enhance=False)
    return photo, avatars / "astro"


def test_prepare_writes_a_versioned_asset_with_source_and_consent(
    prepared: tuple[Path, Path],
) -> None:
    photo, folder = prepared
    meta = tomllib.loads((folder / "asset.toml").read_text(encoding="utf-8"))
    assert meta["version"] == ASSET_VERSION
    assert meta["source"]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert meta["consent"] == {"given": True, "how": "prompt", "at": meta["created"]}
    asset = load_asset(folder)
    assert asset.base.shape == (CANVAS, CANVAS, 3)
    assert asset.landmarks.shape == (478, 2)
    assert set(asset.mouths) == set(MOUTH_VARIANTS)
    assert asset.mouths["neutral"].shape[0] == MOUTH_LEVELS
    assert asset.eyes["neutral"].shape[0] == EYE_LEVELS
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_asset_aligns_the_eyes_level_near_the_top_third(prepared: tuple[Path, Path]) -> None:
    asset = load_asset(prepared[1])
    right, left = asset.landmarks[468], asset.landmarks[473]
    assert abs(right[1] - left[1]) < 3.0
    assert 0.35 * CANVAS < (right[1] + left[1]) / 2 < 0.5 * CANVAS
    assert 0.17 * CANVAS < left[0] - right[0] < 0.21 * CANVAS


def test_open_mouth_patches_darken_the_mouth_and_closed_eyes_hide_the_irises(
    prepared: tuple[Path, Path],
) -> None:
    asset = load_asset(prepared[1])
    x0, y0, _, _ = asset.mouth_box
    lips = asset.landmarks[[13, 14]] - (x0, y0)
    cx, cy = np.round(lips.mean(axis=0)).astype(int)
    closed = asset.mouths["neutral"][0].astype(float)
    opened = asset.mouths["neutral"][-1].astype(float)
    below = slice(cy + 6, cy + 26), slice(cx - 8, cx + 8)  # under the teeth, inside the mouth
    assert opened[below].mean() < closed[below].mean() - 40
    ex, ey, _, _ = asset.eye_box
    iris = np.round(asset.landmarks[468] - (ex, ey)).astype(int)
    spot = slice(iris[1] - 4, iris[1] + 1), slice(iris[0] - 2, iris[0] + 3)  # above the lash line
    shut, wide = asset.eyes["neutral"][0].astype(float), asset.eyes["neutral"][-1].astype(float)
    assert shut[spot].mean() > wide[spot].mean() + 25  # dark iris gone under a skin-coloured lid


@pytest.mark.parametrize("which", ["coffee", "gradient"])
def test_photo_without_a_face_is_rejected_and_nothing_is_written(
    which: str, tmp_path: Path
) -> None:
    if which == "coffee":
        rgb = skdata.coffee()
    else:
        ramp = np.linspace(0, 255, 300, dtype=np.uint8)
        rgb = np.dstack([np.tile(ramp, (200, 1))] * 3)
    photo = _save(rgb, tmp_path / f"{which}.png")
    with pytest.raises(PhotoRejected, match="не найдено лицо") as info:
        prepare_avatar(photo, tmp_path / "avatars", "x", consent="--yes")
    assert info.value.hint
    assert not (tmp_path / "avatars").exists() or not any((tmp_path / "avatars").iterdir())


def test_two_faces_are_rejected(tmp_path: Path) -> None:
    astro = skdata.astronaut()
    photo = _save(np.concatenate([astro, astro], axis=1), tmp_path / "two.png")
    with pytest.raises(PhotoRejected, match="несколько лиц"):
        prepare_avatar(photo, tmp_path / "avatars", "two", consent="--yes")
    assert not (tmp_path / "avatars").exists()


def test_unreadable_file_is_rejected_with_a_hint(tmp_path: Path) -> None:
    photo = tmp_path / "broken.jpg"
    photo.write_bytes(b"not really a jpeg" * 10)
    with pytest.raises(PhotoRejected, match="Не удаётся прочитать") as info:
        prepare_avatar(photo, tmp_path / "avatars", "b", consent="--yes")
    assert "JPEG" in info.value.hint


def test_face_too_small_is_rejected(tmp_path: Path) -> None:
    astro = skdata.astronaut()
    canvas = np.full((900, 900, 3), 200, np.uint8)
    canvas[400:448, 400:448] = np.asarray(Image.fromarray(astro).resize((48, 48)))
    photo = _save(canvas, tmp_path / "far.png")
    with pytest.raises(PhotoRejected, match="маленькое|не найдено"):
        prepare_avatar(photo, tmp_path / "avatars", "far", consent="--yes")


@pytest.mark.slow  # Real-ESRGAN once per session: ~6 s alone, ~16 s under load
def test_tiny_face_is_enhanced_sharper_than_bicubic(
    tiny_face: Prepared, tiny_face_photo: np.ndarray
) -> None:
    from kiosk.avatar.photo.detect import find_one_face
    from kiosk.avatar.photo.prepare import align_face

    done = tiny_face
    assert done.aligned.enhanced  # chosen automatically: the face is small
    meta = tomllib.loads((done.folder / "asset.toml").read_text(encoding="utf-8"))
    assert meta["face"]["enhanced"] is True
    bicubic = align_face(tiny_face_photo, find_one_face(tiny_face_photo), enhance=False)
    q = CANVAS // 4
    sharp = laplacian_variance(done.asset.base[q : 3 * q, q : 3 * q])
    soft = laplacian_variance(bicubic.image[q : 3 * q, q : 3 * q])
    assert sharp > 3 * soft
    kept = load_asset(done.folder).before  # the sheet compares against this one
    assert kept is not None
    assert np.abs(kept.astype(int) - bicubic.image).mean() < 2


def test_frontal_face_gets_no_warning_and_its_yaw_is_recorded(
    prepared: tuple[Path, Path],
) -> None:
    from kiosk.avatar.photo.detect import find_one_face
    from kiosk.avatar.photo.pose import head_yaw_deg, pose_warnings

    pts = find_one_face(skdata.astronaut())
    assert abs(head_yaw_deg(pts)) < 10
    assert pose_warnings(pts) == ()
    meta = tomllib.loads((prepared[1] / "asset.toml").read_text(encoding="utf-8"))
    assert abs(meta["face"]["yaw_deg"]) < 10
    assert load_asset(prepared[1]).before is None  # not enhanced: nothing to compare
