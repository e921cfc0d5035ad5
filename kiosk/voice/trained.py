"""The "trained" engine: speech from a checkpoint of ``kiosk voice train``.

The compact acoustic model (``kiosk.voice.acoustic``) turns text into a mel
spectrogram and Griffin-Lim turns that into audio; the lip-sync timeline comes
from the audio's loudness, as for the other engines without phoneme timings.
Honest expectations: a ``small`` model trained for hours on 5–10 minutes of
speech sounds like a buzzy version of the speaker; a ``tiny`` checkpoint (a few
steps, for tests) makes noise of the right length, not speech. Needs torch (the
``speaker`` extra), imported only when a trained voice is loaded.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import ConfigError, ModelMissing
from kiosk.events import LipSyncTrack
from kiosk.voice.base import EMOTION_SPEED as SHARED_EMOTION_SPEED
from kiosk.voice.base import Synthesis
from kiosk.voice.lipsync import track_from_audio

if TYPE_CHECKING:
    from kiosk.paths import Paths

__all__ = [
    "CHECKPOINT_FOLDERS",
    "EMOTION_SPEED",
    "TrainedSynthesizer",
    "resolve_trained_checkpoint",
    "trained_checkpoints",
]

_LOGGER = logging.getLogger(__name__)

CHECKPOINT_FOLDERS = ("train-acoustic", "train-tiny")
"""Run folders ``kiosk voice train`` writes beside a voice's dataset, preferred first."""
EMOTION_SPEED: dict[str, float] = SHARED_EMOTION_SPEED
"""Emotion → speaking-speed factor (the model predicts durations; pitch is what it learnt)."""
_TRAIN_HINT = "обучите голос: kiosk voice train --name ИМЯ (после kiosk voice enroll)"
_TORCH_HINT = "установите torch для обученного голоса: ./install.sh --speaker (torch==2.13.0)"


def trained_checkpoints(paths: Paths) -> dict[str, Path]:
    """Voice name → its preferred ``last.pt`` for every trained voice in the data dir."""
    found: dict[str, Path] = {}
    root = paths.voices_dir
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        for run in CHECKPOINT_FOLDERS:
            checkpoint = folder / run / "last.pt"
            if checkpoint.is_file():
                found[folder.name] = checkpoint
                break
    return found


def resolve_trained_checkpoint(paths: Paths | None, checkpoint: str) -> Path:
    """The ``last.pt`` that ``voice.checkpoint`` names (nothing is loaded).

    ``checkpoint`` is a voice name in the data dir (its ``train-acoustic/`` run,
    else ``train-tiny/``), a path to a ``.pt`` file, or empty: the only trained
    voice there is. Raises ``ModelMissing`` (with the training command) when
    there is none, ``ConfigError`` when the choice is ambiguous or the name invalid.
    """
    value = checkpoint.strip()
    if value.endswith(".pt") or "/" in value:
        path = Path(value).expanduser()
        if not path.is_file():
            raise ModelMissing(f"Файл обученного голоса не найден: {path}", _TRAIN_HINT)
        return path
    if paths is None:
        raise ConfigError(
            "Для обученного голоса нужна папка данных",
            "укажите voice.checkpoint = путь к файлу last.pt",
        )
    found = trained_checkpoints(paths)
    if value:
        from kiosk.voice.enroll import voice_dir

        folder = voice_dir(paths, value)
        if value in found:
            return found[value]
        raise ModelMissing(
            f"Голос «{value}» ещё не обучен (нет {folder}/train-acoustic/last.pt)",
            _TRAIN_HINT.replace("ИМЯ", value),
        )
    if not found:
        raise ModelMissing("Обученных голосов пока нет", _TRAIN_HINT)
    if len(found) > 1:
        raise ConfigError(
            f"Обученных голосов несколько: {', '.join(found)}",
            f"выберите один: voice.checkpoint = «{next(iter(found))}»",
        )
    return next(iter(found.values()))


class TrainedSynthesizer:
    """Speech from a ``kiosk voice train`` checkpoint (mel model + Griffin-Lim)."""

    def __init__(self, checkpoint: Path, *, device: str = "cpu", iterations: int = 32) -> None:
        """Load the checkpoint (a second or two; torch is imported here).

        Raises ``ModelCorrupt`` for an unreadable or foreign checkpoint,
        ``ModelMissing`` for an absent one, ``RuntimeError`` naming the extra
        to install when torch is missing.
        """
        if not checkpoint.is_file():
            raise ModelMissing(f"Файл обученного голоса не найден: {checkpoint}", _TRAIN_HINT)
        try:
            from kiosk.voice.trainer import load_checkpoint
        except ImportError as exc:
            raise RuntimeError(f"Для обученного голоса нужен torch; {_TORCH_HINT}") from exc
        model, state = load_checkpoint(checkpoint, device)
        self._model: Any = model
        self._lock = threading.Lock()
        self.iterations = iterations
        self.checkpoint = checkpoint
        self.step = int(state.get("step", 0))
        self.sample_rate = int(model.config.sample_rate)
        voice = checkpoint.parent.parent.name if checkpoint.name == "last.pt" else checkpoint.stem
        self.tiny = checkpoint.parent.name == "train-tiny" or model.config.hidden < 128
        self.name = f"trained:{voice}@{self.step}"
        if self.tiny:
            _LOGGER.warning(
                "%s is a tiny test checkpoint: its audio is noise, not speech", self.name
            )

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text``; ``emotion`` changes the speaking speed."""
        import numpy as np

        from kiosk.voice.acoustic import MelExtractor, text_to_ids

        empty = Synthesis(b"", self.sample_rate, LipSyncTrack(rate=100.0, openness=()))
        ids = text_to_ids(text)
        if not any(ch.isalpha() for ch in text) or not ids:
            return empty
        with self._lock:  # one inference at a time: torch modules are not re-entrant here
            mel = self._model.infer(ids, speed=EMOTION_SPEED.get(emotion, 1.0))
            samples = MelExtractor(self._model.config).audio(mel.cpu(), self.iterations)
        if samples.size == 0:
            return empty
        pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return Synthesis(pcm, self.sample_rate, track_from_audio(pcm, self.sample_rate))
