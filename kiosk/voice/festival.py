"""The Festival engine: the festvox-ru voice through ``text2wave`` (apt: festival festvox-ru)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from kiosk.errors import AudioFormatError, ModelMissing
from kiosk.events import LipSyncTrack
from kiosk.voice.base import EMOTION_SPEED, Synthesis
from kiosk.voice.lipsync import track_from_audio

__all__ = ["EMOTION_TAPE_SPEED", "FestivalSynthesizer"]

_LOGGER = logging.getLogger(__name__)

_INSTALL_HINT = "установите Festival и русский голос: sudo apt install festival festvox-ru"

EMOTION_TAPE_SPEED: dict[str, float] = EMOTION_SPEED
"""Emotion → playback-speed factor; above 1 is faster and higher, like a faster tape.

The clunits voice concatenates recorded units and takes no pitch or duration
targets, so emotion is applied afterwards by resampling the audio.
"""


def _change_tape_speed(pcm: bytes, rate: int, factor: float) -> bytes:
    """``pcm`` played ``factor`` times faster (pitch rises with it), at the same rate."""
    import numpy as np
    import soxr

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    faster = soxr.resample(samples, rate * factor, rate)
    return np.round(np.clip(faster, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()


class FestivalSynthesizer:
    """Russian speech from Festival (``msu_ru_nsh_clunits``: a natural-ish male voice)."""

    def __init__(self, voice: str = "msu_ru_nsh_clunits", *, timeout_s: float = 120.0) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]+", voice):
            raise ModelMissing(f"Недопустимое имя голоса Festival: «{voice}»", _INSTALL_HINT)
        self.voice = voice
        self.timeout_s = timeout_s
        self.name = f"festival:{voice}"

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text``; empty text gives an empty Synthesis.

        ``emotion`` changes speed and pitch together (``EMOTION_TAPE_SPEED``).
        """
        if not text.strip():
            return Synthesis(b"", 16000, LipSyncTrack(rate=100.0, openness=()))
        binary = shutil.which("text2wave")
        if binary is None:
            raise ModelMissing("Festival (text2wave) не установлен", _INSTALL_HINT)
        from kiosk.audio.wav import read_wav

        with tempfile.TemporaryDirectory(prefix="kiosk-festival-") as tmp:
            source, target = Path(tmp) / "in.txt", Path(tmp) / "out.wav"
            source.write_text(text, encoding="utf-8")
            command = [
                binary,
                "-eval",
                f"(voice_{self.voice})",
                str(source),
                "-o",
                str(target),
            ]
            try:
                result = subprocess.run(
                    command, capture_output=True, timeout=self.timeout_s, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise ModelMissing(
                    f"Festival не ответил за {self.timeout_s:.0f} с", _INSTALL_HINT
                ) from exc
            stderr = result.stderr.decode("utf-8", "replace")
            if "unbound variable" in stderr and f"voice_{self.voice}" in stderr:
                raise ModelMissing(f"В Festival нет голоса «{self.voice}»", _INSTALL_HINT)
            if result.returncode != 0 or not target.is_file():
                raise ModelMissing(
                    f"Festival завершился с ошибкой: {stderr.strip()}", _INSTALL_HINT
                )
            if target.stat().st_size <= 44:  # a header and no samples: nothing to say
                return Synthesis(b"", 16000, LipSyncTrack(rate=100.0, openness=()))
            try:
                pcm, rate = read_wav(target)
            except AudioFormatError as exc:
                raise ModelMissing(f"Festival не выдал звук: {exc.message}", _INSTALL_HINT) from exc
        factor = EMOTION_TAPE_SPEED.get(emotion, 1.0)
        if factor != 1.0:
            pcm = _change_tape_speed(pcm, rate, factor)
        return Synthesis(pcm, rate, track_from_audio(pcm, rate))
