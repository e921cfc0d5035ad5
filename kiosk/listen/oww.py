"""The acoustic wake word: a small "Аня" head on openWakeWord's shipped backbone.

openWakeWord 0.4.0 ships two ONNX models that turn 16 kHz audio into speech
embeddings: a melspectrogram (32 bands, 10 ms hop) and Google's
``speech_embedding`` network (76 mel frames → 96 numbers, one every 80 ms).
They are language-independent; only the tiny head on top decides which word
is heard. Our head (``content/wake/anya.npz``) was trained here on synthesised
Russian speech by ``kiosk listen train-wake`` (see ``kiosk.listen.wake_train``).

The models run with onnxruntime alone (no tflite, no openwakeword import) and
cost about 1.5 ms of one CPU core per 80 ms of audio. openWakeWord's model
files are licensed CC BY-NC-SA 4.0 (non-commercial); its code is Apache-2.0.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kiosk.errors import ModelMissing
from kiosk.paths import CONTENT_DIR

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "EMBEDDING_DIM",
    "HOP_SAMPLES",
    "SAMPLE_RATE",
    "WAKE_HEAD",
    "OwwFeatures",
    "WakeHead",
    "backbone_dir",
    "clip_embeddings",
    "dither",
    "stack_windows",
    "warmup_hops",
]

_LOGGER = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""The backbone's sample rate in Hz."""
HOP_SAMPLES = 1280
"""One embedding per 80 ms of audio (openWakeWord's streaming step)."""
EMBEDDING_DIM = 96
"""Numbers per embedding."""
WAKE_HEAD = CONTENT_DIR / "wake" / "anya.npz"
"""The shipped "Аня" head."""

_MEL_CONTEXT = 480
"""Extra samples before each hop given to the melspectrogram (3 mel hops, as openWakeWord)."""
_MEL_WINDOW = 76
"""Mel frames one embedding looks at (0.76 s)."""
_MEL_PER_HOP = 8
_MEL_KEEP = 2 * _MEL_WINDOW


def backbone_dir() -> Path | None:
    """Folder of openWakeWord's ONNX backbone, or None when the package is not installed.

    Found without importing ``openwakeword`` (its import pulls tflite/sklearn paths
    the kiosk does not need).
    """
    spec = importlib.util.find_spec("openwakeword")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "resources" / "models"
    needed = ("melspectrogram.onnx", "embedding_model.onnx")
    return folder if all((folder / name).is_file() for name in needed) else None


def dither(samples: int, seed: int = 0) -> NDArray[np.int16]:
    """Very quiet noise (±2 LSB) to pad audio with: digital zeros upset the melspectrogram."""
    rng = np.random.default_rng(seed)
    return rng.integers(-2, 3, samples).astype(np.int16)


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OwwFeatures:
    """Streaming speech embeddings: push int16 samples, get one 96-d vector per 80 ms.

    The same code computes training features and live features, so the head sees
    identical numbers in both.
    """

    def __init__(self, models_dir: Path | None = None, threads: int = 1) -> None:
        """Load the backbone from ``models_dir`` (default: the installed openwakeword).

        Raises ``ModelMissing`` when the package is absent.
        """
        folder = models_dir or backbone_dir()
        if folder is None:
            raise ModelMissing(
                "Не найдена основа детектора слова «Аня» (openWakeWord)",
                "установите пакет: pip install openwakeword==0.4.0, "
                'или выберите listen.wake_engine = "transcript"',
            )
        self._mel = _session(folder / "melspectrogram.onnx", threads)
        self._embed = _session(folder / "embedding_model.onnx", threads)
        self._pending = np.zeros(0, dtype=np.int16)
        self._context = np.zeros(0, dtype=np.int16)
        self._mels = np.zeros((0, 32), dtype=np.float32)
        self.hops = 0
        """Hops processed since the last reset (the embedding count, including warm-up)."""

    def fork(self) -> OwwFeatures:
        """A fresh stream sharing this one's loaded models (cheap: no file is read)."""
        other = OwwFeatures.__new__(OwwFeatures)
        other._mel, other._embed = self._mel, self._embed
        other.reset()
        return other

    def reset(self) -> None:
        """Forget all audio (the next embedding needs 0.76 s of new audio)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._context = np.zeros(0, dtype=np.int16)
        self._mels = np.zeros((0, 32), dtype=np.float32)
        self.hops = 0

    def push(self, samples: NDArray[np.int16]) -> list[NDArray[np.float32]]:
        """Add audio; return the embeddings of every completed 80 ms hop (often none).

        During the first 0.76 s after a reset there are not enough mel frames yet:
        those hops yield nothing.
        """
        self._pending = np.concatenate([self._pending, samples.astype(np.int16, copy=False)])
        out: list[NDArray[np.float32]] = []
        while self._pending.size >= HOP_SAMPLES:
            hop, self._pending = self._pending[:HOP_SAMPLES], self._pending[HOP_SAMPLES:]
            chunk = np.concatenate([self._context, hop]).astype(np.float32)[None, :]
            self._context = hop[-_MEL_CONTEXT:]
            mel = np.squeeze(self._mel.run(None, {"input": chunk})[0]) / 10.0 + 2.0
            mel = mel.reshape(-1, 32)[-_MEL_PER_HOP:]
            self._mels = np.concatenate([self._mels, mel.astype(np.float32)])[-_MEL_KEEP:]
            self.hops += 1
            if self._mels.shape[0] < _MEL_WINDOW:
                continue
            window = self._mels[-_MEL_WINDOW:][None, :, :, None]
            vector = self._embed.run(None, {"input_1": window})[0].reshape(EMBEDDING_DIM)
            out.append(vector.astype(np.float32))
        return out


def clip_embeddings(features: OwwFeatures, samples: NDArray[np.int16]) -> NDArray[np.float32]:
    """Embeddings of a whole clip, shape ``(n, 96)``; row i ends at sample ``(hop_i + 1) * 1280``.

    Resets ``features`` first. The row of hop ``h`` is ``h - (warm-up hops)``: use
    ``warmup_hops()`` to map rows back to time.
    """
    features.reset()
    rows = features.push(samples)
    if not rows:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.stack(rows)


def warmup_hops() -> int:
    """Hops after a reset that yield no embedding (9): the first one ends at 0.8 s."""
    first_hop_mels = (HOP_SAMPLES - 400) // 160 + 1
    return -(-(_MEL_WINDOW - first_hop_mels) // _MEL_PER_HOP)


@dataclass(frozen=True, slots=True)
class WakeHead:
    """A tiny MLP on ``frames`` consecutive embeddings; ``score`` is a 0..1 probability."""

    frames: int
    """Consecutive embeddings the head looks at (8: the last 0.64 s of hops)."""
    mean: NDArray[np.float32]
    scale: NDArray[np.float32]
    w1: NDArray[np.float32]
    b1: NDArray[np.float32]
    w2: NDArray[np.float32]
    b2: NDArray[np.float32]
    phrase: str = "аня"
    """The phrase the head was trained on."""

    @classmethod
    def load(cls, path: Path = WAKE_HEAD) -> WakeHead:
        """Read a head saved by ``save``; ``ModelMissing`` when there is none."""
        if not path.is_file():
            raise ModelMissing(
                f"Нет модели слова-пробуждения: {path}",
                "обучите её командой kiosk listen train-wake "
                'или выберите listen.wake_engine = "transcript"',
            )
        with np.load(path) as data:
            arrays = {
                k: data[k].astype(np.float32) for k in ("mean", "scale", "w1", "b1", "w2", "b2")
            }
            frames = int(data["frames"])
            phrase = str(data["phrase"]) if "phrase" in data else "аня"
        return cls(frames=frames, phrase=phrase, **arrays)

    def save(self, path: Path) -> None:
        """Write the head as a small ``.npz`` (float16 weights, a few KB)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            frames=np.int32(self.frames),
            phrase=np.str_(self.phrase),
            **{
                k: getattr(self, k).astype(np.float16 if k.startswith("w") else np.float32)
                for k in ("mean", "scale", "w1", "b1", "w2", "b2")
            },
        )

    def score(self, windows: NDArray[np.float32]) -> NDArray[np.float32]:
        """Probabilities for ``windows`` of shape ``(n, frames, 96)`` or ``(n, frames*96)``."""
        x = windows.reshape(windows.shape[0], -1)
        x = (x - self.mean) / self.scale
        hidden = np.maximum(x @ self.w1 + self.b1, 0.0)
        logits = (hidden @ self.w2 + self.b2).reshape(-1)
        return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)


def stack_windows(embeddings: NDArray[np.float32], frames: int) -> NDArray[np.float32]:
    """All windows of ``frames`` consecutive rows, shape ``(n - frames + 1, frames, 96)``."""
    n = embeddings.shape[0] - frames + 1
    if n <= 0:
        return np.zeros((0, frames, EMBEDDING_DIM), dtype=np.float32)
    index = np.arange(frames)[None, :] + np.arange(n)[:, None]
    return embeddings[index]
