"""Fine-tuning plans for Coqui's XTTS-v2 (or VITS) recipe, sized to an enrolled dataset.

Only the plan is made here (hyper-parameters, paths, what is missing): the XTTS
run itself needs a GPU, the ``voice-clone`` extra and the XTTS-v2 weights, and
``check_ready`` says what to install or import. The training that runs in kiosk
itself (a compact acoustic model) is ``kiosk.voice.trainer``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kiosk.errors import AudioFormatError, ModelMissing
from kiosk.paths import atomic_write_text

if TYPE_CHECKING:
    from kiosk.paths import Paths

__all__ = ["Recipe", "TrainingPlan", "check_ready", "plan_training", "write_plan"]

_LOGGER = logging.getLogger(__name__)

Recipe = Literal["xtts", "vits"]

BASE_MODELS: dict[str, str] = {"xtts": "xtts-v2", "vits": ""}
"""Manifest name of the model each recipe fine-tunes ("" trains from scratch)."""
VOICE_CLONE_HINT = "установите клонирование голоса: ./install.sh --voice-clone"


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    """Everything a fine-tuning run needs to know, sized to the dataset."""

    voice: str
    recipe: Recipe
    dataset_dir: str
    """LJSpeech-style folder (``metadata.csv`` + ``wavs/``)."""
    output_dir: str
    """Checkpoints and the final model (resumable: the trainer continues from the last)."""
    base_model: str
    """Manifest name of the weights fine-tuned (empty: from scratch)."""
    clips: int
    minutes: float
    sample_rate: int
    """Hz of ``wavs/``."""
    epochs: int
    batch_size: int
    grad_accum_steps: int
    learning_rate: float
    eval_split: float
    """Share of clips held out for the per-epoch evaluation sample."""
    language: str = "ru"
    reference_clips: list[str] = field(default_factory=list)
    """The cleanest clips: XTTS speaker conditioning and zero-shot cloning."""


def _read_dataset(dataset_dir: Path) -> tuple[list[str], dict[str, object]]:
    metadata = dataset_dir / "metadata.csv"
    if not metadata.is_file():
        raise AudioFormatError(
            f"Набор записей не найден: {metadata}",
            "сначала подготовьте записи: kiosk voice enroll ПАПКА --name ИМЯ",
        )
    rows = [line for line in metadata.read_text(encoding="utf-8").splitlines() if line.strip()]
    report_path = dataset_dir / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else {}
    return rows, report


def plan_training(voice_dir: Path, recipe: Recipe = "xtts") -> TrainingPlan:
    """A fine-tuning plan for the dataset in ``voice_dir/dataset``.

    Epochs scale inversely with the data so every run sees roughly 6 000 clip
    presentations (XTTS fine-tuning recipes converge in a few thousand steps at
    batch 4 with 5–10 minutes of speech); VITS from scratch needs far more.
    """
    dataset_dir = voice_dir / "dataset"
    rows, report = _read_dataset(dataset_dir)
    clips = report.get("clips", [])
    minutes = float(report.get("usable_minutes", 0.0))  # type: ignore[arg-type]
    import soundfile

    wavs = sorted((dataset_dir / "wavs").glob("*.wav"))
    rate = soundfile.info(str(wavs[0])).samplerate if wavs else 22050
    assert isinstance(clips, list)
    cleanest = sorted(
        (c for c in clips if 4.0 <= c.get("duration", 0) <= 12.0),
        key=lambda c: -float(c.get("snr_db", 0)),
    )
    reference = [str(dataset_dir / "wavs" / f"{c['id']}.wav") for c in cleanest[:3]]
    count = len(rows)
    if recipe == "xtts":
        batch, accum, lr, presentations = 4, 2, 5e-6, 6000
    else:
        batch, accum, lr, presentations = 16, 1, 2e-4, 200_000
    epochs = max(10, min(1000, presentations // max(1, count)))
    return TrainingPlan(
        voice=voice_dir.name, recipe=recipe, dataset_dir=str(dataset_dir),
        output_dir=str(voice_dir / f"train-{recipe}"), base_model=BASE_MODELS[recipe],
        clips=count, minutes=round(minutes, 2), sample_rate=int(rate), epochs=epochs,
        batch_size=batch, grad_accum_steps=accum, learning_rate=lr,
        eval_split=0.1 if count >= 20 else 0.0, reference_clips=reference,
    )  # fmt: skip


def write_plan(plan: TrainingPlan) -> Path:
    """Write the plan as ``<output_dir>/plan.json`` (what ``kiosk voice train`` will run)."""
    path = Path(plan.output_dir) / "plan.json"
    atomic_write_text(path, json.dumps(asdict(plan), ensure_ascii=False, indent=2))
    return path


def check_ready(plan: TrainingPlan, paths: Paths) -> None:
    """Raise with what to install or import when the run cannot start here.

    ``RuntimeError`` naming ``./install.sh --voice-clone`` when coqui-tts or torch
    is missing; ``ModelMissing`` naming ``kiosk models import`` when the base
    weights are not installed.
    """
    missing = [m for m in ("TTS", "torch") if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(
            f"Для обучения голоса нужны пакеты {', '.join(missing)} (не установлены); "
            f"{VOICE_CLONE_HINT}"
        )
    if plan.base_model:
        from kiosk.models import find_model

        try:
            find_model(paths, plan.base_model, "tts")
        except ModelMissing as exc:
            raise ModelMissing(
                f"Для дообучения нужна модель {plan.base_model} (веса XTTS-v2), она не установлена",
                "скопируйте папку XTTS-v2 (model.pth, config.json, vocab.json, "
                "speakers_xtts.pth) на флешку и выполните: kiosk models import "
                "/media/usb/XTTS-v2 --name xtts-v2",
            ) from exc
    _LOGGER.info("training prerequisites present for %s", plan.voice)
