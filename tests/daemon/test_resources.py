"""Resource readings (CPU path here: no GPU) and the VRAM budget arithmetic."""

from __future__ import annotations

import pytest

from kiosk.config import Settings
from kiosk.daemon.resources import (
    DEFAULT_SHARES,
    ResourceMonitor,
    choose_gpu_layers,
    split_budget,
)


def test_monitor_reads_this_process_and_no_gpu_here() -> None:
    monitor = ResourceMonitor()
    try:
        sum(i * i for i in range(300_000))  # some CPU to measure
        sample = monitor.sample()
    finally:
        monitor.close()
    assert sample.ram_mb > 10
    assert sample.cpu_percent >= 0
    assert sample.gpu is None and not monitor.has_gpu
    assert monitor.free_vram_mb() is None
    assert sample.as_dict() == {
        "cpu_percent": sample.cpu_percent,
        "ram_mb": sample.ram_mb,
        "gpu": None,
    }


def test_default_budget_fits_a_12_gb_card_with_headroom() -> None:
    budget = Settings().daemon.vram_budget_mb
    assert 8 * 1024 <= budget <= 12 * 1024 - 1024
    shares = split_budget(budget)
    assert set(shares) == set(DEFAULT_SHARES)
    assert sum(shares.values()) == pytest.approx(budget, abs=1)
    assert shares["llm"] == pytest.approx(7168.0)


@pytest.mark.parametrize(
    ("model_mb", "layers", "free_mb", "budget_mb", "expected"),
    [
        (4370, 32, None, 7168, 0),  # no GPU: CPU
        (4370, 32, 11800, 7168, 32),  # Llama-3-8B Q4_K_M fits in the LLM share
        (4370, 32, 4000, 7168, 21),  # busy card: (4000-512-512)/136.6 → 21 layers
        (4370, 32, 1200, 7168, 1),  # only a sliver free
        (4370, 32, 1000, 7168, 0),  # not even one layer beside the context
        (8500, 40, 11800, 7168, 31),  # a 14B Q4 is capped by the budget, not the card
        (1000, 0, 11800, 7168, 0),  # unknown layer count: CPU
    ],
)
def test_gpu_layers_follow_free_vram_and_budget(
    model_mb: float, layers: int, free_mb: float | None, budget_mb: float, expected: int
) -> None:
    got = choose_gpu_layers(
        model_mb=model_mb, n_layers=layers, free_mb=free_mb, budget_mb=budget_mb
    )
    assert got == expected


def test_split_budget_normalises_and_refuses_negative() -> None:
    assert split_budget(1000, {"llm": 3, "stt": 1}) == {"llm": 750.0, "stt": 250.0}
    with pytest.raises(ValueError):
        split_budget(-1)
