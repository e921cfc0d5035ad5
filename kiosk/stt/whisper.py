"""Whisper speech recognition with faster-whisper (CTranslate2), on the GPU or the CPU."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.events import Transcript

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MIN_AUDIO_S", "WHISPER_RATE", "WhisperTranscriber", "pick_compute_type", "pick_device"]

_LOGGER = logging.getLogger(__name__)

WHISPER_RATE = 16000
"""Whisper hears 16 kHz audio; anything else is resampled first."""
MIN_AUDIO_S = 0.1
"""Shorter audio is not worth a model call: the transcript is empty."""

_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
_FIX_HINT = "проверьте модели: kiosk models verify; переустановите: ./install.sh"
_COMPUTE_PREFERENCE = {
    "cuda": ("float16", "int8_float16", "float32"),
    "cpu": ("int8", "int8_float32", "float32"),
}


def pick_device(device: str = "auto") -> str:
    """``cuda`` when asked for or (``auto``) when CTranslate2 sees a GPU, else ``cpu``."""
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def pick_compute_type(device: str, compute_type: str = "auto") -> str:
    """The requested compute type if ``device`` supports it, else the best one it does.

    ``auto`` is float16 on CUDA and int8 on the CPU; when a type is unsupported
    (int8 on an old CPU, float16 on an old GPU) the next of int8_float*/float32 is used.
    """
    import ctranslate2

    supported = set(ctranslate2.get_supported_compute_types(device))
    preference = _COMPUTE_PREFERENCE.get(device, ("float32",))
    wanted = preference[0] if compute_type == "auto" else compute_type
    if wanted in supported:
        return wanted
    fallback = next((t for t in preference if t in supported), "float32")
    _LOGGER.warning("compute type %s is not supported on %s; using %s", wanted, device, fallback)
    return fallback


def _prompt_for(hotwords: Sequence[str]) -> str | None:
    """A previous-text prompt that makes whisper expect the names in ``hotwords``.

    Why not faster-whisper's ``hotwords``: it puts the bare name last in the
    prompt, so whisper takes the name as already said and drops it from the start
    of "Аня, что ты любишь рисовать?". A short dialogue that greets and calls the
    name and then ends with a question keeps it (measured on content/demo).
    """
    names = [w.strip() for w in hotwords if w.strip()]
    if not names:
        return None
    return " ".join(f"Привет, {name}! {name}, ты где?" for name in names[:3])


def _check_model_dir(model_dir: Path) -> None:
    if not model_dir.exists():
        raise ModelMissing(
            f"Нет папки модели распознавания речи: {model_dir}",
            "./install.sh или kiosk models install-defaults",
        )
    if not model_dir.is_dir():
        raise ModelCorrupt(
            f"{model_dir}: модель Whisper должна быть папкой (CTranslate2), а это файл",
            _FIX_HINT,
        )
    missing = [name for name in _REQUIRED_FILES if not (model_dir / name).is_file()]
    if not any((model_dir / f"vocabulary.{ext}").is_file() for ext in ("json", "txt")):
        missing.append("vocabulary.json")
    if missing:
        raise ModelCorrupt(
            f"В модели {model_dir.name} не хватает файлов: {', '.join(missing)}", _FIX_HINT
        )


class WhisperTranscriber:
    """A ``Transcriber`` on faster-whisper, tuned for short Russian utterances.

    The model loads when the object is made (a few seconds for whisper-base on
    the CPU); ``warm_up`` runs it once so the first real utterance is not slow.
    Calls are serialised with a lock, so one instance can serve several threads.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        beam_size: int = 1,
        cpu_threads: int = 0,
        hotwords: Sequence[str] = ("Аня",),
        language: str = "ru",
    ) -> None:
        """Load the CTranslate2 Whisper model in ``model_dir``.

        Raises ``ModelMissing`` when the folder does not exist and ``ModelCorrupt``
        when files are missing or the model cannot be loaded.
        """
        model_dir = Path(model_dir).expanduser()
        _check_model_dir(model_dir)
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise RuntimeError(
                "faster-whisper is not installed: pip install faster-whisper (./install.sh)"
            ) from exc

        self.model_dir = model_dir
        self.name = f"whisper:{model_dir.name}"
        self.device = pick_device(device)
        self.beam_size = beam_size
        self.language = language
        self.prompt = _prompt_for(hotwords)
        self.gpu_fallback: str | None = None
        """Why the GPU was not used although it was chosen (None: it was, or not chosen)."""
        self._lock = threading.Lock()
        # CTranslate2 defaults to 4 threads: on a 2-core box that oversubscribes
        # (measured 0.9 s vs 0.6 s for a 3 s question); use the real core count.
        threads = cpu_threads or min(os.cpu_count() or 1, 8)
        started = time.perf_counter()
        try:
            if self.device == "cuda":
                try:
                    self.compute_type = pick_compute_type("cuda", compute_type)
                    self._model = WhisperModel(
                        str(model_dir), device="cuda", compute_type=self.compute_type,
                        cpu_threads=threads, local_files_only=True,
                    )  # fmt: skip
                except RuntimeError as exc:  # out of GPU memory, no driver, no cuDNN
                    self.gpu_fallback = str(exc)
                    _LOGGER.warning(
                        "whisper on the GPU failed (%s): recognising on the CPU", exc,
                        extra={"stage": "stt"},
                    )  # fmt: skip
                    self.device = "cpu"
            if self.device == "cpu":
                self.compute_type = pick_compute_type("cpu", compute_type)
                self._model = WhisperModel(
                    str(model_dir), device="cpu", compute_type=self.compute_type,
                    cpu_threads=threads, local_files_only=True,
                )  # fmt: skip
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelCorrupt(
                f"Модель {model_dir.name} не загружается: {exc}".strip(), _FIX_HINT
            ) from exc
        _LOGGER.info(
            "loaded %s on %s (%s) in %.1f s",
            self.name,
            self.device,
            self.compute_type,
            time.perf_counter() - started,
        )

    def transcribe(self, pcm: bytes, sample_rate: int) -> Transcript:
        """Recognise signed 16-bit mono ``pcm`` at ``sample_rate`` Hz (blocking)."""
        audio_seconds = len(pcm) / 2 / sample_rate if sample_rate > 0 else 0.0
        if audio_seconds < MIN_AUDIO_S:
            return Transcript("", self.language, True, audio_seconds, 0.0)
        started = time.perf_counter()
        samples = self._to_float(pcm, sample_rate)
        with self._lock:
            segments, _info = self._model.transcribe(
                samples,
                language=self.language,
                beam_size=self.beam_size,
                vad_filter=False,  # the endpointer has already cut the utterance
                condition_on_previous_text=False,
                without_timestamps=True,
                initial_prompt=self.prompt,
            )
            parts = list(segments)  # the generator runs the model
        text = "".join(part.text for part in parts).strip()
        logprobs = [part.avg_logprob for part in parts]
        confidence = sum(math.exp(lp) for lp in logprobs) / len(logprobs) if logprobs else 0.0
        _LOGGER.debug(
            "transcribed %.2f s in %.0f ms: %r",
            audio_seconds,
            (time.perf_counter() - started) * 1000,
            text,
        )
        return Transcript(text, self.language, True, audio_seconds, min(max(confidence, 0.0), 1.0))

    def warm_up(self) -> None:
        """Run the model once on half a second of silence (first calls are slower)."""
        self.transcribe(bytes(WHISPER_RATE), WHISPER_RATE)

    @staticmethod
    def _to_float(pcm: bytes, sample_rate: int) -> np.ndarray[Any, Any]:
        from kiosk.audio.wav import pcm_to_float, resample

        if len(pcm) % 2:
            pcm = pcm[:-1]
        if sample_rate != WHISPER_RATE:
            pcm = resample(pcm, sample_rate, WHISPER_RATE)
        return pcm_to_float(pcm)
