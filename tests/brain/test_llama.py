from __future__ import annotations

import threading
from contextlib import aclosing
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.brain.core import Brain
from kiosk.brain.llama import LlamaEngine, choose_gpu_layers
from kiosk.brain.persona import Persona
from kiosk.config import BrainSettings
from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.events import ReplyDone, ReplyToken


@pytest.mark.parametrize(
    ("requested", "gpu", "expected"),
    [(-1, False, 0), (-1, True, -1), (20, False, 0), (20, True, 20), (0, True, 0)],
)
def test_gpu_layers_follow_the_build(requested: int, gpu: bool, expected: int) -> None:
    assert choose_gpu_layers(requested, gpu) == expected


def test_missing_model_file_is_model_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="not found"):
        LlamaEngine(tmp_path / "nope.gguf")


def test_file_that_is_not_gguf_is_model_corrupt(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelCorrupt, match="not a GGUF"):
        LlamaEngine(bad)


@pytest.mark.slow
def test_truncated_gguf_is_model_corrupt(tmp_path: Path, smollm2_gguf: Path) -> None:
    pytest.importorskip("llama_cpp")
    bad = tmp_path / "cut.gguf"
    bad.write_bytes(smollm2_gguf.read_bytes()[: 1 << 20])
    with pytest.raises(ModelCorrupt):
        LlamaEngine(bad, n_ctx=256)


@pytest.fixture(scope="module")
def smollm2(llama_works: Path) -> LlamaEngine:
    return LlamaEngine(llama_works, n_ctx=4096, n_gpu_layers=-1, threads=2, seed=1)


@pytest.mark.slow
def test_llama_streams_a_reply(smollm2: LlamaEngine) -> None:
    assert isinstance(smollm2, LLMEngine)
    assert smollm2.name == "llm:SmolLM2-135M-Instruct.Q4_1"
    pieces = list(
        smollm2.stream(
            [ChatMessage("user", "Say hello.")],
            GenerationOptions(max_tokens=16, temperature=0.0),
            threading.Event(),
        )
    )
    assert len(pieces) >= 2
    assert "".join(pieces).strip()


@pytest.mark.slow
def test_llama_stops_on_cancel(smollm2: LlamaEngine) -> None:
    cancel = threading.Event()
    stream = smollm2.stream(
        [ChatMessage("user", "Count from one to one hundred.")],
        GenerationOptions(max_tokens=200, temperature=0.0),
        cancel,
    )
    next(stream)
    cancel.set()
    assert len(list(stream)) <= 1


@pytest.mark.slow
async def test_brain_on_llama_streams_tokens(smollm2: LlamaEngine, anya: Persona) -> None:
    brain = Brain(smollm2, anya, BrainSettings(max_tokens=24, temperature=0.0))
    async with aclosing(brain.reply("Hello! What is your name?")) as events:
        collected = [event async for event in events]
    done = collected[-1]
    assert isinstance(done, ReplyDone)
    assert done.engine.startswith("llm:")
    assert sum(isinstance(e, ReplyToken) for e in collected) >= 2


def test_old_history_is_dropped_to_fit_the_context(llama_works: Path) -> None:
    from kiosk.brain.base import ChatMessage

    engine = LlamaEngine(llama_works, n_ctx=512, threads=2, seed=1)
    history = [
        ChatMessage(role="user" if i % 2 == 0 else "assistant", content="word " * 60)
        for i in range(10)
    ]
    messages = [ChatMessage(role="system", content="Be brief."), *history]
    messages.append(ChatMessage(role="user", content="Say hi."))
    fitted, max_tokens = engine._fit_to_context(messages, 100)
    assert fitted[0].role == "system"
    assert fitted[-1].content == "Say hi."
    assert 2 < len(fitted) < len(messages)
    assert max_tokens >= 48


def test_prompt_that_cannot_fit_is_a_clear_error(llama_works: Path) -> None:
    from kiosk.brain.base import ChatMessage
    from kiosk.brain.llama import ContextTooSmall

    engine = LlamaEngine(llama_works, n_ctx=256, threads=2, seed=1)
    messages = [
        ChatMessage(role="system", content="слово " * 400),
        ChatMessage(role="user", content="Привет"),
    ]
    with pytest.raises(ContextTooSmall, match="n_ctx"):
        engine._fit_to_context(messages, 100)
