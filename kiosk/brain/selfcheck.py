"""The LLM's own safety check: before a sentence is spoken, the model answers «да» or «нет».

After the word lists and the classifier let a sentence through, the loaded llama.cpp
model is asked one short Russian question about it, constrained by a GBNF grammar to
exactly «да» or «нет» at temperature 0. «нет» replaces the reply with a gentle
in-character redirect, logged and stored as the ``self_check`` intervention.

The question is appended to the reply's own prompt (persona, history, the child's
words, what was said so far), so llama.cpp reuses that prompt from its KV cache and
evaluates only the sentence and the question, and the next turn still finds the
persona prompt cached. A standalone judge prompt would evict it on every sentence.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from kiosk.brain.base import ChatMessage
from kiosk.brain.safety import SafetyVerdict

__all__ = [
    "MIN_PARAMETERS",
    "QUESTION",
    "SELF_CHECK_CATEGORY",
    "SELF_CHECK_REDIRECT",
    "Judge",
    "SelfCheck",
    "make_self_check",
    "model_parameters",
    "parse_size_label",
]

_LOGGER = logging.getLogger(__name__)

MIN_PARAMETERS = 2_500_000_000
"""Smallest model ``auto`` trusts to judge. "About 3B and up": 3B models count 2.8 to
3.3 billion parameters with embeddings (StableLM-3B 2.8, Qwen2.5-3B 3.1, Llama-3.2-3B
3.2); below that, models answer yes/no questions about tone close to chance."""

SELF_CHECK_CATEGORY = "self_check"
"""Safety tag of a turn whose reply the model itself rejected."""

SELF_CHECK_REDIRECT = (
    "Ой, я лучше скажу по-другому! Давай поговорим о чём-нибудь другом: "
    "хочешь загадку или интересный факт?"
)
"""What the persona says instead of a rejected sentence."""

QUESTION = (
    "Проверка перед тем, как сказать вслух. Ты собираешься сказать ребёнку 12 лет: "
    "«{sentence}». Это подходит для ребёнка: без взрослых тем, жестокости, опасных "
    "советов, грубых слов и просьб о личных данных? Ответь одним словом: да или нет."
)
"""The question, put as a system message after the reply; ``{sentence}`` is filled in."""

ANSWERS = ("да", "нет")


@runtime_checkable
class Judge(Protocol):
    """An engine that can answer with exactly one of a few strings (``LlamaEngine``)."""

    def choose(self, messages: list[ChatMessage], choices: Sequence[str]) -> str:
        """One of ``choices``, picked by the model at temperature 0."""
        ...


@dataclass(slots=True)
class SelfCheck:
    """Asks ``judge`` whether each sentence is fit to say; «нет» blocks it."""

    judge: Judge
    """The loaded model that also writes the replies."""
    question: str = QUESTION
    """The yes/no question (``{sentence}`` is the sentence checked)."""
    always: bool = True
    """Check every reply (``on``); False (``auto``): only replies to borderline words."""
    last_answer: str = field(default="", init=False)
    """The model's latest answer: «да» or «нет»."""
    last_ms: float = field(default=0.0, init=False)
    """Milliseconds the latest check took."""

    def approves(self, messages: Sequence[ChatMessage], said: Sequence[str], sentence: str) -> bool:
        """Whether the model, after ``messages`` and ``said``, is fine saying ``sentence``.

        Blocking (runs the model); raises whatever the engine raises.
        """
        reply = " ".join([*said, sentence])
        prompt = [
            *messages,
            ChatMessage("assistant", reply),
            ChatMessage("system", self.question.format(sentence=sentence)),
        ]
        started = time.perf_counter()
        answer = self.judge.choose(prompt, ANSWERS)
        self.last_ms = round((time.perf_counter() - started) * 1000.0, 1)
        self.last_answer = answer
        _LOGGER.debug("self-check %r after %.0f ms: %s", sentence, self.last_ms, answer)
        return answer != "нет"

    @staticmethod
    def verdict(sentence: str) -> SafetyVerdict:
        """The intervention to log and store when the model said «нет»."""
        return SafetyVerdict(
            ok=False,
            category=SELF_CHECK_CATEGORY,
            redirect=SELF_CHECK_REDIRECT,
            matched=sentence[:80],
        )


_SIZE = re.compile(r"^(?:(\d+)x)?(\d+(?:\.\d+)?)([KMBT])$", re.IGNORECASE)
_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parse_size_label(label: str) -> int | None:
    """Parameters from a GGUF ``general.size_label`` (``135M``, ``3.8B``, ``8x7B``)."""
    match = _SIZE.match(label.strip())
    if match is None:
        return None
    experts = int(match.group(1) or 1)
    return int(experts * float(match.group(2)) * _SCALE[match.group(3).upper()])


def model_parameters(engine: object) -> int | None:
    """How many parameters ``engine``'s model has, or None when it cannot tell.

    llama.cpp's own count (the tensors' elements, exact whatever the quantisation)
    comes first, then the GGUF's ``general.size_label``. File size is not used: bytes
    per parameter vary from 0.3 to 2 with the quantisation, too wide to place the bar.
    """
    count = getattr(engine, "parameter_count", None)
    if isinstance(count, int) and count > 0:
        return count
    metadata = getattr(engine, "metadata", None)
    if isinstance(metadata, dict):
        label = metadata.get("general.size_label")
        if isinstance(label, str):
            return parse_size_label(label)
    return None


def make_self_check(mode: Literal["auto", "on", "off"], engine: object) -> SelfCheck | None:
    """The check ``brain.self_check`` asks for, or None.

    Only engines that can answer under a grammar (the llama.cpp engine) get one; the
    scripted and HTTP engines never do. ``auto`` needs ``MIN_PARAMETERS``.
    """
    if mode == "off" or not isinstance(engine, Judge):
        return None
    if mode == "auto":
        params = model_parameters(engine)
        if params is None or params < MIN_PARAMETERS:
            _LOGGER.info(
                "LLM self-check off: the model has %s parameters, %d needed to judge",
                params if params is not None else "an unknown number of",
                MIN_PARAMETERS,
            )
            return None
    return SelfCheck(engine, always=mode == "on")


BORDERLINE = 0.3
"""``auto`` asks the model only when the child's words or the sentence score at least
this share of a category's threshold in the safety classifier. The first sentence
waits for the whole reply plus its check, so checking every turn would cost streaming.
Measured on content/safety/eval: every red-team prompt, 58 of the 67 held-out unsafe
prompts the lists and classifier let through, and 25 of 114 ordinary questions (74
of 177 harder held-out ones) are borderline at 0.3."""


def borderline(*texts: str) -> bool:
    """Whether any of ``texts`` comes near a category of the safety classifier."""
    from kiosk.brain.safety_model import load_model

    model = load_model()
    if model is None:
        return True  # no classifier to tell: check everything
    unsafe = [i for i, name in enumerate(model.categories) if name != "ok"]
    bar = model.thresholds[unsafe] * BORDERLINE
    return any(bool((model.scores(text)[unsafe] >= bar).any()) for text in texts if text)
