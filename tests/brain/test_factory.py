from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.brain import make_brain, make_engine
from kiosk.brain.scripted import ScriptedEngine
from kiosk.config import BrainSettings, Settings
from kiosk.errors import KioskError
from kiosk.paths import Paths


def _settings(**brain: object) -> Settings:
    return Settings(brain=BrainSettings(**brain))


def test_scripted_engine_when_asked(paths: Paths) -> None:
    engine = make_engine(_settings(engine="scripted"), paths)
    assert isinstance(engine, ScriptedEngine)


def test_auto_without_an_installed_llm_is_scripted(paths: Paths) -> None:
    brain = make_brain(_settings(engine="auto"), paths)
    assert isinstance(brain.engine, ScriptedEngine)
    assert brain.fallback is None
    assert brain.persona.name == "Аня"


def test_llm_without_a_model_is_a_clear_error(paths: Paths) -> None:
    with pytest.raises(KioskError):
        make_engine(_settings(engine="llm"), paths)


def test_auto_with_a_broken_model_path_falls_back_to_scripted(paths: Paths, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"nope")
    engine = make_engine(_settings(engine="auto", llm_model=str(bad)), paths)
    assert isinstance(engine, ScriptedEngine)


def test_other_persona_is_used(paths: Paths) -> None:
    settings = Settings(general={"persona": "masha"}, brain=BrainSettings(engine="scripted"))
    assert make_brain(settings, paths).persona.name == "Маша"


def test_llm_engine_with_a_gguf_path_gets_a_scripted_fallback(
    paths: Paths, smollm2_gguf: Path
) -> None:
    pytest.importorskip("llama_cpp")  # loading works even where generation segfaults
    brain = make_brain(_settings(engine="llm", llm_model=str(smollm2_gguf), n_ctx=512), paths)
    assert brain.engine.name == "llm:SmolLM2-135M-Instruct.Q4_1"
    assert isinstance(brain.fallback, ScriptedEngine)
