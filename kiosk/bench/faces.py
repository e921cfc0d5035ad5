"""Offscreen render speed of each face (drawn, photo) on one pinned CPU core.

The figure the avatar issue asks for is CPU work on one core: the renderer runs in a
thread pinned with ``os.sched_setaffinity`` to a single core, and besides wall-clock
frame times the thread's own CPU time per frame is recorded, so other load on a
shared machine shows as the gap between the two rather than as a slower renderer.
The photo face needs a prepared asset: the configured one, else one the bench makes
once from scikit-image's astronaut photo (NASA, public domain) and caches.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.bench.measure import summarise
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.config import Settings
    from kiosk.events import LipSyncTrack
    from kiosk.paths import Paths

__all__ = ["BENCH_ASSET", "bench_photo_asset", "measure_faces", "render_pinned"]

_LOGGER = logging.getLogger(__name__)

BENCH_ASSET = "bench-astronaut"
"""Name of the photo asset the bench prepares (under ``<data_dir>/bench/avatars``)."""


def _one_core() -> int:
    """The last core this process may run on (core 0 tends to take the interrupts)."""
    return max(os.sched_getaffinity(0))


def render_pinned(
    renderer: AvatarRenderer,
    animator: Animator,
    start: float,
    count: int,
    fps: int,
    core: int | None = None,
) -> dict[str, Any]:
    """Draw ``count`` frames from ``start`` at ``fps`` in a thread pinned to ``core``.

    Returns ``{"core", "frames", "fps", "fps_cpu", "frame_ms", "cpu_ms"}``: ``fps``
    from wall-clock frame times, ``fps_cpu`` from the thread's CPU time (the
    renderer's cost alone), both as 1000 / mean ms; ``frame_ms`` and ``cpu_ms`` are
    min/median/p95/max/n summaries. ``core`` defaults to the last allowed core.
    """
    core = _one_core() if core is None else core
    wall: list[float] = []
    cpu: list[float] = []
    pinned: list[set[int]] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            # On Linux the affinity of pid 0 is the calling thread's only.
            os.sched_setaffinity(0, {core})
            pinned.append(set(os.sched_getaffinity(0)))
            for i in range(count):
                t = start + i / fps
                began, began_cpu = time.perf_counter(), time.thread_time()
                renderer.draw(animator.pose_at(t), t)
                cpu.append((time.thread_time() - began_cpu) * 1000.0)
                wall.append((time.perf_counter() - began) * 1000.0)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=work, name=f"bench-render-core{core}")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]

    def rate(values: list[float]) -> float | None:
        mean = sum(values) / len(values) if values else 0.0
        return round(1000.0 / mean, 1) if mean > 0 else None

    return {
        "core": core,
        "pinned_to": sorted(pinned[0]) if pinned else [],
        "frames": len(wall),
        "fps": rate(wall),
        "fps_cpu": rate(cpu),
        "frame_ms": summarise(wall),
        "cpu_ms": summarise(cpu),
    }


def _astronaut_asset(cache: Path) -> tuple[Path, float]:
    """The astronaut asset in ``cache`` (prepared on first use); (folder, seconds spent)."""
    from kiosk.avatar.photo import load_asset, prepare_avatar
    from kiosk.avatar.photo.asset import asset_dir

    folder = asset_dir(cache, BENCH_ASSET)
    if (folder / "asset.toml").is_file():
        try:
            load_asset(folder)
            return folder, 0.0
        except KioskError as exc:
            _LOGGER.warning("cached bench avatar broken, preparing again: %s", exc)
    import numpy as np
    from PIL import Image
    from skimage import data

    cache.mkdir(parents=True, exist_ok=True)
    photo = cache / "astronaut.png"
    Image.fromarray(np.asarray(data.astronaut())).save(photo)
    # Enhancement changes the pixels, not the patch sizes: the render cost is the same.
    prepared = prepare_avatar(
        photo, cache, BENCH_ASSET, consent="bench sample photo", enhance=False
    )
    return prepared.folder, prepared.seconds


def bench_photo_asset(settings: Settings, paths: Paths) -> dict[str, Any]:
    """The photo asset to measure: ``{"folder", "source", "prepare_s"}`` or ``{"reason"}``.

    The configured ``avatar.photo_asset`` when it loads; otherwise the astronaut
    asset, prepared into ``<data_dir>/bench/avatars`` when mediapipe and
    scikit-image are installed.
    """
    if settings.avatar.photo_asset:
        from kiosk.avatar.photo import load_asset

        folder = Path(settings.avatar.photo_asset).expanduser()
        if not folder.is_absolute():
            folder = paths.avatars_dir / settings.avatar.photo_asset
        try:
            load_asset(folder)
            return {"folder": folder, "source": "configured", "prepare_s": 0.0}
        except (KioskError, ValueError) as exc:
            _LOGGER.warning("configured photo avatar unusable in the bench: %s", exc)
    # Asked without importing: mediapipe prints protobuf noise on import, and a cached
    # asset does not need it.
    for package in ("mediapipe", "skimage"):
        if importlib.util.find_spec(package) is None:
            return {"reason": f"нет подготовленного фото и нет пакета {package} для подготовки"}
    try:
        folder, seconds = _astronaut_asset(paths.data_dir / "bench" / "avatars")
    except (KioskError, ImportError, OSError, ValueError) as exc:
        return {"reason": f"фото-аватар не подготовлен: {exc}"}
    return {"folder": folder, "source": "astronaut (scikit-image)", "prepare_s": round(seconds, 1)}


def measure_faces(
    settings: Settings,
    paths: Paths,
    count: int,
    track: LipSyncTrack | None = None,
) -> dict[str, Any]:
    """Drawn and photo faces at ``avatar.size``, speaking ``track``, each on one pinned core.

    Both faces draw the same poses: a speaking animator replaying ``track`` (a
    syllable pattern when None) from its start, at ``min(avatar.fps, 30)``.

    Returns ``{"size", "core", "faces": {"drawn": {...}, "photo": {...}}}``; an
    unavailable face is ``{"available": False, "reason"}``, a measured one carries
    ``render_pinned``'s figures plus ``"available": True`` (and the asset for the photo).
    """
    from kiosk.avatar.face import DrawnFace
    from kiosk.bench.window import speaking_animator

    size = settings.avatar.size
    fps = min(settings.avatar.fps, 30)
    animator = speaking_animator(count / fps, (track.rate, track.openness) if track else None)
    start = 0.0
    core = _one_core()
    faces: dict[str, Any] = {}
    drawn = DrawnFace(size)
    render_pinned(drawn, animator, start, 5, fps, core)  # warm caches
    faces["drawn"] = {"available": True, **render_pinned(drawn, animator, start, count, fps, core)}
    photo = bench_photo_asset(settings, paths)
    if "folder" not in photo:
        faces["photo"] = {"available": False, "reason": photo["reason"]}
    else:
        from kiosk.avatar.photo.renderer import PhotoFace

        face = PhotoFace(photo["folder"], size)
        render_pinned(face, animator, start, 5, fps, core)
        faces["photo"] = {
            "available": True,
            "asset": Path(photo["folder"]).name,
            "asset_dir": str(photo["folder"]),
            "source": photo["source"],
            "prepare_s": photo["prepare_s"],
            **render_pinned(face, animator, start, count, fps, core),
        }
    return {"size": size, "core": core, "faces": faces}
