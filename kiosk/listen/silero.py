"""End-of-speech detection with Silero VAD (ONNX, run by onnxruntime alone: no torch).

Silero VAD is a small neural network that gives a speech probability for every
32 ms of 16 kHz audio. Unlike webrtcvad it is not fooled by steady noise: with
pink noise at 15 dB SNR webrtcvad calls the noise speech and never ends the
utterance, Silero ends it. ``SileroEndpointer`` keeps ``WebRtcEndpointer``'s
state machine (start window, silence timeout, pre-roll, min/max length) and
only replaces the per-frame decision.

The weights come from the ``silero-vad`` package (6.2.3, MIT), which declares
torch as a dependency: install it with ``pip install --no-deps silero-vad==6.2.3``.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kiosk.errors import ModelMissing
from kiosk.events import AudioFrame
from kiosk.listen.vad import WebRtcEndpointer, frame_dbfs

if TYPE_CHECKING:
    from kiosk.config import AudioSettings, ListenSettings

__all__ = ["SileroEndpointer", "SileroVad", "silero_model_path"]

_LOGGER = logging.getLogger(__name__)

_CHUNK = 512
"""Samples per Silero step at 16 kHz (32 ms)."""
_CONTEXT = 64
"""Samples of the previous step the model is given with each step."""


def silero_model_path() -> Path | None:
    """``silero_vad.onnx`` of the installed ``silero-vad`` package, or None."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx"
    return path if path.is_file() else None


class SileroVad:
    """Streaming speech probability: push 16 kHz int16 samples, read ``probability``."""

    def __init__(self, model: Path | None = None, threads: int = 1) -> None:
        """Load the ONNX model; ``ModelMissing`` when the package is not installed."""
        path = model or silero_model_path()
        if path is None:
            raise ModelMissing(
                "Не найдена модель Silero VAD",
                "установите её: pip install --no-deps silero-vad==6.2.3, "
                'или выберите listen.vad_engine = "webrtc"',
            )
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
        self._session: Any = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._sr = np.array(16000, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget the stream (recurrent state, context and unprocessed samples)."""
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.probability = 0.0
        """Speech probability of the newest 32 ms step (0..1)."""

    def push(self, samples: np.ndarray) -> list[float]:
        """Add int16 samples; return the probability of each completed 32 ms step."""
        audio = samples.astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, audio])
        out = []
        while self._pending.size >= _CHUNK:
            chunk, self._pending = self._pending[:_CHUNK], self._pending[_CHUNK:]
            x = np.concatenate([self._context, chunk])[None, :]
            prob, self._state = self._session.run(
                None, {"input": x, "state": self._state, "sr": self._sr}
            )
            self._context = chunk[-_CONTEXT:]
            self.probability = float(prob.reshape(-1)[0])
            out.append(self.probability)
        return out


class SileroEndpointer(WebRtcEndpointer):
    """An ``Endpointer`` whose frames are voiced by Silero VAD (with hysteresis).

    A frame is voiced when the newest probability is at least ``threshold``;
    once in speech it stays voiced down to ``threshold - 0.15`` (Silero's own
    recommendation), so a soft syllable does not count as silence.
    """

    def __init__(
        self, *args: Any, threshold: float = 0.5, vad: SileroVad | None = None, **kwargs: Any
    ) -> None:
        """Arguments as ``WebRtcEndpointer`` (``aggressiveness`` is ignored) plus ``threshold``."""
        super().__init__(*args, **kwargs)
        if self.sample_rate != 16000:
            raise ValueError("Silero VAD runs at 16000 Hz here")
        self.threshold = threshold
        self.silero = vad or SileroVad()
        self._speaking = False

    @classmethod
    def from_settings(cls, settings: ListenSettings, audio: AudioSettings) -> SileroEndpointer:
        """Build from the ``[listen]`` and ``[audio]`` sections."""
        return cls(
            sample_rate=audio.sample_rate,
            frame_ms=audio.frame_ms,
            end_silence_ms=settings.end_silence_ms,
            min_speech_ms=settings.min_speech_ms,
            max_speech_s=settings.max_speech_s,
            pre_roll_ms=settings.pre_roll_ms,
        )

    def reset(self) -> None:
        """Forget any utterance in progress (the network keeps its recent context)."""
        super().reset()
        self._speaking = False

    def _is_voiced(self, frame: AudioFrame) -> bool:
        self.silero.push(np.frombuffer(frame.pcm, dtype="<i2"))
        if frame_dbfs(frame.pcm) < self.energy_floor_dbfs:
            self._speaking = False
            return False
        limit = self.threshold - 0.15 if self._speaking else self.threshold
        self._speaking = self.silero.probability >= limit
        return self._speaking
