"""The Coqui engine: XTTS-v2 cloning from an enrolled voice's clips, or its fine-tuned model.

Needs the ``voice-clone`` extra (coqui-tts 0.28.0 on the local torch build) and
the XTTS-v2 weights imported from a USB stick; both are checked before anything
heavy is imported, and each absence says what to do.
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

__all__ = [
    "XTTS_FILES",
    "XTTS_RATE",
    "CoquiSynthesizer",
    "check_xtts_dir",
    "reference_clips",
    "resolve_coqui_model",
]

_LOGGER = logging.getLogger(__name__)

XTTS_FILES = ("model.pth", "config.json", "vocab.json")
"""Files an XTTS-v2 checkpoint folder must hold (speakers_xtts.pth is optional)."""
XTTS_RATE = 24000
"""XTTS-v2 output sample rate, Hz."""
_BASE_MODEL = "xtts-v2"
_IMPORT_HINT = (
    "скопируйте папку XTTS-v2 (model.pth, config.json, vocab.json, speakers_xtts.pth) на "
    "флешку и выполните: kiosk models import /media/usb/XTTS-v2 --name xtts-v2"
)
_INSTALL_HINT = "установите клонирование голоса: ./install.sh --voice-clone"
_EMOTION_SPEED = {"happy": 1.08, "excited": 1.12, "sad": 0.9, "calm": 0.95, "tired": 0.9}
"""XTTS ``speed`` per emotion (it has no explicit style control)."""


def check_xtts_dir(model_dir: Path) -> None:
    """Raise ``ModelMissing``/``ModelCorrupt`` unless ``model_dir`` is an XTTS checkpoint."""
    if not model_dir.is_dir():
        raise ModelMissing(f"Модель XTTS-v2 не найдена: {model_dir}", _IMPORT_HINT)
    missing = [name for name in XTTS_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ModelMissing(
            f"В папке {model_dir} не хватает файлов XTTS-v2: {', '.join(missing)}", _IMPORT_HINT
        )
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        model_name = str(config.get("model", ""))
    except (OSError, ValueError, AttributeError) as exc:
        raise ModelCorrupt(f"config.json в {model_dir} повреждён", _IMPORT_HINT) from exc
    if model_name != "xtts":
        raise ModelCorrupt(
            f"{model_dir} — не модель XTTS (в config.json model = «{model_name}»)", _IMPORT_HINT
        )


def reference_clips(voice_dir: Path, count: int = 3) -> list[Path]:
    """The cleanest 4–12 s clips of an enrolled voice (from its report), for cloning."""
    report_path = voice_dir / "dataset" / "report.json"
    if not report_path.is_file():
        raise ModelMissing(
            f"Голос {voice_dir.name} ещё не записан (нет {report_path})",
            f"подготовьте записи: kiosk voice enroll ПАПКА --name {voice_dir.name}",
        )
    clips: list[dict[str, Any]] = json.loads(report_path.read_text(encoding="utf-8"))["clips"]
    ranked = sorted(clips, key=lambda c: (4.0 <= c["duration"] <= 12.0, c["snr_db"]), reverse=True)
    paths = [voice_dir / "dataset" / "wavs" / f"{c['id']}.wav" for c in ranked[:count]]
    return [p for p in paths if p.is_file()]


def resolve_coqui_model(paths: Paths, voice: str) -> tuple[Path, list[Path]]:
    """(checkpoint folder, reference clips) for the enrolled voice named ``voice``.

    A fine-tuned model in ``voices/<voice>/model`` wins over the base XTTS-v2
    from the model store.
    """
    from kiosk.voice.enroll import voice_dir as voice_dir_for

    folder = voice_dir_for(paths, voice)
    references = reference_clips(folder)
    tuned = folder / "model"
    if tuned.is_dir():
        return tuned, references
    from kiosk.models import find_model

    try:
        found = find_model(paths, _BASE_MODEL, "tts").path
    except ModelMissing as exc:
        raise ModelMissing(
            "Модель XTTS-v2 для клонирования голоса не установлена", _IMPORT_HINT
        ) from exc
    return (found if found.is_dir() else found.parent), references


class CoquiSynthesizer:
    """Cloned speech from XTTS-v2 (zero-shot from reference clips, or fine-tuned)."""

    def __init__(
        self,
        model_dir: Path,
        references: list[Path],
        *,
        language: str = "ru",
        device: str = "auto",
    ) -> None:
        """Check the files, import coqui-tts and load the model (tens of seconds on the CPU).

        Raises ``ModelMissing``/``ModelCorrupt`` for absent or wrong weights or no
        reference clips, ``RuntimeError`` naming ``./install.sh --voice-clone`` when
        coqui-tts or torch is not installed.
        """
        check_xtts_dir(model_dir)
        if not references:
            raise ModelMissing(
                "Нет образцов голоса для клонирования",
                "подготовьте записи: kiosk voice enroll ПАПКА --name ИМЯ",
            )
        try:
            import torch
            from TTS.tts.configs.xtts_config import XttsConfig
            from TTS.tts.models.xtts import Xtts
        except ImportError as exc:
            raise RuntimeError(
                f"Для клонирования голоса нужен пакет coqui-tts (и torch); {_INSTALL_HINT}"
            ) from exc
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        config = XttsConfig()
        config.load_json(str(model_dir / "config.json"))
        try:
            model = Xtts.init_from_config(config)
            model.load_checkpoint(config, checkpoint_dir=str(model_dir), use_deepspeed=False)
        except (RuntimeError, OSError, KeyError, ValueError) as exc:
            raise ModelCorrupt(
                f"Модель XTTS в {model_dir} не загружается: {exc}", _IMPORT_HINT
            ) from exc
        model.to(device)
        self._model = model
        self._latent, self._speaker = model.get_conditioning_latents(
            audio_path=[str(p) for p in references]
        )
        self.language = language
        self.device = device
        self.sample_rate = XTTS_RATE
        self.name = f"coqui:{model_dir.name}"

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text`` in the cloned voice."""
        if not text.strip():
            return Synthesis(b"", self.sample_rate, LipSyncTrack(rate=100.0, openness=()))
        out = self._model.inference(
            text, self.language, self._latent, self._speaker,
            temperature=0.7, speed=_EMOTION_SPEED.get(emotion, 1.0),
        )  # fmt: skip
        wav = np.asarray(out["wav"], dtype=np.float32)
        pcm = np.round(np.clip(wav, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return Synthesis(pcm, self.sample_rate, track_from_audio(pcm, self.sample_rate))
