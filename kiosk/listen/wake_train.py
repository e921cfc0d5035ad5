"""Train the "Аня" head on openWakeWord's backbone from synthesised Russian speech.

Reproducible from a seed with tools the kiosk already needs: Festival's Russian
voice (at several sox pitch/tempo shifts) and espeak-ng's Russian voice variants
say "Аня" inside phrases ("Аня, как дела?"; a third end a greeting said as one
phrase, "Привет, Аня!", whose name is taken as its last 0.5 s), near-miss names ("Ваня",
"Таня", "баня", "Маня", "няня", …) in the same phrases, and ordinary sentences;
half the clips get pink/white/brown noise at 5–25 dB SNR. Each phrase is glued
from separately synthesised pieces, so the time where "Аня" ends is known
exactly: embedding windows that end 0–320 ms after it are positives, windows
that end before it begins or long after it are negatives (nothing else is
labelled). The head is a one-hidden-layer numpy MLP (``oww.WakeHead``).

Held-out evaluation uses other continuation texts and Festival pitches never seen
in training (``HELD_OUT``), and counts per clip: a wake phrase clip is detected
when any window near the name crosses the threshold; any crossing in a clip
without the name is a false wake.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kiosk.errors import ToolMissing
from kiosk.listen.oww import (
    HOP_SAMPLES,
    SAMPLE_RATE,
    OwwFeatures,
    WakeHead,
    clip_embeddings,
    dither,
    stack_windows,
    warmup_hops,
)
from kiosk.listen.wake_texts import (
    ESPEAK_VOICES,
    HELD_OUT_TEXTS,
    NEAR_MISSES,
    NEAR_PHRASES,
    ORDINARY,
    PREFIXES,
    TRAIN_TEXTS,
    WAKE_PHRASES,
    WAKE_TOKENS,
)

__all__ = [
    "HELD_OUT",
    "TRAIN",
    "Clip",
    "Recipe",
    "build_clips",
    "dataset",
    "train",
    "clip_scores",
    "evaluate",
    "evaluate_many",
    "fit_head",
    "label_windows",
]

_LOGGER = logging.getLogger(__name__)


_PHRASE_SHARE = 0.35
"""Share of name clips where the name ends a greeting phrase ("Привет, Аня!")."""
_NAME_S = 0.5
"""Assumed length of "Аня" at the end of a greeting phrase, seconds."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """What a dataset is made of (counts and voice settings)."""

    positives: int = 360
    near_misses: int = 280
    ordinary: int = 160
    noise_only: int = 30
    festival_pitches: tuple[int, ...] = (-200, 0, 200, 400, 650)
    """sox pitch shifts (cents) for Festival's male voice; +400..650 is a child's register."""
    tempos: tuple[float, ...] = (0.88, 1.0, 1.15)
    espeak_share: float = 0.3
    """Share of clips said by espeak-ng instead of Festival."""
    texts: tuple[str, ...] = TRAIN_TEXTS
    noisy_share: float = 0.5
    seed: int = 7
    extra: dict[str, object] = field(default_factory=dict)


TRAIN = Recipe()
HELD_OUT = Recipe(
    positives=60, near_misses=40, ordinary=20, noise_only=6,
    festival_pitches=(300, 550), tempos=(0.95, 1.08), espeak_share=0.0,
    texts=HELD_OUT_TEXTS, seed=1234,
)  # fmt: skip
"""Festival at pitches and with texts the head never saw in training."""


@dataclass(frozen=True, slots=True)
class Clip:
    """One synthesised 16 kHz clip and where the wake word is in it."""

    samples: NDArray[np.int16]
    wake: tuple[float, float] | None
    """Start and end of "Аня" in seconds, or None."""
    kind: str
    """``wake``, ``near_miss``, ``ordinary`` or ``noise``."""


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        raise ToolMissing(
            f"Для обучения слова-пробуждения нужна программа {tool}",
            "sudo apt install festival festvox-ru espeak-ng sox",
        )


def _trim(x: NDArray[np.float32], floor: float = 0.01) -> NDArray[np.float32]:
    loud = np.flatnonzero(np.abs(x) > floor)
    return x[loud[0] : loud[-1] + 1] if loud.size else x[:0]


def _read(path: Path) -> NDArray[np.float32]:
    import soundfile
    import soxr

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE)
    return np.asarray(mono, dtype=np.float32)


_CACHE: dict[tuple[str, str], NDArray[np.float32]] = {}
"""Synthesised pieces, kept for the life of the process (tests build several sets)."""


class _Voices:
    """Synthesises and caches pieces: Festival in one batch run, espeak-ng per call."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cache = _CACHE

    def festival(self, texts: Sequence[str]) -> None:
        _need("festival")
        todo = sorted({t for t in texts if t and ("festival", t) not in self.cache})
        if not todo:
            return
        script = ["(voice_msu_ru_nsh_clunits)"]
        for i, text in enumerate(todo):
            quoted = text.replace("\\", "").replace('"', "")
            script.append(
                f'(utt.save.wave (utt.synth (Utterance Text "{quoted}")) '
                f'"{self.folder / f"f{i}.wav"}" \'riff)'
            )
        (self.folder / "batch.scm").write_text("\n".join(script) + "\n", encoding="utf-8")
        subprocess.run(["festival", "-b", str(self.folder / "batch.scm")], check=True,
                       capture_output=True, timeout=600)  # fmt: skip
        for i, text in enumerate(todo):
            self.cache["festival", text] = _trim(_read(self.folder / f"f{i}.wav"))

    def get(self, voice: str, text: str) -> NDArray[np.float32]:
        if not text:
            return np.zeros(0, dtype=np.float32)
        key = (voice, text)
        if key not in self.cache:
            _need("espeak-ng")
            name, pitch, speed = voice.split(":")
            out = self.folder / "e.wav"
            subprocess.run(["espeak-ng", "-v", name, "-p", pitch, "-s", speed, "-w", str(out),
                            text], check=True, capture_output=True, timeout=60)  # fmt: skip
            self.cache[key] = _trim(_read(out))
        return self.cache[key]


def _shape(x: NDArray[np.float32], cents: int, tempo: float, folder: Path) -> NDArray[np.float32]:
    """Apply sox pitch/tempo; return the reshaped float audio."""
    import soundfile

    if not cents and tempo == 1.0:
        return x
    _need("sox")
    src, dst = folder / "in.wav", folder / "out.wav"
    soundfile.write(str(src), x, SAMPLE_RATE, subtype="PCM_16")
    effects = (["pitch", str(cents)] if cents else []) + (
        ["tempo", "-s", str(tempo)] if tempo != 1.0 else []
    )
    subprocess.run(["sox", "-D", "-R", str(src), str(dst), *effects], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    return _read(dst)


def _noise(rng: np.random.Generator, n: int) -> NDArray[np.float32]:
    """White, pink or brown noise with unit power."""
    white = rng.standard_normal(n)
    colour = rng.choice(["white", "pink", "brown"])
    if colour != "white":
        spectrum = np.fft.rfft(white)
        freqs = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
        spectrum /= np.sqrt(freqs) if colour == "pink" else freqs
        white = np.fft.irfft(spectrum, n)
    return (white / (np.sqrt(np.mean(white**2)) + 1e-12)).astype(np.float32)


def _assemble(
    pieces: list[NDArray[np.float32]], gaps: list[float], rng: np.random.Generator
) -> tuple[NDArray[np.float32], list[tuple[float, float]]]:
    """Concatenate pieces with gaps (s) and 1.0–1.4 s of lead-in; return spans of pieces."""
    lead = rng.uniform(1.0, 1.4)
    parts = [np.zeros(int(lead * SAMPLE_RATE), dtype=np.float32)]
    spans, t = [], lead
    for piece, gap in zip(pieces, gaps, strict=True):
        spans.append((t, t + len(piece) / SAMPLE_RATE))
        parts += [piece, np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32)]
        t += len(piece) / SAMPLE_RATE + gap
    return np.concatenate(parts), spans


def build_clips(recipe: Recipe, work_dir: Path | None = None) -> list[Clip]:
    """Synthesise the clips of ``recipe`` (deterministic for its seed)."""
    rng = np.random.default_rng(recipe.seed)
    with tempfile.TemporaryDirectory(prefix="kiosk-wake-", dir=work_dir) as tmp:
        folder = Path(tmp)
        voices = _Voices(folder)
        names = [*WAKE_TOKENS, *NEAR_MISSES, *(n + "," for n in NEAR_MISSES)]
        voices.festival([*names, *WAKE_PHRASES, *NEAR_PHRASES, *PREFIXES, *recipe.texts, *ORDINARY])
        kinds = (["wake"] * recipe.positives + ["near_miss"] * recipe.near_misses
                 + ["ordinary"] * recipe.ordinary + ["noise"] * recipe.noise_only)  # fmt: skip
        clips = []
        for kind in kinds:
            espeak = rng.random() < recipe.espeak_share
            if espeak:
                voice = (
                    f"{rng.choice(ESPEAK_VOICES)}:{rng.integers(35, 90)}:{rng.integers(130, 185)}"
                )
                cents, tempo = 0, 1.0
            else:
                voice = "festival"
                cents = int(rng.choice(recipe.festival_pitches)) + int(rng.integers(-40, 41))
                tempo = float(rng.choice(recipe.tempos))
            pieces: list[NDArray[np.float32]] = []
            name_at = -1
            phrase = False
            if kind in ("wake", "near_miss"):
                phrase = rng.random() < _PHRASE_SHARE
                prefix = "" if phrase else str(rng.choice(PREFIXES))
                if prefix:
                    pieces.append(voices.get(voice, prefix))
                name_at = len(pieces)
                if phrase:
                    name = rng.choice(WAKE_PHRASES if kind == "wake" else NEAR_PHRASES)
                else:
                    name = rng.choice(WAKE_TOKENS if kind == "wake" else names[len(WAKE_TOKENS) :])
                pieces.append(voices.get(voice, str(name)))
                pieces.append(voices.get(voice, str(rng.choice(recipe.texts))))
            elif kind == "ordinary":
                pieces.append(voices.get(voice, str(rng.choice(ORDINARY))))
            gaps = [float(rng.uniform(0.05, 0.35)) for _ in pieces]
            audio, spans = _assemble(pieces, gaps, rng)
            if kind == "noise":
                audio = np.zeros(int(rng.uniform(2.0, 4.0) * SAMPLE_RATE), dtype=np.float32)
            audio = np.concatenate([audio, np.zeros(int(0.6 * SAMPLE_RATE), np.float32)])
            audio = _shape(audio, cents, tempo, folder)
            spans = [(a / tempo, b / tempo) for a, b in spans] if tempo != 1.0 else spans
            audio = audio * float(rng.uniform(0.25, 0.9)) / (np.abs(audio).max() + 1e-9)
            if kind == "noise" or rng.random() < recipe.noisy_share:
                power = (
                    float(np.mean(audio[np.abs(audio) > 0.02] ** 2)) if kind != "noise" else 1e-3
                )
                snr = rng.uniform(5.0, 25.0)
                audio = audio + _noise(rng, len(audio)) * np.sqrt(power / 10 ** (snr / 10))
            pcm = np.clip(audio * 32767, -32768, 32767).astype(np.int16) + dither(
                len(audio), recipe.seed
            )
            wake = spans[name_at] if kind == "wake" else None
            if wake is not None and phrase:  # the name is the end of the greeting phrase
                wake = (max(wake[0], wake[1] - _NAME_S), wake[1])
            clips.append(Clip(pcm.astype(np.int16), wake, kind))
    return clips


def hop_end_times(rows: int, frames: int) -> NDArray[np.float64]:
    """End time (s) in the clip of each window of ``frames`` embeddings."""
    first_hop = warmup_hops() + frames - 1
    return (np.arange(rows) + first_hop + 1) * HOP_SAMPLES / SAMPLE_RATE


def label_windows(
    clip: Clip, features: OwwFeatures, frames: int
) -> tuple[NDArray[np.float32], NDArray[np.int8], NDArray[np.float64]]:
    """Windows of a clip, labels (1 wake, 0 not, -1 unlabelled) and window end times."""
    windows = stack_windows(clip_embeddings(features, clip.samples), frames)
    ends = hop_end_times(len(windows), frames)
    labels = np.zeros(len(windows), dtype=np.int8)
    if clip.wake is not None:
        start, end = clip.wake
        labels[:] = -1
        labels[(ends >= end) & (ends <= end + 0.32)] = 1
        labels[(ends <= start + 0.1) | (ends >= end + 0.76 + frames * 0.08 + 0.2)] = 0
    return windows, labels, ends


def fit_head(
    x: NDArray[np.float32], y: NDArray[np.int8], *, frames: int, hidden: int = 16,
    epochs: int = 40, l2: float = 1e-3, seed: int = 0,
) -> WakeHead:  # fmt: skip
    """Fit the MLP with Adam on class-balanced logistic loss."""
    rng = np.random.default_rng(seed)
    flat = x.reshape(len(x), -1).astype(np.float32)
    mean, scale = flat.mean(axis=0), flat.std(axis=0) + 1e-3
    z = (flat - mean) / scale
    target = y.astype(np.float32)
    weight = np.where(y == 1, 0.5 / max(y.mean(), 1e-6), 0.5 / max(1 - y.mean(), 1e-6))
    params = [
        rng.standard_normal((z.shape[1], hidden)).astype(np.float32) * np.sqrt(2 / z.shape[1]),
        np.zeros(hidden, np.float32),
        rng.standard_normal((hidden, 1)).astype(np.float32) * np.sqrt(1 / hidden),
        np.zeros(1, np.float32),
    ]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    step, lr = 0, 2e-3
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(z)), max(1, len(z) // 256)):
            xb, tb, wb = z[batch], target[batch], weight[batch]
            h = np.maximum(xb @ params[0] + params[1], 0.0)
            p = 1 / (1 + np.exp(-np.clip((h @ params[2] + params[3]).ravel(), -30, 30)))
            g = ((p - tb) * wb / len(batch)).astype(np.float32)[:, None]
            gh = (g @ params[2].T) * (h > 0)
            grads = [xb.T @ gh + l2 * params[0], gh.sum(0), h.T @ g + l2 * params[2], g.sum(0)]
            step += 1
            for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
                m, v = moments[i]
                m[:] = 0.9 * m + 0.1 * grad
                v[:] = 0.999 * v + 0.001 * grad * grad
                param -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return WakeHead(frames, mean, scale, params[0], params[1], params[2], params[3])


def clip_scores(head: WakeHead, clip: Clip, features: OwwFeatures) -> tuple[float, float]:
    """(best score near the wake word, best score elsewhere) for one clip.

    "Near" is from the name's start to 1 s after its end; for clips without the
    name the first value is 0.
    """
    windows, _, ends = label_windows(clip, features, head.frames)
    scores = head.score(windows) if len(windows) else np.zeros(0, np.float32)
    if clip.wake is None:
        return 0.0, float(scores.max(initial=0.0))
    near = (ends >= clip.wake[0]) & (ends <= clip.wake[1] + 1.0)
    return float(scores[near].max(initial=0.0)), float(
        scores[~near & (ends < clip.wake[0])].max(initial=0.0)
    )


def evaluate(
    head: WakeHead, clips: Sequence[Clip], threshold: float, features: OwwFeatures
) -> dict[str, float]:
    """Detection rate on wake clips, false wakes per clip and per hour on the others."""
    return evaluate_many(head, clips, (threshold,), features)[0]


def evaluate_many(
    head: WakeHead, clips: Sequence[Clip], thresholds: Sequence[float], features: OwwFeatures
) -> list[dict[str, float]]:
    """``evaluate`` at several thresholds (the clips are scored once)."""
    scored = [(clip, *clip_scores(head, clip, features)) for clip in clips]
    wake = [near for clip, near, _ in scored if clip.wake is not None]
    other = [best for clip, _, best in scored if clip.wake is None]
    seconds = sum(len(c.samples) for c, _, _ in scored if c.wake is None) / SAMPLE_RATE
    rows = []
    for threshold in thresholds:
        false = sum(best >= threshold for best in other)
        rows.append({
            "threshold": threshold,
            "wake_clips": len(wake),
            "detection_rate": round(sum(s >= threshold for s in wake) / max(len(wake), 1), 3),
            "other_clips": len(other),
            "false_wake_rate": round(false / max(len(other), 1), 3),
            "false_wakes": false,
            "other_audio_s": round(seconds, 1),
            "false_wakes_per_hour": round(false * 3600 / max(seconds, 1e-9), 1),
        })  # fmt: skip
    return rows


def dataset(
    clips: Sequence[Clip], features: OwwFeatures, frames: int
) -> tuple[NDArray[np.float32], NDArray[np.int8]]:
    """Labelled windows of all clips (unlabelled ones dropped)."""
    xs, ys = [], []
    for clip in clips:
        windows, labels, _ = label_windows(clip, features, frames)
        xs.append(windows[labels >= 0])
        ys.append(labels[labels >= 0])
    return np.concatenate(xs), np.concatenate(ys)


def train(
    out: Path,
    *,
    recipe: Recipe = TRAIN,
    held_out: Recipe = HELD_OUT,
    frames: int = 8,
    hidden: int = 16,
    epochs: int = 40,
    thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
) -> dict[str, object]:
    """Build the data sets, fit the head, save ``out`` (.npz) and ``out`` .json metrics."""
    import json
    import time

    started = time.perf_counter()
    features = OwwFeatures()
    clips = build_clips(recipe)
    x, y = dataset(clips, features, frames)
    _LOGGER.info("training on %d windows (%d positive)", len(y), int(y.sum()))
    head = fit_head(x, y, frames=frames, hidden=hidden, epochs=epochs, seed=recipe.seed)
    head.save(out)
    head = WakeHead.load(out)  # measure what ships (float16 weights)
    tests = build_clips(held_out)
    metrics: dict[str, object] = {
        "phrase": head.phrase,
        "frames": frames,
        "hidden": hidden,
        "train": {"recipe": _recipe_dict(recipe), "windows": len(y), "positives": int(y.sum())},
        "train_fit": evaluate(head, clips, 0.5, features),
        "held_out": {"recipe": _recipe_dict(held_out)},
        "held_out_by_threshold": evaluate_many(head, tests, thresholds, features),
        "seconds": round(time.perf_counter() - started, 1),
        "licence": "backbone: openWakeWord 0.4.0 models, CC BY-NC-SA 4.0",
    }
    out.with_suffix(".json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return metrics


def _recipe_dict(recipe: Recipe) -> dict[str, object]:
    return {
        "positives": recipe.positives,
        "near_misses": recipe.near_misses,
        "ordinary": recipe.ordinary,
        "noise_only": recipe.noise_only,
        "festival_pitches": list(recipe.festival_pitches),
        "tempos": list(recipe.tempos),
        "espeak_share": recipe.espeak_share,
        "texts": len(recipe.texts),
        "seed": recipe.seed,
    }
