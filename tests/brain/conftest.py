"""Shared fixtures of the brain tests: paths, the bundled persona, the packaged GGUF."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.brain.persona import Persona, load_persona
from kiosk.paths import CONTENT_DIR, Paths


@pytest.fixture
def fixture_dialogues() -> Path:
    """The small dialogue set the brain tests are written against."""
    return Path(__file__).parent / "fixtures" / "dialogues"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "data" / "models",
        content_dir=CONTENT_DIR,
        socket_path=tmp_path / "kiosk.sock",
    )


@pytest.fixture
def anya(paths: Paths) -> Persona:
    return load_persona("anya", paths)


_PROBE = textwrap.dedent(
    """
    import sys
    from llama_cpp import Llama
    llm = Llama(model_path=sys.argv[1], n_ctx=256, verbose=False, seed=1)
    out = llm.create_chat_completion(
        messages=[{"role": "user", "content": "Hi"}], max_tokens=4, stream=False
    )
    print("OK", out["choices"][0]["message"]["content"][:20])
    """
)


@pytest.fixture(scope="session")
def llama_works(smollm2_gguf: Path) -> Path:
    """The GGUF path, once a generation succeeded in a subprocess.

    A crash in native code would kill the whole test run; probing in a subprocess turns
    it into one clear failure instead (a native llama.cpp build crashed on AMX CPUs:
    install.sh builds it with GGML_NATIVE=OFF).
    """
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, str(smollm2_gguf)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("llama-cpp-python probe generation timed out after 300 s")
    if proc.returncode != 0 or "OK" not in proc.stdout:
        reason = "segfaults" if proc.returncode == -11 else f"exits {proc.returncode}"
        pytest.fail(
            f"llama-cpp-python {reason} when generating: rebuild it with "
            f'CMAKE_ARGS="-DGGML_NATIVE=OFF" (./install.sh does): {proc.stderr.strip()[-300:]}'
        )
    return smollm2_gguf
