"""Who is speaking: a GE2E voice embedding per utterance, compared with enrolled voices.

The encoder is resemblyzer's (0.1.4): its wheel ships the trained weights
(``pretrained.pt``, 17 MB, a 3-layer LSTM over 40 mel bands). Only the weights
and the network's shape are taken from it; the package itself is never
imported, because its ``__init__`` pulls librosa (numba, llvmlite,
scikit-learn) and scipy just to compute a mel spectrogram. The same steps run
here on numpy: volume normalised up to -30 dBFS, long silences trimmed with
webrtcvad, a slaney mel spectrogram identical to librosa's, 1.6 s partial
windows at 1.3 per second, the mean of their embeddings L2-normalised
(embeddings match resemblyzer+librosa to a cosine similarity above 0.999).

Install with ``./install.sh --speaker`` (the local torch build, then
``pip install --no-deps resemblyzer==0.1.4``).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from kiosk.errors import AudioFormatError

if TYPE_CHECKING:
    from kiosk.listen.enroll import SpeakerProfiles

__all__ = [
    "ENCODER_RATE",
    "INSTALL_HINT",
    "Role",
    "SpeakerTag",
    "SpeakerTagger",
    "VoiceEncoder",
    "cosine",
    "mel_spectrogram",
]

_LOGGER = logging.getLogger(__name__)

Role = Literal["child", "parent", "unknown"]

ENCODER_RATE = 16000
"""The encoder hears 16 kHz audio; anything else is resampled first."""
INSTALL_HINT = (
    "установите распознавание голосов: ./install.sh --speaker "
    "(torch, затем pip install --no-deps resemblyzer==0.1.4)"
)

# resemblyzer/hparams.py, the values the network was trained with.
_N_FFT = 400  # 25 ms
_HOP = 160  # 10 ms
_N_MELS = 40
_PARTIAL_FRAMES = 160  # 1.6 s
_PARTIAL_RATE = 1.3  # partial windows per second
_MIN_COVERAGE = 0.75  # a last window less full than this is dropped
_HIDDEN = 256
_LAYERS = 3
_NORM_DBFS = -30.0
_VAD_WINDOW = 480  # 30 ms at 16 kHz
_VAD_SMOOTH = 8  # windows in the moving average
_VAD_MAX_SILENCE = 6  # windows of silence kept inside speech
_WEIGHTS_PACKAGE = "resemblyzer"
_MIN_SECONDS = 0.3
"""Shorter audio has too little voice to tell speakers apart."""


def cosine(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    """Cosine similarity of two embeddings (1 is the same direction)."""
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b)) / denominator if denominator > 0 else 0.0


@cache
def _mel_filters() -> np.ndarray[Any, Any]:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): slaney scale and area norm."""

    def hz_to_mel(hz: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        mel = 3.0 * hz / 200.0
        log_part = hz >= 1000.0
        mel[log_part] = 15.0 + np.log(hz[log_part] / 1000.0) / (np.log(6.4) / 27.0)
        return mel

    def mel_to_hz(mel: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        hz = 200.0 * mel / 3.0
        log_part = mel >= 15.0
        hz[log_part] = 1000.0 * np.exp(np.log(6.4) / 27.0 * (mel[log_part] - 15.0))
        return hz

    fft_hz = np.linspace(0.0, ENCODER_RATE / 2, 1 + _N_FFT // 2)
    edges = np.array([0.0, ENCODER_RATE / 2])
    low, high = hz_to_mel(edges)
    mel_hz = mel_to_hz(np.linspace(low, high, _N_MELS + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Power mel spectrogram (frames × 40) of 16 kHz float audio, as librosa computes it.

    librosa ≥ 0.10 defaults: centred frames zero-padded by half a window, a
    periodic Hann window, power 2.
    """
    padded = np.pad(wav.astype(np.float32), _N_FFT // 2)
    n_frames = 1 + (len(padded) - _N_FFT) // _HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_HOP][:n_frames]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(_N_FFT) / _N_FFT)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power @ _mel_filters().T).astype(np.float32)


def _normalize_volume(wav: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Raise (never lower) the level to -30 dBFS RMS, as resemblyzer's preprocessing does."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    if rms <= 0.0:
        return wav
    change_db = _NORM_DBFS - 20.0 * np.log10(rms)
    return wav * 10.0 ** (change_db / 20.0) if change_db > 0 else wav


def _trim_long_silences(wav: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Drop pauses longer than ~200 ms (webrtcvad, mode 3), keeping speech and short gaps."""
    import webrtcvad

    wav = wav[: len(wav) - len(wav) % _VAD_WINDOW]
    if not len(wav):
        return wav
    pcm = (np.clip(wav, -1.0, 1.0) * 32767).round().astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    step = _VAD_WINDOW * 2
    flags = np.array(
        [vad.is_speech(pcm[i : i + step], ENCODER_RATE) for i in range(0, len(pcm), step)],
        dtype=float,
    )
    # A centred moving average, then a dilation that bridges short pauses.
    padded = np.concatenate((np.zeros((_VAD_SMOOTH - 1) // 2), flags, np.zeros(_VAD_SMOOTH // 2)))
    smooth = np.convolve(padded, np.ones(_VAD_SMOOTH) / _VAD_SMOOTH, mode="valid")
    voiced = np.round(smooth).astype(bool)
    reach = _VAD_MAX_SILENCE // 2
    dilated = np.convolve(voiced.astype(int), np.ones(2 * reach + 1, dtype=int), mode="same") > 0
    kept = wav[np.repeat(dilated, _VAD_WINDOW)]
    return kept if len(kept) else wav


def _partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame windows of 1.6 s covering the utterance (resemblyzer's rule)."""
    n_frames = int(np.ceil((n_samples + 1) / _HOP))
    step = int(np.round(ENCODER_RATE / _PARTIAL_RATE / _HOP))
    starts = range(0, max(1, n_frames - _PARTIAL_FRAMES + step + 1), step)
    slices = [slice(i, i + _PARTIAL_FRAMES) for i in starts]
    last = slices[-1]
    coverage = (n_samples - last.start * _HOP) / (_PARTIAL_FRAMES * _HOP)
    if coverage < _MIN_COVERAGE and len(slices) > 1:
        slices.pop()
    return slices


def _weights_path() -> Path:
    """``pretrained.pt`` inside the installed resemblyzer package (not imported)."""
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"resemblyzer is not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise RuntimeError(f"resemblyzer has no pretrained.pt: {INSTALL_HINT}")
    return path


class VoiceEncoder:
    """resemblyzer's GE2E speaker encoder: utterance audio → 256-d unit vector.

    Loads in ~0.1 s (17 MB, after ~1 s to import torch); a 3 s utterance takes
    20–40 ms on one CPU thread.
    Calls are serialised with a lock, so one instance can serve several threads.
    """

    def __init__(self, weights: Path | None = None, device: str = "auto", threads: int = 1) -> None:
        """Load the weights (resemblyzer's ``pretrained.pt`` by default) onto ``device``.

        ``auto`` picks CUDA when torch sees a GPU. ``threads``: torch's CPU
        threads, process-wide (0 leaves torch's choice). One is the default
        because the network is tiny: on a 2-core CPU busy with STT, a 3 s
        utterance took 36 ms on one thread and 250 ms on two (measured).
        Raises ``RuntimeError`` naming ``./install.sh --speaker`` when torch or
        resemblyzer is missing.
        """
        try:
            import torch
        except ImportError as exc:
            raise RuntimeError(f"torch is not installed: {INSTALL_HINT}") from exc
        path = Path(weights) if weights is not None else _weights_path()
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if threads > 0:
            torch.set_num_threads(threads)
        started = time.perf_counter()
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = checkpoint.get("model_state", checkpoint)
        self._lstm = torch.nn.LSTM(_N_MELS, _HIDDEN, _LAYERS, batch_first=True)
        self._linear = torch.nn.Linear(_HIDDEN, _HIDDEN)
        self._lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self._linear.load_state_dict(
            {k[7:]: v for k, v in state.items() if k.startswith("linear.")}
        )
        self._lstm.to(device).eval()
        self._linear.to(device).eval()
        self._torch = torch
        self._lock = threading.Lock()
        self.device = device
        self.name = f"resemblyzer:{path.stem}"
        _LOGGER.info(
            "loaded speaker encoder on %s in %.2f s", device, time.perf_counter() - started
        )

    def embed(self, pcm: bytes, sample_rate: int) -> np.ndarray[Any, Any]:
        """The voice embedding of signed 16-bit mono ``pcm`` (blocking).

        Raises ``AudioFormatError`` when the audio is too short (< 0.3 s) to judge.
        """
        from kiosk.audio.wav import pcm_to_float, resample

        if sample_rate <= 0:
            raise AudioFormatError(f"Неверная частота звука: {sample_rate} Гц", "нужно 16000 Гц")
        if len(pcm) % 2:
            pcm = pcm[:-1]
        if sample_rate != ENCODER_RATE:
            pcm = resample(pcm, sample_rate, ENCODER_RATE)
        return self.embed_float(pcm_to_float(pcm))

    def embed_float(self, wav: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The voice embedding of 16 kHz float audio in [-1, 1] (blocking)."""
        if len(wav) < _MIN_SECONDS * ENCODER_RATE:
            raise AudioFormatError(
                f"Слишком короткая запись для узнавания голоса: {len(wav) / ENCODER_RATE:.2f} с",
                "нужна фраза хотя бы в одну-две секунды",
            )
        wav = _trim_long_silences(_normalize_volume(wav.astype(np.float32)))
        slices = _partial_slices(len(wav))
        needed = slices[-1].stop * _HOP
        if needed > len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = mel_spectrogram(wav)
        batch = np.stack([mel[s] for s in slices])
        torch = self._torch
        with self._lock, torch.inference_mode():
            _, (hidden, _) = self._lstm(torch.from_numpy(batch).to(self.device))
            partials = torch.relu(self._linear(hidden[-1]))
            partials = partials / torch.linalg.norm(partials, dim=1, keepdim=True)
            mean = partials.mean(dim=0).cpu().numpy()
        return (mean / np.linalg.norm(mean)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class SpeakerTag:
    """Who said an utterance, as far as the enrolled voices tell."""

    role: Role
    """``child``, ``parent`` or ``unknown`` (no enrolled voice is close enough)."""
    name: str
    """The enrolled name of the closest voice ("" when unknown)."""
    similarity: float
    """Cosine similarity to the closest enrolled voice, -1..1 (0 with nobody enrolled)."""


class SpeakerTagger:
    """Tags utterances child / parent / unknown by the closest enrolled voice."""

    def __init__(
        self,
        profiles: SpeakerProfiles,
        threshold: float = 0.75,
        encoder: VoiceEncoder | None = None,
    ) -> None:
        """Compare against ``profiles`` (read now; call ``reload`` after an enrolment).

        ``threshold``: the cosine similarity an utterance needs to be given a
        name; below it the speaker is ``unknown``. ``encoder`` defaults to the
        profiles' own (loaded on first use).
        """
        self.profiles = profiles
        self.threshold = threshold
        self._encoder = encoder
        self._enrolled = profiles.load()

    @property
    def encoder(self) -> VoiceEncoder:
        """The voice encoder (loaded on first use)."""
        if self._encoder is None:
            self._encoder = self.profiles.encoder
        return self._encoder

    def reload(self) -> None:
        """Re-read the enrolled voices from disk."""
        self._enrolled = self.profiles.load()

    def tag(self, pcm: bytes, sample_rate: int) -> SpeakerTag:
        """Who said ``pcm`` (signed 16-bit mono); ``unknown`` when nobody is enrolled.

        Audio too short to judge is ``unknown`` too, not an error.
        """
        if not self._enrolled:
            return SpeakerTag("unknown", "", 0.0)
        started = time.perf_counter()
        try:
            embedding = self.encoder.embed(pcm, sample_rate)
        except AudioFormatError as exc:
            _LOGGER.debug("speaker not judged: %s", exc.message)
            return SpeakerTag("unknown", "", 0.0)
        tag = self.tag_embedding(embedding)
        _LOGGER.debug(
            "speaker %s/%s (%.3f) in %.0f ms",
            tag.role,
            tag.name,
            tag.similarity,
            (time.perf_counter() - started) * 1000,
        )
        return tag

    def tag_embedding(self, embedding: np.ndarray[Any, Any]) -> SpeakerTag:
        """The tag for an already computed voice ``embedding``."""
        if not self._enrolled:
            return SpeakerTag("unknown", "", 0.0)
        scored = [(cosine(embedding, p.embedding), p) for p in self._enrolled]
        similarity, best = max(scored, key=lambda item: item[0])
        similarity = round(similarity, 4)
        if similarity < self.threshold:
            return SpeakerTag("unknown", "", similarity)
        return SpeakerTag(best.role, best.name, similarity)
