"""A compact text-to-mel acoustic model in torch, trained by ``kiosk voice train``.

Characters → convolutional encoder → per-character mel means; monotonic alignment
search (as in Glow-TTS) aligns them to the recorded mel frames; a duration
predictor learns the alignment; a convolutional decoder refines the expanded
encoder states into the mel spectrogram. Audio comes back through Griffin-Lim.

It is small and honest, not a cloning-quality voice: trained for hours on a GPU on
5–10 minutes of speech it learns a recognisable, buzzy version of the speaker; the
``tiny`` size exists to test the training code in seconds. Imported only by the
training command (it needs torch, the ``speaker`` extra).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "SIZES",
    "VOCAB",
    "AcousticConfig",
    "AcousticModel",
    "MelExtractor",
    "Losses",
    "monotonic_alignment",
    "text_to_ids",
]

_LOGGER = logging.getLogger(__name__)

VOCAB = "_ абвгдеёжзийклмнопрстуфхцчшщъыьэюя.,!?-"
"""Symbols the model reads; index 0 is padding. Part of every checkpoint."""
_INDEX = {ch: i for i, ch in enumerate(VOCAB)}
_LOG_FLOOR = 1e-5
_MEL_SHIFT, _MEL_SCALE = 5.0, 2.5
"""Log-mel normalisation: (log mel + 5) / 2.5 keeps speech frames near [-2, 2]."""


@dataclass(frozen=True, slots=True)
class AcousticConfig:
    """Shape of the model and its features (stored in each checkpoint)."""

    sample_rate: int = 22050
    """Hz the model hears and speaks."""
    n_fft: int = 1024
    """STFT size, samples."""
    hop: int = 256
    """Samples between mel frames."""
    n_mels: int = 80
    """Mel bands."""
    hidden: int = 192
    """Channels of the encoder and decoder."""
    layers: int = 4
    """Residual convolution blocks in the encoder and in the decoder."""
    kernel: int = 5
    """Convolution width, frames or characters."""
    dropout: float = 0.1
    """Dropout inside the blocks while training."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for a checkpoint."""
        return asdict(self)


SIZES: dict[str, AcousticConfig] = {
    "small": AcousticConfig(),
    "tiny": AcousticConfig(
        sample_rate=16000, n_fft=512, hop=160, n_mels=40, hidden=64, layers=2, dropout=0.0
    ),
}
"""``small``: 1.8 M parameters, for real runs; ``tiny``: 0.12 M, for tests and smoke runs."""


def text_to_ids(text: str) -> list[int]:
    """Model symbols of already-normalised Russian ``text`` (unknown characters dropped)."""
    ids: list[int] = []
    for ch in text.lower().replace("\u0301", ""):
        index = _INDEX.get(" " if ch.isspace() else ch)
        if index is None or (index == 1 and (not ids or ids[-1] == 1)):
            continue
        ids.append(index)
    while ids and ids[-1] == 1:
        ids.pop()
    return ids


def _mel_filterbank(rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular HTK-style mel filters, shape (n_mels, n_fft // 2 + 1), area-normalised."""

    def to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    bins = np.linspace(0.0, rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(rate / 2 * 0.95)), n_mels + 2))
    bank = np.zeros((n_mels, bins.size), dtype=np.float32)
    for m in range(n_mels):
        low, mid, high = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - low) / max(mid - low, 1e-6)
        falling = (high - bins) / max(high - mid, 1e-6)
        bank[m] = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (high - low))
    return bank


class MelExtractor:
    """Normalised log-mel spectrograms, and audio back from them (Griffin-Lim)."""

    def __init__(self, config: AcousticConfig) -> None:
        self.config = config
        self.bank = torch.from_numpy(
            _mel_filterbank(config.sample_rate, config.n_fft, config.n_mels)
        )
        self.window = torch.hann_window(config.n_fft)

    def mel(self, samples: np.ndarray) -> torch.Tensor:
        """(n_mels, frames) features of float samples at ``config.sample_rate``."""
        wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        spec = torch.stft(
            wave, self.config.n_fft, self.config.hop, window=self.window, return_complex=True
        ).abs()
        log_mel = torch.log(torch.clamp(self.bank @ spec, min=_LOG_FLOOR))
        return (log_mel + _MEL_SHIFT) / _MEL_SCALE

    def audio(self, mel: torch.Tensor, iterations: int = 32) -> np.ndarray:
        """Float samples for a normalised (n_mels, frames) mel, by Griffin-Lim phase recovery."""
        power = torch.exp(mel.detach().float().cpu() * _MEL_SCALE - _MEL_SHIFT)
        magnitude = torch.clamp(torch.linalg.pinv(self.bank) @ power, min=0.0)
        cfg = self.config
        rng = torch.Generator().manual_seed(0)
        angles = torch.exp(2j * math.pi * torch.rand(magnitude.shape, generator=rng))
        wave = torch.zeros(0)
        for _ in range(iterations):
            wave = torch.istft(magnitude * angles, cfg.n_fft, cfg.hop, window=self.window)
            rebuilt = torch.stft(wave, cfg.n_fft, cfg.hop, window=self.window, return_complex=True)
            angles = torch.exp(1j * torch.angle(rebuilt[:, : magnitude.shape[1]]))
        peak = float(wave.abs().max()) if wave.numel() else 0.0
        return (wave.numpy() * (0.9 / peak if peak > 0 else 1.0)).astype(np.float32)


def monotonic_alignment(score: np.ndarray) -> np.ndarray:
    """The monotonic path through ``score`` (chars × frames) with the highest total.

    Every frame belongs to one character, every character gets at least one frame,
    characters advance in order (Glow-TTS's monotonic alignment search). Needs
    frames ≥ chars. Returns a 0/1 matrix of the same shape.
    """
    chars, frames = score.shape
    best = np.full((chars, frames), -np.inf)
    best[0, 0] = score[0, 0]
    reachable = np.arange(chars)
    for j in range(1, frames):
        previous = best[:, j - 1]
        moved = np.concatenate(([-np.inf], previous[:-1]))
        best[:, j] = np.maximum(previous, moved) + score[:, j]
        best[reachable > j, j] = -np.inf
    path = np.zeros_like(score, dtype=np.float32)
    i = chars - 1
    for j in range(frames - 1, -1, -1):
        path[i, j] = 1.0
        if i > 0 and (i == j or best[i - 1, j - 1] > best[i, j - 1]):
            i -= 1
    return path


class _ConvBlock(nn.Module):
    def __init__(self, channels: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, padding=kernel // 2)
        self.norm = nn.GroupNorm(1, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return x + self.dropout(F.relu(self.norm(self.conv(x * mask)))) * mask


@dataclass(frozen=True, slots=True)
class Losses:
    """One step's losses (each a scalar tensor; ``total`` is optimised)."""

    total: torch.Tensor
    mel: torch.Tensor
    """L1 between decoded and recorded mel frames."""
    prior: torch.Tensor
    """Squared distance of the aligned character means from the frames."""
    duration: torch.Tensor
    """Squared error of the predicted log durations."""


class AcousticModel(nn.Module):
    """Characters → mel spectrogram (see the module docstring)."""

    def __init__(self, config: AcousticConfig) -> None:
        super().__init__()
        self.config = config
        hidden, kernel, drop = config.hidden, config.kernel, config.dropout
        self.embed = nn.Embedding(len(VOCAB), hidden, padding_idx=0)
        self.encoder = nn.ModuleList(_ConvBlock(hidden, kernel, drop) for _ in range(config.layers))
        self.to_mean = nn.Conv1d(hidden, config.n_mels, 1)
        self.durations = nn.ModuleList(_ConvBlock(hidden, 3, drop) for _ in range(2))
        self.to_duration = nn.Conv1d(hidden, 1, 1)
        self.decoder_in = nn.Conv1d(hidden + config.n_mels, hidden, 1)
        self.decoder = nn.ModuleList(_ConvBlock(hidden, kernel, drop) for _ in range(config.layers))
        self.to_mel = nn.Conv1d(hidden, config.n_mels, 1)

    def encode(
        self, ids: torch.Tensor, id_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(hidden states, mel means, predicted log(1 + frames)) per character."""
        h = self.embed(ids).transpose(1, 2) * id_mask
        for block in self.encoder:
            h = block(h, id_mask)
        d = h.detach()
        for block in self.durations:
            d = block(d, id_mask)
        return h, self.to_mean(h) * id_mask, self.to_duration(d).squeeze(1) * id_mask.squeeze(1)

    def decode(self, h: torch.Tensor, mean: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mel frames from frame-aligned hidden states and means."""
        x = self.decoder_in(torch.cat([h, mean], dim=1)) * mask
        for block in self.decoder:
            x = block(x, mask)
        return mean + self.to_mel(x) * mask

    def losses(
        self, ids: torch.Tensor, id_lens: torch.Tensor, mels: torch.Tensor, mel_lens: torch.Tensor
    ) -> Losses:
        """Align, decode and score one padded batch (ids B×T, mels B×n_mels×F)."""
        id_mask = _mask(id_lens, ids.shape[1]).unsqueeze(1)
        mel_mask = _mask(mel_lens, mels.shape[2]).unsqueeze(1)
        h, mean, log_dur = self.encode(ids, id_mask)
        with torch.no_grad():
            # log-likelihood of each frame under each character's unit Gaussian
            score = -0.5 * torch.cdist(mean.transpose(1, 2), mels.transpose(1, 2)).pow(2)
            path = torch.zeros_like(score)
            for b in range(ids.shape[0]):
                tx, ty = int(id_lens[b]), int(mel_lens[b])
                best = monotonic_alignment(score[b, :tx, :ty].cpu().numpy())
                path[b, :tx, :ty] = torch.from_numpy(best).to(score.device)
        aligned_h, aligned_mean = h @ path, mean @ path
        frames = mel_mask.sum() * self.config.n_mels
        prior = 0.5 * ((mels - aligned_mean) ** 2 * mel_mask).sum() / frames
        decoded = self.decode(aligned_h, aligned_mean, mel_mask)
        mel_loss = ((decoded - mels).abs() * mel_mask).sum() / frames
        target = torch.log1p(path.sum(2)) * id_mask.squeeze(1)
        duration = ((log_dur - target) ** 2).sum() / id_mask.sum()
        return Losses(mel_loss + prior + duration, mel_loss, prior, duration)

    @torch.no_grad()
    def infer(self, ids: list[int], speed: float = 1.0) -> torch.Tensor:
        """(n_mels, frames) mel for one text; ``speed`` > 1 speaks faster."""
        device = next(self.parameters()).device
        tokens = torch.tensor([ids], dtype=torch.long, device=device)
        id_mask = torch.ones(1, 1, len(ids), device=device)
        h, mean, log_dur = self.encode(tokens, id_mask)
        frames = torch.clamp(torch.round(torch.expm1(log_dur[0]) / speed), min=1).long()
        h_frames = torch.repeat_interleave(h[0], frames, dim=1).unsqueeze(0)
        mean_frames = torch.repeat_interleave(mean[0], frames, dim=1).unsqueeze(0)
        mask = torch.ones(1, 1, h_frames.shape[2], device=device)
        return self.decode(h_frames, mean_frames, mask)[0]


def _mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    return (torch.arange(size, device=lengths.device)[None, :] < lengths[:, None]).float()
