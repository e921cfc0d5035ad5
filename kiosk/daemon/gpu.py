"""The LLM's share of the GPU: how many layers to offload, and falling back when they do not fit.

With ``brain.n_gpu_layers = -1`` (auto) and a GPU present, the layers are chosen from the
free VRAM and ``daemon.vram_budget_mb`` minus what speech recognition needs. When loading
still runs out of GPU memory, it is retried with half the layers, then on the CPU; the
parent sees a notice ("мозг работает на процессоре: мало видеопамяти").
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from kiosk.daemon.resources import choose_gpu_layers, split_budget
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.brain import Brain
    from kiosk.config import Settings
    from kiosk.paths import Paths

__all__ = [
    "CPU_NOTICE",
    "LayerPlan",
    "gguf_block_count",
    "load_brain",
    "load_with_fallback",
    "plan_llm_layers",
]

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

CPU_NOTICE = "мозг работает на процессоре: мало видеопамяти"
"""What the parent sees when the LLM could not be placed on the GPU at all."""

_KV_MB_PER_4K_CTX = 512.0
"""KV cache plus compute buffers of an 8B Q4 model at 4096 tokens (llama.cpp, f16 cache)."""

# GGUF value types (gguf spec): sizes of the fixed-width ones.
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY, _UINT32, _INT32, _UINT64 = 8, 9, 4, 5, 10


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """Layers to offload and why."""

    layers: int
    """``n_gpu_layers`` to ask llama.cpp for (0: CPU)."""
    total: int
    """Layers in the model (0 when unknown)."""
    reason: str
    """One line for the log."""


def _read_str(f: BinaryIO) -> bytes:
    (length,) = struct.unpack("<Q", f.read(8))
    return f.read(length)


def _skip_value(f: BinaryIO, kind: int) -> None:
    if kind in _FIXED:
        f.seek(_FIXED[kind], 1)
    elif kind == _STRING:
        _read_str(f)
    elif kind == _ARRAY:
        item, count = struct.unpack("<IQ", f.read(12))
        if item in _FIXED:
            f.seek(_FIXED[item] * count, 1)
        else:
            for _ in range(count):
                _skip_value(f, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


def gguf_block_count(path: Path) -> int | None:
    """The number of transformer blocks (``<arch>.block_count``) in a GGUF; None if unreadable."""
    try:
        with Path(path).open("rb") as f:
            if f.read(4) != b"GGUF":
                return None
            version, _tensors, kv_count = struct.unpack("<IQQ", f.read(20))
            if version < 2:
                return None
            for _ in range(kv_count):
                key = _read_str(f)
                (kind,) = struct.unpack("<I", f.read(4))
                if key.endswith(b".block_count") and kind in (_UINT32, _INT32, _UINT64):
                    fmt = "<Q" if kind == _UINT64 else "<i" if kind == _INT32 else "<I"
                    return int(struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0])
                _skip_value(f, kind)
    except (OSError, ValueError, struct.error) as exc:
        _LOGGER.warning("cannot read GGUF metadata of %s: %s", path, exc)
    return None


def plan_llm_layers(
    *,
    model_path: Path,
    free_mb: float | None,
    vram_budget_mb: float,
    n_ctx: int,
    stt_on_gpu: bool,
) -> LayerPlan:
    """Layers of ``model_path`` to offload given the free VRAM and the kiosk's budget.

    Speech recognition loads after the brain, so its share of the budget is kept back
    from both the budget and the free memory when it will run on the GPU.
    """
    total = gguf_block_count(model_path) or 0
    if free_mb is None:
        return LayerPlan(0, total, "no GPU")
    if total <= 0:
        return LayerPlan(0, total, "layer count unknown: CPU")
    stt_mb = split_budget(vram_budget_mb)["stt"] if stt_on_gpu else 0.0
    model_mb = model_path.stat().st_size / (1024 * 1024)
    # llama.cpp offloads the output layer too: n_layers + 1 covers the whole model.
    layers = choose_gpu_layers(
        model_mb=model_mb,
        n_layers=total + 1,
        free_mb=free_mb - stt_mb,
        budget_mb=vram_budget_mb - stt_mb,
        context_mb=_KV_MB_PER_4K_CTX * n_ctx / 4096,
    )
    reason = (
        f"{layers}/{total + 1} layers: model {model_mb:.0f} MiB, free {free_mb:.0f} MiB, "
        f"budget {vram_budget_mb:.0f} MiB, STT {stt_mb:.0f} MiB"
    )
    return LayerPlan(layers, total + 1, reason)


def load_with_fallback(load: Callable[[int], T], layers: int) -> tuple[T, int, str]:
    """``load(layers)``, retried with half the layers, then 0 (CPU), on load failures.

    Returns (what ``load`` returned, the layers that worked, a notice for the parent or
    ""). The last attempt's error propagates.
    """
    attempts = [layers]
    if layers > 1:
        attempts.append(layers // 2)
    if layers > 0:
        attempts.append(0)
    for attempt in attempts:
        try:
            loaded = load(attempt)
        except (KioskError, ValueError, RuntimeError, MemoryError) as exc:
            if attempt == 0:
                raise
            _LOGGER.warning(
                "loading with %d GPU layers failed (%s); trying fewer",
                attempt,
                exc,
                extra={"stage": "brain"},
            )
            continue
        if attempt == layers:
            return loaded, attempt, ""
        notice = (
            CPU_NOTICE
            if attempt == 0
            else f"мозг: {attempt} из {layers} слоёв на видеокарте (мало видеопамяти)"
        )
        _LOGGER.warning("brain loaded with %d GPU layers: %s", attempt, notice)
        return loaded, attempt, notice
    raise AssertionError("unreachable: the CPU attempt returns or raises")


def _with_layers(settings: Settings, layers: int, engine: str | None = None) -> Settings:
    update: dict[str, object] = {"n_gpu_layers": layers}
    if engine is not None:
        update["engine"] = engine
    return settings.model_copy(update={"brain": settings.brain.model_copy(update=update)})


def load_brain(
    settings: Settings,
    paths: Paths,
    free_vram_mb: float | None,
    make: Callable[[Settings, Paths], Brain] | None = None,
) -> tuple[Brain, str]:
    """The brain, its LLM placed within the VRAM budget; returns (brain, notice or "").

    Only ``brain.n_gpu_layers = -1`` with a GPU (``free_vram_mb`` not None) and a local
    GGUF is planned here; anything else is ``make_brain`` as configured.
    """
    from kiosk.brain import llm_model_path, make_brain

    make = make or make_brain
    brain = settings.brain
    if brain.n_gpu_layers != -1 or free_vram_mb is None or brain.engine not in ("auto", "llm"):
        return make(settings, paths), ""
    try:
        model_path = llm_model_path(settings, paths)
    except KioskError:
        model_path = None
    if model_path is None or not model_path.is_file():
        return make(settings, paths), ""
    from kiosk.stt.whisper import pick_device

    plan = plan_llm_layers(
        model_path=model_path,
        free_mb=free_vram_mb,
        vram_budget_mb=settings.daemon.vram_budget_mb,
        n_ctx=brain.n_ctx,
        stt_on_gpu=settings.stt.engine == "whisper" and pick_device(settings.stt.device) == "cuda",
    )
    _LOGGER.info("LLM on the GPU: %s", plan.reason, extra={"stage": "brain"})

    def attempt(layers: int) -> Brain:
        # GPU attempts name the LLM explicitly so a failure is seen (auto would hide it
        # behind the scripted brain); the CPU attempt is the configured engine again.
        if layers > 0:
            return make(_with_layers(settings, layers, engine="llm"), paths)
        return make(_with_layers(settings, 0), paths)

    if plan.layers == 0:
        loaded = attempt(0)
        return loaded, CPU_NOTICE if plan.total else ""
    loaded, _used, notice = load_with_fallback(attempt, plan.layers)
    return loaded, notice
