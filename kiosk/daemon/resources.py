"""What the kiosk uses: CPU and RAM (psutil), the GPU and its VRAM (NVML), and the VRAM budget.

Without an NVIDIA GPU (or without ``nvidia-ml-py``) every GPU answer is ``None`` and the
budget helpers choose the CPU: the same code runs on the kiosk PC and on a laptop.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "DEFAULT_SHARES",
    "GpuSample",
    "ResourceMonitor",
    "ResourceSample",
    "choose_gpu_layers",
    "split_budget",
]

_LOGGER = logging.getLogger(__name__)

_MIB = 1024 * 1024

DEFAULT_SHARES: Mapping[str, float] = {"llm": 0.70, "stt": 0.15, "tts": 0.10, "avatar": 0.05}
"""Fraction of the VRAM budget each stage may use; the LLM is the big one."""


@dataclass(frozen=True, slots=True)
class GpuSample:
    """One reading of the GPU."""

    name: str
    """Device name, e.g. ``NVIDIA GeForce RTX 3060``."""
    vram_total_mb: float
    """MiB of memory on the card."""
    vram_used_mb: float
    """MiB in use by every process."""
    per_process_mb: float
    """MiB used by this process (0 when the driver does not say)."""


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """One reading of the kiosk process and the GPU."""

    cpu_percent: float
    """CPU use of this process since the previous sample (100 = one core)."""
    ram_mb: float
    """Resident memory of this process in MiB."""
    gpu: GpuSample | None
    """The GPU, or None when there is none (or NVML is missing)."""

    def as_dict(self) -> dict[str, Any]:
        """The sample as the control socket sends it."""
        return asdict(self)


class _Nvml:
    """A thin wrapper around ``pynvml`` for GPU 0; ``available`` is False without one."""

    def __init__(self) -> None:
        self.available = False
        self._handle: Any = None
        self._nvml: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            self._nvml = pynvml
            self.available = True
        except Exception as exc:  # ImportError, NVMLError (no driver, no device)
            _LOGGER.info("no GPU monitoring (%s): CPU only", exc)

    def sample(self, pid: int) -> GpuSample | None:
        if not self.available:
            return None
        nvml = self._nvml
        try:
            name = nvml.nvmlDeviceGetName(self._handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(self._handle)
            mine = 0
            for proc in nvml.nvmlDeviceGetComputeRunningProcesses(self._handle):
                if proc.pid == pid and proc.usedGpuMemory:
                    mine += proc.usedGpuMemory
        except Exception as exc:  # the driver went away: report CPU only from now on
            _LOGGER.warning("GPU reading failed (%s); monitoring stops", exc)
            self.available = False
            return None
        return GpuSample(
            name=name.decode() if isinstance(name, bytes) else str(name),
            vram_total_mb=round(memory.total / _MIB, 1),
            vram_used_mb=round(memory.used / _MIB, 1),
            per_process_mb=round(mine / _MIB, 1),
        )

    def close(self) -> None:
        if self.available:
            try:
                self._nvml.nvmlShutdown()
            except Exception as exc:
                _LOGGER.debug("nvmlShutdown: %s", exc)
            self.available = False


class ResourceMonitor:
    """Samples this process's CPU/RAM and the GPU; cheap enough to call every second."""

    def __init__(self, pid: int | None = None) -> None:
        """Watch process ``pid`` (default: this one)."""
        import psutil

        self.pid = pid or os.getpid()
        self._process = psutil.Process(self.pid)
        self._process.cpu_percent(None)  # the first call only starts the measurement
        self._nvml = _Nvml()
        self._lock = threading.Lock()

    @property
    def has_gpu(self) -> bool:
        """True while an NVIDIA GPU is being monitored."""
        return self._nvml.available

    def sample(self) -> ResourceSample:
        """CPU since the last call, resident RAM and the GPU now."""
        with self._lock:
            cpu = self._process.cpu_percent(None)
            ram = self._process.memory_info().rss / _MIB
            gpu = self._nvml.sample(self.pid)
        return ResourceSample(cpu_percent=round(cpu, 1), ram_mb=round(ram, 1), gpu=gpu)

    def free_vram_mb(self) -> float | None:
        """MiB free on the GPU now, or None without one."""
        gpu = self.sample().gpu
        return None if gpu is None else gpu.vram_total_mb - gpu.vram_used_mb

    def close(self) -> None:
        """Release NVML."""
        self._nvml.close()


def split_budget(
    budget_mb: float, shares: Mapping[str, float] = DEFAULT_SHARES
) -> dict[str, float]:
    """MiB of the VRAM budget each stage may use (shares are normalised to sum to 1)."""
    if budget_mb < 0:
        raise ValueError("budget_mb must not be negative")
    total = sum(shares.values())
    if total <= 0:
        return dict.fromkeys(shares, 0.0)
    return {stage: round(budget_mb * share / total, 1) for stage, share in shares.items()}


def choose_gpu_layers(
    *,
    model_mb: float,
    n_layers: int,
    free_mb: float | None,
    budget_mb: float,
    context_mb: float = 512.0,
    headroom_mb: float = 512.0,
) -> int:
    """Layers of a GGUF to offload to the GPU (llama.cpp ``n_gpu_layers``); 0 means CPU.

    ``model_mb`` is the file size, spread evenly over ``n_layers``; ``context_mb`` the KV
    cache and compute buffers that must also fit; ``headroom_mb`` is kept free for the
    driver and other stages. The room is the smaller of the LLM's ``budget_mb`` and what is
    ``free_mb`` on the card now (``None``: no GPU). Returns ``n_layers`` when all fit; the
    offloaded count when part fits; 0 when not even the context and one layer do.
    """
    if free_mb is None or n_layers <= 0 or model_mb <= 0:
        return 0
    room = min(budget_mb, free_mb - headroom_mb) - context_mb
    per_layer = model_mb / n_layers
    if room < per_layer:
        return 0
    return min(n_layers, math.floor(room / per_layer))
