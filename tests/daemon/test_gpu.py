"""How many LLM layers go to the GPU, and the fall back when loading runs out of memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Settings
from kiosk.daemon.gpu import (
    CPU_NOTICE,
    gguf_block_count,
    load_brain,
    load_with_fallback,
    plan_llm_layers,
)
from kiosk.errors import ModelCorrupt
from kiosk.paths import resolve_paths


def _cuda_oom(layers: int) -> ModelCorrupt:
    # What LlamaEngine raises when llama.cpp's CUDA allocation fails at load.
    return ModelCorrupt(
        f"model.gguf: llama.cpp cannot load it (Failed to load model from file; {layers} layers)",
        "…",
    )


def test_gguf_layer_count_is_read_from_the_file(smollm2_gguf: Path) -> None:
    assert gguf_block_count(smollm2_gguf) == 30  # SmolLM2-135M has 30 blocks


def test_a_file_that_is_not_gguf_has_no_layer_count(tmp_path: Path) -> None:
    bogus = tmp_path / "x.gguf"
    bogus.write_bytes(b"NOPE" + bytes(100))
    assert gguf_block_count(bogus) is None


def test_layers_follow_free_vram_and_the_budget_minus_stt(smollm2_gguf: Path) -> None:
    common: dict[str, Any] = {"model_path": smollm2_gguf, "n_ctx": 4096}
    plenty = plan_llm_layers(free_mb=11000, vram_budget_mb=10240, stt_on_gpu=True, **common)
    assert plenty.layers == plenty.total == 31
    assert (
        plan_llm_layers(free_mb=None, vram_budget_mb=10240, stt_on_gpu=False, **common).layers == 0
    )
    # 98 MB model: ~3.2 MiB a layer. 1100 MiB free − 512 headroom − 512 context → ~23 layers.
    tight = plan_llm_layers(free_mb=1100, vram_budget_mb=10240, stt_on_gpu=False, **common)
    assert 15 <= tight.layers < 31
    # The same card while STT also wants its share of a small budget: fewer layers still.
    shared = plan_llm_layers(free_mb=1100, vram_budget_mb=1200, stt_on_gpu=True, **common)
    assert shared.layers < tight.layers


def test_out_of_memory_retries_with_half_the_layers_then_the_cpu() -> None:
    tried: list[int] = []

    def load(layers: int) -> str:
        tried.append(layers)
        if layers > 0:
            raise _cuda_oom(layers)
        return "brain on the CPU"

    loaded, used, notice = load_with_fallback(load, 33)
    assert (loaded, used, notice) == ("brain on the CPU", 0, CPU_NOTICE)
    assert tried == [33, 16, 0]


def test_half_the_layers_may_be_enough() -> None:
    def load(layers: int) -> int:
        if layers > 20:
            raise RuntimeError("CUDA error: out of memory")
        return layers

    loaded, used, notice = load_with_fallback(load, 33)
    assert loaded == used == 16
    assert "16 из 33" in notice


def test_a_model_that_fails_on_the_cpu_too_raises() -> None:
    def load(layers: int) -> None:
        raise _cuda_oom(layers)

    with pytest.raises(ModelCorrupt):
        load_with_fallback(load, 8)


def test_the_daemon_brain_falls_back_to_the_cpu_and_says_so(
    tmp_path: Path, smollm2_gguf: Path
) -> None:
    settings = Settings(
        paths={"data_dir": tmp_path},  # type: ignore[arg-type]
        brain={"engine": "auto", "llm_model": str(smollm2_gguf)},  # type: ignore[arg-type]
        stt={"device": "cpu"},  # type: ignore[arg-type]
    )
    paths = resolve_paths(settings).ensure()
    asked: list[tuple[str, int]] = []

    def make(s: Settings, p: Any) -> Any:
        asked.append((s.brain.engine, s.brain.n_gpu_layers))
        if s.brain.n_gpu_layers > 0:
            raise _cuda_oom(s.brain.n_gpu_layers)
        return "cpu brain"

    brain, notice = load_brain(settings, paths, free_vram_mb=12000.0, make=make)
    assert brain == "cpu brain" and notice == CPU_NOTICE
    assert asked == [("llm", 31), ("llm", 15), ("auto", 0)]
    # No GPU: the configured engine as it is, nothing planned.
    asked.clear()
    assert load_brain(settings, paths, free_vram_mb=None, make=make) == ("cpu brain", "")
    assert asked == [("auto", -1)]
