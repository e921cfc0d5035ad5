"""Which synthesizer engines can run here, and each one built from the same settings.

Cheap checks only (binaries, packages, model files): nothing is loaded, so
``kiosk bench`` and ``kiosk doctor`` can ask before paying for a model load.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.config import VoiceSettings
    from kiosk.paths import Paths
    from kiosk.voice.base import Synthesizer

__all__ = ["ENGINES", "EngineStatus", "engine_status", "engine_statuses", "make_engine"]

_LOGGER = logging.getLogger(__name__)

ENGINES = ("espeak", "festival", "piper", "coqui", "trained")
"""Every engine ``voice.engine`` may name."""


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """Whether one engine can speak here."""

    engine: str
    available: bool
    detail: str
    """What it will use when available; otherwise what is missing and how to fix it (Russian)."""


def make_engine(engine: str, settings: VoiceSettings, paths: Paths | None = None) -> Synthesizer:
    """The synthesizer ``engine`` with the rest of ``settings`` (voice, speed, pitch).

    Raises what ``make_synthesizer`` raises (``ModelMissing`` with the import
    command, ``RuntimeError`` naming the extra to install).
    """
    from kiosk.voice import make_synthesizer

    return make_synthesizer(settings.model_copy(update={"engine": engine}), paths)


def _espeak() -> EngineStatus:
    from kiosk.voice.espeak_lib import load_library

    if load_library() is not None:
        return EngineStatus("espeak", True, "libespeak-ng (с метками фонем)")
    if shutil.which("espeak-ng"):
        return EngineStatus("espeak", True, "команда espeak-ng (без меток фонем)")
    return EngineStatus("espeak", False, "нет espeak-ng: sudo apt install espeak-ng")


def _festival() -> EngineStatus:
    if shutil.which("text2wave") is None:
        return EngineStatus("festival", False, "нет Festival: sudo apt install festival festvox-ru")
    return EngineStatus("festival", True, "text2wave, голос msu_ru_nsh_clunits")


def _piper(settings: VoiceSettings, paths: Paths | None) -> EngineStatus:
    if importlib.util.find_spec("piper") is None:
        return EngineStatus("piper", False, "нет пакета piper-tts: ./install.sh (piper-tts==1.8.0)")
    from kiosk.voice.piper import resolve_piper_model

    model = resolve_piper_model(paths, settings.voice)
    if not model.is_file():
        return EngineStatus("piper", False, f"нет файла голоса {model}: kiosk models import ФАЙЛ")
    return EngineStatus("piper", True, f"голос {model.name}")


def _coqui(settings: VoiceSettings, paths: Paths | None) -> EngineStatus:
    if importlib.util.find_spec("TTS") is None:
        return EngineStatus("coqui", False, "нет пакета coqui-tts: ./install.sh --voice-clone")
    if paths is None:
        return EngineStatus("coqui", False, "нужна папка данных (модели и голоса)")
    from kiosk.voice.coqui import check_xtts_dir, resolve_coqui_model

    model_dir, references = resolve_coqui_model(paths, settings.voice)
    check_xtts_dir(model_dir)
    return EngineStatus("coqui", True, f"{model_dir.name}, образцов голоса: {len(references)}")


def _trained(settings: VoiceSettings, paths: Paths | None) -> EngineStatus:
    if importlib.util.find_spec("torch") is None:
        return EngineStatus("trained", False, "нет torch: ./install.sh --speaker (torch==2.13.0)")
    from kiosk.voice.trained import resolve_trained_checkpoint

    checkpoint = resolve_trained_checkpoint(paths, settings.checkpoint)
    run = checkpoint.parent.name
    note = " (крошечная проверочная модель: шум, не речь)" if run == "train-tiny" else ""
    voice = checkpoint.parent.parent.name if checkpoint.name == "last.pt" else checkpoint.stem
    return EngineStatus("trained", True, f"голос {voice}, {run}/{checkpoint.name}{note}")


def engine_status(engine: str, settings: VoiceSettings, paths: Paths | None = None) -> EngineStatus:
    """Whether ``engine`` can speak with ``settings.voice`` here (nothing is loaded)."""
    try:
        if engine == "espeak":
            return _espeak()
        if engine == "festival":
            return _festival()
        if engine == "piper":
            return _piper(settings, paths)
        if engine == "coqui":
            return _coqui(settings, paths)
        if engine == "trained":
            return _trained(settings, paths)
    except KioskError as exc:
        return EngineStatus(engine, False, str(exc).replace("\n  → ", ": "))
    return EngineStatus(engine, False, f"неизвестный движок; есть: {', '.join(ENGINES)}")


def engine_statuses(settings: VoiceSettings, paths: Paths | None = None) -> list[EngineStatus]:
    """``engine_status`` of every engine in ``ENGINES``, in that order."""
    return [engine_status(engine, settings, paths) for engine in ENGINES]
