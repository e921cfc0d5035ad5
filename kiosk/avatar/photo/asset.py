"""The prepared photo avatar on disk: a versioned folder written atomically.

``<avatars_dir>/<name>/`` holds ``asset.toml`` (version, source sha256, consent,
created, geometry), ``base.png`` (the aligned face on a canvas a little larger
than the frame, so the head can move), ``mesh.npz`` (478 landmarks and the
triangles) and ``frames.npz`` (mouth patches per variant × openness — the emotion
mouths and the rounded and pressed viseme mouths —, eye patches per brow variant ×
openness, open eyes per brow variant × gaze step, with their boxes), and for an
enhanced face ``before.png`` (the plain bicubic canvas, for comparison on the contact
sheet). Version 1 assets (no gaze patches) still load; their eyes do not move; v1 and
v2 assets (no viseme, worried or concerned patches) show neutral ones instead.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.avatar.photo.shapes import MouthShape
from kiosk.avatar.photo.warp import Box
from kiosk.errors import ModelCorrupt, ModelMissing

__all__ = [
    "ASSET_VERSION",
    "BROW_VARIANTS",
    "CANVAS",
    "EMOTION_FACES",
    "EYE_LEVELS",
    "FRAME",
    "GAZE_IRIS_SHIFT",
    "GAZE_STEPS",
    "MARGIN",
    "MOUTH_LEVELS",
    "MOUTH_VARIANTS",
    "VISEME_MOUTHS",
    "PhotoAsset",
    "asset_dir",
    "list_assets",
    "load_asset",
    "save_asset",
]

_LOGGER = logging.getLogger(__name__)

ASSET_VERSION = 3
"""Bumped when the folder layout changes; older assets must be prepared again."""
_READABLE = (1, 2, ASSET_VERSION)
"""Versions ``load_asset`` accepts (v1 lacks the gaze patches, v1 and v2 the viseme and
worried mouths and brows)."""
FRAME = 512
"""Side of the rendered frame the asset is made for, pixels."""
MARGIN = 16
"""Extra canvas on each side of the frame (room for head motion), pixels."""
CANVAS = FRAME + 2 * MARGIN
MOUTH_LEVELS = 9
"""Mouth openness steps 0..1 (the renderer blends neighbours)."""
EYE_LEVELS = 5
"""Eye openness steps 0 (shut) .. 1 (open)."""
MOUTH_VARIANTS: dict[str, MouthShape] = {
    "neutral": MouthShape(),
    "happy": MouthShape(corners=1.0),
    "sad": MouthShape(corners=-1.0, closed=1.0),
    "concern": MouthShape(corners=-0.55, closed=0.8),
    "O": MouthShape(closed=1.0, width=0.55, opening=1.3, rounded=1.0),
    "U": MouthShape(closed=1.0, width=0.45, opening=1.4, rounded=1.0),
    "MBP": MouthShape(closed=1.0, opening=0.25, pressed=1.0),
}
"""Mouth patch sets: emotion mouths, then the viseme mouths of ``VISEME_MOUTHS``."""
VISEME_MOUTHS = frozenset({"O", "U", "MBP"})
"""Viseme labels (``kiosk.voice.lipsync.VISEMES``) with a mouth set of their own: rounded
"О"/"У" and pressed "М"/"Б"/"П". Other visemes open the emotion's mouth."""
_CORE_MOUTHS = frozenset({"neutral", "happy", "sad"})
"""Mouth sets every readable asset has (version 2 lacks the rest; they fall back)."""
BROW_VARIANTS: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    "raised": (1.0, 0.0),
    "worried": (0.0, 1.0),
    "concerned": (0.0, 0.55),
}
"""Brow variant → (raise of the whole brows, raise of their inner ends), each 0..1."""
GAZE_STEPS: tuple[tuple[float, float], ...] = (
    (-1.0, 0.0),
    (-0.5, 0.0),
    (0.5, 0.0),
    (1.0, 0.0),
    (0.0, -1.0),
    (0.0, 1.0),
)
"""Gaze patches (x, y) in units of ``GAZE_IRIS_SHIFT``: left, a little left, a little
right, right (image axes), up, down. The open-eye patch is gaze (0, 0)."""
GAZE_IRIS_SHIFT = 0.6
"""Iris travel at gaze ±1, in iris radii."""
EMOTION_FACES: dict[str, tuple[str, str]] = {
    "neutral": ("neutral", "neutral"),
    "happy": ("happy", "neutral"),
    "excited": ("happy", "raised"),
    "sad": ("sad", "worried"),
    "surprised": ("neutral", "raised"),
    "thinking": ("neutral", "neutral"),
    "calm": ("neutral", "neutral"),
    "concern": ("concern", "concerned"),
}
"""Emotion label (``kiosk.brain.emotion``) → (mouth variant, brow variant).

An older asset without a variant shows the neutral one instead."""

_PREPARE_HINT = "подготовьте аватар заново: kiosk avatar prepare ФОТО --name ИМЯ"


@dataclass(frozen=True, eq=False)
class PhotoAsset:
    """Everything the renderer needs, loaded in memory."""

    name: str
    base: np.ndarray
    """CANVAS×CANVAS×3 RGB: the aligned face."""
    landmarks: np.ndarray
    """478×2 mesh points on the canvas."""
    triangles: np.ndarray
    """K×3 indices of the warp mesh (landmarks + fixed anchors)."""
    mouth_box: Box
    eye_box: Box
    mouths: dict[str, np.ndarray]
    """Mouth variant → MOUTH_LEVELS×h×w×3 patches for ``mouth_box``."""
    eyes: dict[str, np.ndarray]
    """Brow variant → EYE_LEVELS×h×w×3 patches for ``eye_box`` (index 0 shut)."""
    gaze: dict[str, np.ndarray] = field(default_factory=dict)
    """Brow variant → len(GAZE_STEPS)×h×w×3 open-eye patches for ``eye_box`` (may be empty)."""
    before: np.ndarray | None = None
    """CANVAS×CANVAS×3 RGB: the face upscaled plainly (bicubic) when ``base`` was enhanced."""
    meta: dict[str, Any] = field(default_factory=dict)
    """What ``asset.toml`` says (version, source, consent, created, timings)."""
    folder: Path | None = None


def asset_dir(avatars_dir: Path, name: str) -> Path:
    """The folder of asset ``name``; the name must be a plain folder name."""
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ValueError(f"bad avatar name {name!r}")
    return Path(avatars_dir) / name


def list_assets(avatars_dir: Path) -> list[str]:
    """Names of the prepared assets (folders with an ``asset.toml``)."""
    folder = Path(avatars_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "asset.toml").is_file())


def _toml(meta: dict[str, Any]) -> str:
    import tomlkit

    return tomlkit.dumps(meta)


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def save_asset(asset: PhotoAsset, avatars_dir: Path) -> Path:
    """Write ``asset`` to ``avatars_dir/<name>/`` atomically; return the folder.

    The files go to a temporary sibling folder first, which then replaces the old
    asset in one rename: a reader sees the old asset or the new one, never half.
    """
    target = asset_dir(avatars_dir, asset.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{asset.name}.", suffix=".tmp", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the daemon user must read it
        (tmp / "base.png").write_bytes(_png(asset.base))
        if asset.before is not None:
            (tmp / "before.png").write_bytes(_png(asset.before))
        np.savez_compressed(tmp / "mesh.npz", landmarks=asset.landmarks, triangles=asset.triangles)
        frames: dict[str, np.ndarray] = {
            "mouth_box": np.array(asset.mouth_box),
            "eye_box": np.array(asset.eye_box),
        }
        frames |= {f"mouth_{k}": v for k, v in asset.mouths.items()}
        frames |= {f"eyes_{k}": v for k, v in asset.eyes.items()}
        frames |= {f"gaze_{k}": v for k, v in asset.gaze.items()}
        np.savez_compressed(tmp / "frames.npz", **frames)  # type: ignore[arg-type]
        (tmp / "asset.toml").write_text(_toml(asset.meta), encoding="utf-8")
        for path in tmp.iterdir():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        old = None
        if target.exists():
            old = target.with_name(f".{asset.name}.{os.getpid()}.old")
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _LOGGER.info("avatar asset %s written to %s", asset.name, target)
    return target


def load_asset(folder: Path) -> PhotoAsset:
    """Read a prepared asset folder; ``ModelMissing``/``ModelCorrupt`` when it is unusable."""
    from PIL import Image

    folder = Path(folder)
    meta_path = folder / "asset.toml"
    if not meta_path.is_file():
        raise ModelMissing(f"Аватар {folder.name} не подготовлен ({folder})", _PREPARE_HINT)
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("version") not in _READABLE:
            raise ModelCorrupt(
                f"Аватар {folder.name} сделан другой версией (v{meta.get('version')}, "
                f"нужна v{ASSET_VERSION})",
                _PREPARE_HINT,
            )
        with Image.open(folder / "base.png") as im:
            base = np.asarray(im.convert("RGB"), dtype=np.uint8)
        before = None
        if (folder / "before.png").is_file():  # optional: only enhanced faces have it
            with Image.open(folder / "before.png") as im:
                before = np.asarray(im.convert("RGB"), dtype=np.uint8)
        with np.load(folder / "mesh.npz") as mesh:
            landmarks, triangles = mesh["landmarks"], mesh["triangles"]
        with np.load(folder / "frames.npz") as frames:
            mouths = {
                k[6:]: frames[k]
                for k in frames.files
                if k.startswith("mouth_") and k != "mouth_box"
            }
            eyes = {k[5:]: frames[k] for k in frames.files if k.startswith("eyes_")}
            gaze = {k[5:]: frames[k] for k in frames.files if k.startswith("gaze_")}
            mouth_box = _box(frames["mouth_box"])
            eye_box = _box(frames["eye_box"])
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ModelCorrupt(f"Файлы аватара {folder.name} повреждены: {exc}", _PREPARE_HINT) from exc
    if base.shape != (CANVAS, CANVAS, 3) or not _CORE_MOUTHS <= set(mouths):
        raise ModelCorrupt(f"Файлы аватара {folder.name} неполные", _PREPARE_HINT)
    return PhotoAsset(
        name=str(meta.get("name", folder.name)),
        base=base,
        landmarks=landmarks,
        triangles=triangles,
        mouth_box=mouth_box,
        eye_box=eye_box,
        mouths=mouths,
        eyes=eyes,
        gaze=gaze if set(gaze) == set(eyes) else {},
        before=before,
        meta=meta,
        folder=folder,
    )


def _box(values: np.ndarray) -> Box:
    x0, y0, x1, y1 = (int(v) for v in values)
    return (x0, y0, x1, y1)
