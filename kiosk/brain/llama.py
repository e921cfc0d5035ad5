"""The LLM engine: a GGUF chat model run by llama-cpp-python, streamed token by token.

The chat template comes from the GGUF's own metadata (``tokenizer.chat_template``),
so any instruct model that ships one works without per-model code.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kiosk.brain.base import ChatMessage, GenerationOptions
from kiosk.errors import KioskError, ModelCorrupt, ModelMissing

__all__ = ["ContextTooSmall", "LlamaEngine", "choose_gpu_layers"]

_LOGGER = logging.getLogger(__name__)

_GGUF_MAGIC = b"GGUF"


class ContextTooSmall(KioskError):
    """The persona prompt alone does not fit ``brain.n_ctx``."""

    exit_code = 2


_INSTALL_HINT = (
    "llama-cpp-python is not installed or was built wrongly: run ./install.sh "
    "(or pip install llama-cpp-python==0.3.36; add CMAKE_ARGS=-DGGML_CUDA=on for a GPU)"
)


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise RuntimeError(_INSTALL_HINT) from exc
    return llama_cpp


def choose_gpu_layers(requested: int, gpu_offload_supported: bool | None = None) -> int:
    """Layers to offload: ``-1`` means all on a GPU build, none on a CPU-only build.

    ``gpu_offload_supported`` defaults to ``llama_cpp.llama_supports_gpu_offload()``.
    A positive request is kept on a GPU build and becomes 0 on a CPU-only one.
    """
    if gpu_offload_supported is None:
        gpu_offload_supported = bool(_import_llama_cpp().llama_supports_gpu_offload())
    if not gpu_offload_supported:
        if requested != 0:
            _LOGGER.info("llama.cpp has no GPU offload in this build; running on the CPU")
        return 0
    return requested


class LlamaEngine:
    """An ``LLMEngine`` over one GGUF file (load once, then stream replies)."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_gpu_layers: int = -1,
        threads: int = 0,
        seed: int | None = None,
    ) -> None:
        """Load the GGUF; raise ``ModelMissing``, ``ModelCorrupt`` or ``RuntimeError``."""
        self.model_path = Path(model_path)
        self.name = f"llm:{self.model_path.stem}"
        self.seed = seed
        _check_gguf(self.model_path)
        llama_cpp = _import_llama_cpp()
        kwargs: dict[str, Any] = {
            "model_path": str(self.model_path),
            "n_ctx": n_ctx,
            "n_gpu_layers": choose_gpu_layers(
                n_gpu_layers, bool(llama_cpp.llama_supports_gpu_offload())
            ),
            "verbose": False,
        }
        # llama.cpp defaults to half the cores; generation is memory-bound and runs
        # ~1.8x faster on all of them (measured on a 2-core build machine).
        n_threads = threads if threads > 0 else max(1, os.cpu_count() or 1)
        kwargs["n_threads"] = n_threads
        kwargs["n_threads_batch"] = n_threads
        if seed is not None:
            kwargs["seed"] = seed
        try:
            self._llm = llama_cpp.Llama(**kwargs)
        except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
            raise ModelCorrupt(
                f"{self.model_path}: llama.cpp cannot load it ({exc})",
                "the file is damaged or not a supported GGUF: import it again "
                "(kiosk models import) or pick another model in brain.llm_model",
            ) from exc
        self._lock = threading.Lock()
        self.last_ttft_ms: float | None = None
        """Milliseconds from the request to the first text piece of the latest reply."""
        self.last_prompt_tokens = 0
        """Tokens in the latest prompt (after the chat template)."""
        self.last_reused_tokens = 0
        """Leading tokens of the latest prompt that llama.cpp took from its KV cache."""
        self.last_evaluated_tokens: int | None = None
        """Prompt tokens llama.cpp actually evaluated for the latest reply (None: unknown)."""
        _LOGGER.info(
            "loaded %s (n_ctx=%d, gpu layers=%d)",
            self.model_path.name,
            n_ctx,
            kwargs["n_gpu_layers"],
        )

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str]:
        """Yield the reply's text pieces; stop at the next token once ``cancel`` is set."""
        with self._lock:  # a Llama context serves one generation at a time
            fitted, max_tokens = self._fit_to_context(messages, options.max_tokens)
            # What the context holds now; llama.cpp keeps the longest common prefix of
            # it and the new prompt and evaluates only the rest.
            cached = list(self._llm.input_ids[: self._llm.n_tokens])
            self._perf(reset=True)
            started = time.perf_counter()
            self.last_ttft_ms = None
            chunks = self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in fitted],
                max_tokens=max_tokens,
                temperature=options.temperature,
                stop=list(options.stop) or None,
                seed=self.seed,
                stream=True,
            )
            try:
                for chunk in chunks:
                    if cancel.is_set():
                        _LOGGER.debug("generation cancelled")
                        return
                    delta = chunk["choices"][0].get("delta", {})
                    piece = delta.get("content")
                    if piece:
                        if self.last_ttft_ms is None:
                            self._note_first_piece(started, cached)
                        yield piece
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    def choose(self, messages: list[ChatMessage], choices: Sequence[str]) -> str:
        """The model's answer after ``messages``, forced to one of ``choices`` (temperature 0).

        A GBNF grammar allows only the choices. Waits for a reply being written: one
        llama.cpp context (and llama-cpp-python's sampler) serves one sequence at a time.
        """
        grammar = " | ".join(json.dumps(c, ensure_ascii=False) for c in choices)
        llama_cpp = _import_llama_cpp()
        with self._lock:
            fitted, _ = self._fit_to_context(messages, 8)
            out = self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in fitted],
                grammar=llama_cpp.LlamaGrammar.from_string(f"root ::= {grammar}", verbose=False),
                max_tokens=max(8, 2 * max(self.count_tokens(c) for c in choices)),
                temperature=0.0,
                seed=self.seed,
            )
        answer = str(out["choices"][0]["message"]["content"] or "").strip()
        if answer not in choices:
            raise ValueError(f"{self.name} answered {answer!r} outside the grammar {choices}")
        return answer

    @property
    def parameter_count(self) -> int | None:
        """Parameters of the loaded model, as llama.cpp counts its tensors (None: unknown)."""
        try:
            return int(_import_llama_cpp().llama_model_n_params(self._llm.model))
        except (AttributeError, RuntimeError, TypeError):  # another llama-cpp-python
            return None

    @property
    def metadata(self) -> dict[str, str]:
        """The GGUF's key/value metadata (``general.size_label``, ``tokenizer.chat_template``)."""
        return dict(self._llm.metadata)

    def _note_first_piece(self, started: float, cached: list[int]) -> None:
        self.last_ttft_ms = round((time.perf_counter() - started) * 1000.0, 1)
        prompt = list(self._llm.input_ids[: self._llm.n_tokens])
        reused = 0
        for old, new in zip(cached, prompt, strict=False):
            if old != new:
                break
            reused += 1
        evaluated = self._perf()
        self.last_prompt_tokens = len(prompt)
        self.last_evaluated_tokens = evaluated
        self.last_reused_tokens = (
            max(0, len(prompt) - evaluated) if evaluated is not None else reused
        )
        _LOGGER.info(
            "first token after %.0f ms (%d of %d prompt tokens from the KV cache)",
            self.last_ttft_ms,
            self.last_reused_tokens,
            len(prompt),
        )

    def _perf(self, reset: bool = False) -> int | None:
        """Prompt tokens evaluated since the last reset (llama.cpp's perf counters)."""
        try:
            llama_cpp = _import_llama_cpp()
            ctx = self._llm._ctx.ctx
            if reset:
                llama_cpp.llama_perf_context_reset(ctx)
                return 0
            return int(llama_cpp.llama_perf_context(ctx).n_p_eval)
        except (AttributeError, RuntimeError, TypeError):  # another llama-cpp-python
            return None

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model (for memory's prompt budget)."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def _count_tokens(self, message: ChatMessage) -> int:
        # Template overhead (role markers, separators) is a few tokens per message.
        return self.count_tokens(message.content) + 8

    def _fit_to_context(
        self, messages: list[ChatMessage], max_tokens: int
    ) -> tuple[list[ChatMessage], int]:
        """Drop the oldest history until prompt + reply fit the context window.

        The system prompt and the child's last message always stay; when even they do
        not fit with room for a short reply, ``brain.n_ctx`` is too small.
        """
        n_ctx = self._llm.n_ctx()
        costs = [self._count_tokens(m) for m in messages]
        keep = list(range(len(messages)))
        min_reply = min(max_tokens, 48)
        while sum(costs[i] for i in keep) + min_reply > n_ctx:
            droppable = [i for i in keep[:-1] if messages[i].role != "system"]
            if not droppable:
                raise ContextTooSmall(
                    f"The prompt needs {sum(costs[i] for i in keep)} tokens but brain.n_ctx "
                    f"is {n_ctx}",
                    "raise brain.n_ctx in the config, or shorten the persona",
                )
            keep.remove(droppable[0])
        if len(keep) < len(messages):
            _LOGGER.info(
                "dropped %d old messages to fit n_ctx=%d", len(messages) - len(keep), n_ctx
            )
        used = sum(costs[i] for i in keep)
        return [messages[i] for i in keep], max(min_reply, min(max_tokens, n_ctx - used))


def _check_gguf(path: Path) -> None:
    """Fail early, in words a parent can act on, before llama.cpp sees a bad file."""
    if not path.is_file():
        raise ModelMissing(
            f"Language model not found: {path}",
            "import it with `kiosk models import PATH` or set brain.llm_model to an existing .gguf",
        )
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelCorrupt(f"{path}: cannot read: {exc.strerror}", "check its permissions") from exc
    if magic != _GGUF_MAGIC:
        raise ModelCorrupt(
            f"{path} is not a GGUF model file",
            "import a .gguf chat model (see models/manifest.toml) and point brain.llm_model at it",
        )
