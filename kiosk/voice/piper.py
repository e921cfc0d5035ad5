"""The Piper engine: imported neural voices (``ru_RU-irina-medium.onnx`` + ``.onnx.json``).

piper-tts bundles its own espeak-ng phonemizer and runs the VITS model with
onnxruntime on the CPU (real time on one core for "medium" voices). No Russian
Piper voice ships in a package: the parent imports one from a USB stick.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.events import LipSyncTrack
from kiosk.voice.base import Synthesis
from kiosk.voice.lipsync import track_from_audio

if TYPE_CHECKING:
    from kiosk.paths import Paths

__all__ = ["DEFAULT_PIPER_VOICE", "EMOTION_LENGTH", "PiperSynthesizer", "resolve_piper_model"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_PIPER_VOICE = "piper-ru-irina-medium"
"""Manifest name used when ``voice.voice`` still holds an espeak-ng voice name."""
_IMPORT_HINT = (
    "скопируйте на флешку ru_RU-irina-medium.onnx и ru_RU-irina-medium.onnx.json "
    "(в одну папку) и выполните: kiosk models import /media/usb/ru_RU-irina-medium.onnx"
)
_INSTALL_HINT = "установите движок Piper: ./install.sh (пакет piper-tts==1.8.0)"

EMOTION_LENGTH: dict[str, float] = {
    "happy": 0.92,
    "excited": 0.88,
    "surprised": 0.92,
    "sad": 1.12,
    "calm": 1.06,
    "concern": 1.08,
    "tired": 1.12,
}
"""Phoneme length factor per emotion (Piper has no pitch control; < 1 is faster)."""


def _read_config(config_path: Path) -> dict[str, Any]:
    if not config_path.is_file():
        raise ModelMissing(
            f"Рядом с голосом Piper нет файла настроек {config_path.name}", _IMPORT_HINT
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        rate = int(config["audio"]["sample_rate"])
        config["phoneme_id_map"].items()
        str(config["espeak"]["voice"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelCorrupt(
            f"Файл настроек голоса Piper повреждён или не от Piper: {config_path}",
            "скопируйте .onnx.json заново из того же набора, что и .onnx, и импортируйте снова",
        ) from exc
    if rate <= 0:
        raise ModelCorrupt(f"В {config_path.name} неверная частота: {rate}", _IMPORT_HINT)
    return config


class PiperSynthesizer:
    """Speech from a Piper voice; the lip-sync track comes from the audio envelope."""

    def __init__(
        self,
        model_path: Path,
        config_path: Path | None = None,
        *,
        speaker_id: int | None = None,
        use_cuda: bool = False,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
    ) -> None:
        """Load the voice (about a second for a 60 MB "medium" model).

        Raises ``ModelMissing`` (with the ``kiosk models import`` command) when the
        files are absent, ``ModelCorrupt`` when they do not load, and
        ``RuntimeError`` naming the install step when piper-tts is not installed.
        ``noise_scale``/``noise_w_scale`` override the voice's generator and duration
        noise (0 makes the output repeatable; None keeps the voice's own values).
        """
        model_path = Path(model_path)
        config_path = Path(config_path) if config_path else Path(f"{model_path}.json")
        if not model_path.is_file():
            raise ModelMissing(f"Голос Piper не найден: {model_path}", _IMPORT_HINT)
        config = _read_config(config_path)
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise RuntimeError(f"Пакет piper-tts не установлен; {_INSTALL_HINT}") from exc
        try:
            self._voice = PiperVoice.load(model_path, config_path, use_cuda=use_cuda)
        except Exception as exc:  # onnxruntime raises its own (non-exported) error types
            raise ModelCorrupt(
                f"Голос Piper {model_path.name} не загружается: {type(exc).__name__}",
                "файл .onnx повреждён или неполон: скопируйте его заново и выполните "
                "kiosk models import",
            ) from exc
        self.sample_rate = int(config["audio"]["sample_rate"])
        self.speaker_id = speaker_id
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale
        self.language = str(config["espeak"]["voice"])
        self.name = f"piper:{model_path.stem.removesuffix('.onnx')}"

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text``; ``emotion`` changes the tempo."""
        if not text.strip():
            return Synthesis(b"", self.sample_rate, LipSyncTrack(rate=100.0, openness=()))
        from piper import SynthesisConfig

        base = float(self._voice.config.length_scale)
        syn_config = SynthesisConfig(
            speaker_id=self.speaker_id,
            length_scale=base * EMOTION_LENGTH.get(emotion, 1.0),
            noise_scale=self.noise_scale,
            noise_w_scale=self.noise_w_scale,
        )
        chunks = [chunk.audio_int16_array for chunk in self._voice.synthesize(text, syn_config)]
        pcm = np.concatenate(chunks).astype("<i2").tobytes() if chunks else b""
        _LOGGER.debug("piper: %d chars → %.2f s", len(text), len(pcm) / 2 / self.sample_rate)
        return Synthesis(pcm, self.sample_rate, track_from_audio(pcm, self.sample_rate))


def resolve_piper_model(paths: Paths | None, voice: str) -> Path:
    """The ``.onnx`` file ``voice`` names: a path, or a model name in the store.

    An espeak-ng voice name (``ru+f3``, the default setting) means the default
    Russian Piper voice, ``piper-ru-irina-medium``.
    """
    given = Path(voice).expanduser()
    if voice.endswith(".onnx") or given.is_file():
        return given
    name = DEFAULT_PIPER_VOICE if ("+" in voice or voice in ("ru", "ru-cl", "")) else voice
    if paths is None:
        raise ModelMissing(f"Голос Piper {name} не найден", _IMPORT_HINT)
    from kiosk.models import find_model

    try:
        found = find_model(paths, name, "tts").path
    except ModelMissing as exc:
        raise ModelMissing(f"Голос Piper {name} не установлен", _IMPORT_HINT) from exc
    if found.is_dir():
        onnx = sorted(found.glob("*.onnx"))
        if not onnx:
            raise ModelCorrupt(f"В папке голоса {found} нет файла .onnx", _IMPORT_HINT)
        return onnx[0]
    return found
