"""Training the compact acoustic model on an enrolled (LJSpeech-style) dataset.

Reads ``metadata.csv`` + ``wavs/``, computes mel features once, runs Adam with
gradient clipping, writes ``last.pt`` atomically every ``checkpoint_every`` steps
(model, optimiser, step, loss history: a run continues where it stopped) and an
evaluation sample (Griffin-Lim WAV) with each checkpoint. Needs torch (the
``speaker`` extra); imported only by ``kiosk voice train``.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kiosk.errors import AudioFormatError, ModelCorrupt
from kiosk.voice.acoustic import (
    SIZES,
    VOCAB,
    AcousticConfig,
    AcousticModel,
    MelExtractor,
    text_to_ids,
)
from kiosk.voice.similarity import VoiceSimilarity, voice_similarity

__all__ = [
    "CHECKPOINT_FORMAT",
    "EVAL_TEXT",
    "Clip",
    "StepReport",
    "TrainOptions",
    "TrainResult",
    "TrainingInterrupted",
    "load_checkpoint",
    "load_dataset",
    "synthesize_with",
    "train_voice",
]

_LOGGER = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "kiosk-acoustic-1"
"""Format tag inside every checkpoint (a different tag is refused, not misread)."""
EVAL_TEXT = "привет! меня зовут аня. давай поиграем вместе в новую игру."
"""The evaluation sentence: text the model has not trained on, so samples show generalisation."""
_ENROLL_HINT = "сначала подготовьте записи: kiosk voice enroll ПАПКА --name ИМЯ"
_RESTART_HINT = "удалите файл или начните заново: kiosk voice train ... --restart"


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """One training run."""

    steps: int = 20_000
    """Optimisation steps in total (a resumed run continues up to this number)."""
    size: str = "small"
    """Model size from ``SIZES`` (``tiny`` is for tests and smoke runs)."""
    batch_size: int = 16
    """Clips per step (fewer when the dataset is smaller)."""
    learning_rate: float = 1e-3
    """Adam step size."""
    checkpoint_every: int = 500
    """Steps between checkpoints (and evaluation samples); the last step always saves."""
    resume: bool = True
    """Continue from ``last.pt`` in the output folder when it is there."""
    init_from: Path | None = None
    """Start from another checkpoint's weights (fine-tuning a pre-trained voice)."""
    device: str = "auto"
    """``cuda``, ``cpu`` or ``auto`` (the GPU when torch sees one)."""
    seed: int = 0
    """Shuffling and initialisation seed (a run is repeatable on the CPU)."""
    eval_sample: bool = True
    """Write ``eval/step-NNNNNN.wav`` (Griffin-Lim) with each checkpoint."""
    threads: int = 0
    """torch CPU threads (0: torch's choice). One is faster for the tiny model on a busy CPU."""
    similarity: bool = True
    """At the end, measure the speaker similarity of the last sample to the recordings."""


class TrainingInterrupted(Exception):
    """Ctrl-C during training; the checkpoint holds every completed step up to ``step``."""

    def __init__(self, step: int, checkpoint: Path) -> None:
        super().__init__(f"training interrupted at step {step}")
        self.step = step
        self.checkpoint = checkpoint


@dataclass(frozen=True, slots=True)
class Clip:
    """One training utterance: symbols and mel frames."""

    clip_id: str
    text: str
    ids: list[int]
    mel: torch.Tensor
    """(n_mels, frames) normalised log mel."""


@dataclass(frozen=True, slots=True)
class StepReport:
    """Progress after one step."""

    step: int
    total_steps: int
    loss: float
    mel_loss: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What a run did."""

    checkpoint: Path
    start_step: int
    """Step the run started from (0, or where a resumed run stopped)."""
    step: int
    clips: int
    skipped: list[str]
    """Clips not used and why (``id: reason``)."""
    device: str
    parameters: int
    losses: list[float] = field(default_factory=list)
    """Total loss of every step ever run on this checkpoint."""
    eval_samples: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    similarity: VoiceSimilarity | None = None
    """Speaker similarity of the final model's ``EVAL_TEXT`` to the recordings (None: not run)."""


def _read_audio(path: Path, rate: int) -> np.ndarray:
    import soundfile
    import soxr

    samples, source_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    return mono if source_rate == rate else soxr.resample(mono, source_rate, rate)


def load_dataset(dataset_dir: Path, config: AcousticConfig) -> tuple[list[Clip], list[str]]:
    """(usable clips, skipped ``id: reason``) of an LJSpeech folder.

    ``metadata.csv`` rows are ``id|text|normalized text`` (the last column is read);
    a missing or unreadable WAV, or text with fewer mel frames than symbols, is skipped.
    """
    metadata = dataset_dir / "metadata.csv"
    if not metadata.is_file():
        raise AudioFormatError(f"Набор записей не найден: {metadata}", _ENROLL_HINT)
    extractor = MelExtractor(config)
    clips: list[Clip] = []
    skipped: list[str] = []
    for line in metadata.read_text(encoding="utf-8").splitlines():
        fields = line.split("|")
        if len(fields) < 2 or not fields[0].strip():
            continue
        clip_id, text = fields[0].strip(), fields[-1].strip()
        ids = text_to_ids(text)
        if not ids:
            skipped.append(f"{clip_id}: нет русских букв в тексте")
            continue
        try:
            samples = _read_audio(dataset_dir / "wavs" / f"{clip_id}.wav", config.sample_rate)
        except (OSError, RuntimeError, ValueError) as exc:
            skipped.append(f"{clip_id}: звук не читается ({type(exc).__name__})")
            continue
        mel = extractor.mel(samples)
        if mel.shape[1] < len(ids):
            skipped.append(f"{clip_id}: запись короче текста")
            continue
        clips.append(Clip(clip_id, text, ids, mel))
    if not clips:
        raise AudioFormatError(
            f"В наборе {dataset_dir} нет ни одной годной фразы ({len(skipped)} пропущено)",
            _ENROLL_HINT,
        )
    return clips, skipped


def _batch(clips: list[Clip], device: torch.device) -> tuple[torch.Tensor, ...]:
    n_mels = clips[0].mel.shape[0]
    id_lens = torch.tensor([len(c.ids) for c in clips])
    mel_lens = torch.tensor([c.mel.shape[1] for c in clips])
    ids = torch.zeros(len(clips), int(id_lens.max()), dtype=torch.long)
    mels = torch.zeros(len(clips), n_mels, int(mel_lens.max()))
    for i, clip in enumerate(clips):
        ids[i, : len(clip.ids)] = torch.tensor(clip.ids)
        mels[i, :, : clip.mel.shape[1]] = clip.mel
    return ids.to(device), id_lens.to(device), mels.to(device), mel_lens.to(device)


def _save_atomic(state: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path, device: str = "cpu") -> tuple[AcousticModel, dict[str, Any]]:
    """(model in eval mode, the checkpoint dict) from a ``kiosk voice train`` checkpoint."""
    if not path.is_file():
        raise ModelCorrupt(f"Контрольная точка не найдена: {path}", _RESTART_HINT)
    try:
        state = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("not a kiosk acoustic checkpoint")
        config = AcousticConfig(**state["config"])
        model = AcousticModel(config).to(device)
        model.load_state_dict(state["model"])
    except (
        OSError,
        RuntimeError,
        ValueError,
        KeyError,
        TypeError,
        EOFError,
        pickle.UnpicklingError,
    ) as exc:
        raise ModelCorrupt(
            f"Контрольная точка {path} повреждена или не от kiosk voice train: {exc}",
            _RESTART_HINT,
        ) from exc
    model.eval()
    return model, state


def synthesize_with(model: AcousticModel, text: str, speed: float = 1.0) -> np.ndarray:
    """Float samples at ``model.config.sample_rate`` for normalised Russian ``text``."""
    ids = text_to_ids(text)
    if not any(VOCAB[i].isalpha() for i in ids):
        return np.zeros(0, dtype=np.float32)
    was_training = model.training
    model.eval()
    mel = model.infer(ids, speed=speed)
    model.train(was_training)
    return MelExtractor(model.config).audio(mel.cpu())


def _write_eval(model: AcousticModel, text: str, path: Path) -> Path:
    from kiosk.audio.wav import write_wav

    samples = synthesize_with(model, text)
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    write_wav(path, pcm, model.config.sample_rate)
    return path


def _pick_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def _restore(
    options: TrainOptions, checkpoint: Path, device: torch.device
) -> tuple[dict[str, Any] | None, AcousticConfig]:
    """The state to continue from (None: a fresh start) and the model shape."""
    if options.resume and checkpoint.is_file():
        _, state = load_checkpoint(checkpoint, str(device))
        return state, AcousticConfig(**state["config"])
    if options.init_from is not None:
        _, state = load_checkpoint(options.init_from, str(device))
        fresh = {"model": state["model"], "config": state["config"], "step": 0, "losses": []}
        return fresh, AcousticConfig(**state["config"])
    return None, SIZES[options.size]


def train_voice(
    dataset_dir: Path,
    output_dir: Path,
    options: TrainOptions,
    on_step: Callable[[StepReport], None] | None = None,
) -> TrainResult:
    """Train (or continue training) on ``dataset_dir``; checkpoints go to ``output_dir``.

    Raises ``AudioFormatError`` for a missing or empty dataset, ``ModelCorrupt`` for
    an unreadable checkpoint to resume or start from.
    """
    started = time.monotonic()
    device = _pick_device(options.device)
    checkpoint = output_dir / "last.pt"
    state, config = _restore(options, checkpoint, device)
    if options.threads > 0:
        torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    clips, skipped = load_dataset(dataset_dir, config)
    model = AcousticModel(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.learning_rate)
    step, losses = 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        step, losses = int(state["step"]), list(state["losses"])
        if "optimizer" in state:
            optimizer.load_state_dict(state["optimizer"])
    start_step = step
    parameters = sum(p.numel() for p in model.parameters())
    _LOGGER.info(
        "training %d clips on %s from step %d to %d (%d parameters)",
        len(clips), device, step, options.steps, parameters,
    )  # fmt: skip
    rng = random.Random(options.seed + step)
    order: list[int] = []
    eval_samples: list[Path] = []
    batch_size = max(1, min(options.batch_size, len(clips)))
    model.train()
    saved, consistent = step, True

    def save() -> None:
        _save_atomic(
            {
                "format": CHECKPOINT_FORMAT, "config": config.to_dict(),
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "step": step, "losses": losses, "dataset": str(dataset_dir),
            },
            checkpoint,
        )  # fmt: skip

    try:
        while step < options.steps:
            if len(order) < batch_size:
                order = list(range(len(clips)))
                rng.shuffle(order)
            batch = [clips[order.pop()] for _ in range(batch_size)]
            result = model.losses(*_batch(batch, device))
            consistent = False  # weights and step count disagree until the update is done
            optimizer.zero_grad(set_to_none=True)
            result.total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            losses.append(round(result.total.item(), 5))
            consistent = True
            if on_step is not None:
                elapsed = time.monotonic() - started
                on_step(StepReport(step, options.steps, losses[-1], result.mel.item(), elapsed))
            if step % options.checkpoint_every == 0 or step == options.steps:
                save()
                saved = step
                if options.eval_sample:
                    eval_path = output_dir / "eval" / f"step-{step:06d}.wav"
                    eval_samples.append(_write_eval(model, EVAL_TEXT, eval_path))
    except KeyboardInterrupt:
        if consistent and step > saved:
            save()
            saved = step
        _write_log(output_dir, dataset_dir, start_step, saved, losses[:saved], len(clips),
                   skipped, time.monotonic() - started)  # fmt: skip
        raise TrainingInterrupted(saved, checkpoint) from None
    similarity = None
    if options.similarity and step > start_step:
        samples = synthesize_with(model, EVAL_TEXT)
        references = [dataset_dir / "wavs" / f"{c.clip_id}.wav" for c in clips]
        similarity = voice_similarity(samples, config.sample_rate, references)
    seconds = time.monotonic() - started
    _write_log(output_dir, dataset_dir, start_step, step, losses, len(clips), skipped, seconds)
    return TrainResult(
        checkpoint=checkpoint, start_step=start_step, step=step, clips=len(clips),
        skipped=skipped, device=str(device), parameters=parameters, losses=losses,
        eval_samples=eval_samples, seconds=seconds, similarity=similarity,
    )  # fmt: skip


def _write_log(
    output_dir: Path,
    dataset_dir: Path,
    start: int,
    step: int,
    losses: list[float],
    clips: int,
    skipped: list[str],
    seconds: float,
) -> None:
    """Append one line per run to ``train_log.jsonl`` (what ran, for how long, the losses)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    entry = {
        "dataset": str(dataset_dir), "from_step": start, "to_step": step, "clips": clips,
        "skipped": skipped, "seconds": round(seconds, 2),
        "first_loss": losses[start] if len(losses) > start else None,
        "last_loss": losses[-1] if losses else None,
    }  # fmt: skip
    with (output_dir / "train_log.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
