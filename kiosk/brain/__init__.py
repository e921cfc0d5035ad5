"""The brain: persona, memory, safety and the engines that write replies."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.brain.core import Brain, ReplyEvent
from kiosk.brain.emotion import EMOTIONS, classify_emotion
from kiosk.brain.facts import ExtractedFact, extract_facts
from kiosk.brain.memory import Memory, MemoryContext
from kiosk.brain.mood import MOODS, detect_mood
from kiosk.brain.persona import Persona, list_personas, load_persona, system_prompt
from kiosk.brain.safety import SafetyVerdict, check_input, check_output
from kiosk.brain.scripted import DialogueError, ScriptedEngine
from kiosk.brain.sentences import SentenceChunker, split_sentences
from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.paths import Paths

__all__ = [
    "EMOTIONS",
    "MOODS",
    "Brain",
    "ChatMessage",
    "DialogueError",
    "ExtractedFact",
    "GenerationOptions",
    "LLMEngine",
    "Memory",
    "MemoryContext",
    "Persona",
    "ReplyEvent",
    "SafetyVerdict",
    "ScriptedEngine",
    "SentenceChunker",
    "check_input",
    "check_output",
    "classify_emotion",
    "llm_model_path",
    "detect_mood",
    "dialogues_dir",
    "extract_facts",
    "list_personas",
    "load_persona",
    "make_brain",
    "make_engine",
    "split_sentences",
    "system_prompt",
]

_LOGGER = logging.getLogger(__name__)


def dialogues_dir(paths: Paths) -> Path:
    """Where the scripted brain's dialogue files are."""
    return paths.content_dir / "dialogues"


def llm_model_path(settings: Settings, paths: Paths) -> Path | None:
    """The GGUF to load: ``brain.llm_model`` (name or path), else the best Russian chat model."""
    wanted = settings.brain.llm_model
    try:
        from kiosk import models
    except ImportError:  # model management not available: only a direct path works
        if wanted and wanted.endswith(".gguf"):
            return Path(wanted).expanduser()
        return None
    if wanted:
        return Path(models.find_model(paths, wanted, "llm").path)
    best = models.best_installed(paths, "llm", russian_chat=True)
    return Path(best.path) if best is not None else None


def _make_llm(settings: Settings, path: Path) -> LLMEngine:
    from kiosk.brain.llama import LlamaEngine

    return LlamaEngine(
        path,
        n_ctx=settings.brain.n_ctx,
        n_gpu_layers=settings.brain.n_gpu_layers,
        threads=settings.brain.threads,
    )


def _make_engine(settings: Settings, paths: Paths, persona: Persona) -> LLMEngine:
    choice = settings.brain.engine
    if choice == "scripted":
        return ScriptedEngine(dialogues_dir(paths), persona)
    if choice == "http":
        from kiosk.brain.openai_http import OpenAIHTTPEngine

        return OpenAIHTTPEngine.from_settings(settings.brain)
    if choice == "llm":
        path = llm_model_path(settings, paths)
        if path is None:
            from kiosk.errors import ModelMissing

            raise ModelMissing(
                "brain.engine is llm but no chat model is installed",
                "import a GGUF (kiosk models import PATH), set brain.llm_model, "
                'or set brain.engine = "auto"',
            )
        return _make_llm(settings, path)
    # auto: the LLM when one is named or installed and loads, else the dialogues.
    try:
        path = llm_model_path(settings, paths)
        if path is not None:
            return _make_llm(settings, path)
    except (KioskError, RuntimeError) as exc:
        _LOGGER.warning("no LLM (%s); using the scripted dialogues", exc)
    return ScriptedEngine(dialogues_dir(paths), persona)


def make_engine(settings: Settings, paths: Paths) -> LLMEngine:
    """The engine ``brain.engine`` asks for (``auto``: an installed chat LLM, else scripted)."""
    persona = load_persona(settings.general.persona, paths)
    return _make_engine(settings, paths, persona)


def make_brain(settings: Settings, paths: Paths) -> Brain:
    """The configured Brain, with the scripted dialogues as fallback behind an LLM."""
    persona = load_persona(settings.general.persona, paths)
    engine = _make_engine(settings, paths, persona)
    scripted = isinstance(engine, ScriptedEngine)
    fallback = None if scripted else ScriptedEngine(dialogues_dir(paths), persona)
    memory = Memory(
        budget_tokens=settings.brain.memory_budget_tokens,
        history_turns=settings.brain.history_turns,
        count_tokens=getattr(engine, "count_tokens", None),
        llm=engine if settings.brain.memory_llm and not scripted else None,
    )
    return Brain(engine, persona, settings.brain, fallback=fallback, memory=memory)
