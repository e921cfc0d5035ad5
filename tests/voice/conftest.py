from __future__ import annotations

import shutil

import pytest

from kiosk.voice.base import Synthesis
from kiosk.voice.espeak import EspeakSynthesizer


@pytest.fixture(scope="session")
def espeak_greeting() -> Synthesis:
    """Real espeak-ng speech for a short Russian greeting (made once per run)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (sudo apt install espeak-ng)")
    return EspeakSynthesizer().synthesize("Привет! Меня зовут Аня.")
