"""The LLMEngine protocol: anything that turns chat messages into a stream of text."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = ["ChatMessage", "GenerationOptions", "LLMEngine"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of the prompt."""

    role: Literal["system", "user", "assistant"]
    """Who speaks."""
    content: str
    """What is said."""


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    """Sampling settings for one reply."""

    max_tokens: int = 200
    """Longest reply in tokens."""
    temperature: float = 0.7
    """Sampling temperature."""
    stop: tuple[str, ...] = ()
    """Strings that end the reply."""


@runtime_checkable
class LLMEngine(Protocol):
    """Writes a reply token by token (blocking iterator; run it in a worker thread)."""

    name: str
    """Engine and model for logs and the stored turn (``llm:qwen3-4b``, ``scripted``)."""

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str]:
        """Yield pieces of the reply; stop early when ``cancel`` is set."""
        ...
