"""From a folder of recordings to an LJSpeech-style dataset, with a quality report.

The recordings are only read. The dataset is built in a hidden staging folder
next to its final place and swapped in with renames, so a crash leaves the old
dataset (or none), never half of a new one.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kiosk.errors import AudioFormatError, KioskError
from kiosk.paths import atomic_write_text
from kiosk.voice.enroll.audio import (
    AUDIO_SUFFIXES,
    FFMPEG_SUFFIXES,
    FRAME_S,
    Voicing,
    clipped_fraction,
    decode_audio,
    loudness_gain,
    pitch_range,
    resample_float,
    segment_snr_db,
    voicing,
)
from kiosk.voice.enroll.report import Clip, EnrollmentReport, Rejection, advice_for
from kiosk.voice.enroll.segment import speech_regions, split_utterances

if TYPE_CHECKING:
    from kiosk.stt.base import Transcriber

__all__ = ["EnrollOptions", "Progress", "enroll_folder"]

_LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""Called as ``(files done, files total, current file name)``."""

_AUDIBLE_NOISE = 10.0 ** (-50.0 / 10.0)
"""Background above -50 dBFS (mean square) is noise, not silence."""

STT_RATE = 16000
"""The 16 kHz copy (``wavs_16k/``): what the STT and speaker encoder hear."""


@dataclass(frozen=True, slots=True)
class EnrollOptions:
    """Thresholds of the enrollment run."""

    training_rate: int = 22050
    """Sample rate of ``wavs/`` (the VITS/XTTS recipes train at 22050 Hz)."""
    target_lufs: float = -23.0
    """Loudness every recording is brought to (EBU R128 programme level)."""
    min_snr_db: float = 15.0
    """Recordings or utterances with less speech-to-noise than this are rejected."""
    max_clipped: float = 0.001
    """Recordings with more than this share of clipped samples are rejected (0.1 %)."""
    min_utterance_s: float = 2.0
    """Shortest utterance kept, seconds."""
    max_utterance_s: float = 12.0
    """Longest utterance, seconds (longer speech is cut at pauses)."""


def _audio_files(folder: Path, exclude: Path) -> tuple[list[Path], list[Path]]:
    """(recordings, other files) in ``folder``, recursively, hidden files ignored."""
    audio: list[Path] = []
    other: list[Path] = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if exclude in path.parents:
            continue
        (audio if path.suffix.lower() in AUDIO_SUFFIXES else other).append(path)
    return audio, other


def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    soundfile.write(buffer, pcm, rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def _clean_text(text: str) -> str:
    return " ".join(text.replace("|", " ").split())


class _Run:
    """State of one enrollment run (staging folder, counters, report)."""

    def __init__(
        self,
        report: EnrollmentReport,
        staging: Path,
        transcriber: Transcriber | None,
        options: EnrollOptions,
    ) -> None:
        self.report = report
        self.staging = staging
        self.transcriber = transcriber
        self.options = options
        self.rows: list[str] = []

    def reject(self, source: str, reason: str, message: str, start: float | None = None) -> None:
        self.report.rejected.append(Rejection(source, reason, message, start))
        _LOGGER.info("enroll: rejected %s (%s): %s", source, reason, message)

    def add_file(self, path: Path, label: str) -> None:
        try:
            decoded = decode_audio(path)
        except KioskError as exc:
            self.reject(label, "not_audio", exc.message)
            return
        opts = self.options
        duration = decoded.samples.size / decoded.sample_rate
        self.report.input_minutes += duration / 60.0
        conversions = []
        if path.suffix.lower() in FFMPEG_SUFFIXES:
            conversions.append(f"{path.suffix.lstrip('.').upper()} раскодирован ffmpeg")
        elif decoded.sample_rate != STT_RATE:
            conversions.append(f"частота {decoded.sample_rate} Гц приведена к 16000/22050 Гц")
        if decoded.channels > 1:
            conversions.append(f"{decoded.channels} канала сведены в моно")
        if conversions:
            self.report.notes.append(f"{label}: " + ", ".join(conversions))
        clipped = clipped_fraction(decoded.samples)
        if clipped > opts.max_clipped:
            self.reject(
                label, "clipped",
                f"перегрузка: {clipped:.1%} звука упирается в предел громкости (хрип)",
            )  # fmt: skip
            return
        speech = resample_float(decoded.samples, decoded.sample_rate, STT_RATE)
        train = resample_float(decoded.samples, decoded.sample_rate, opts.training_rate)
        gain, loudness = loudness_gain(speech, STT_RATE, opts.target_lufs)
        speech, train = speech * gain, train * gain
        frames = voicing(speech)
        if not frames.voiced.any():
            if frames.noise_power > _AUDIBLE_NOISE:
                self.reject(label, "noisy", "речь не различить за шумом")
            else:
                self.reject(label, "silent", "речи не слышно (тишина)")
            return
        snr = segment_snr_db(frames.power, frames.voiced, frames.noise_power)
        _LOGGER.debug("enroll: %s %.1f s, %.1f LUFS, SNR %.1f dB", label, duration, loudness, snr)
        if snr < opts.min_snr_db:
            self.reject(
                label, "noisy",
                f"слишком шумно: речь громче фона всего на {snr:.0f} дБ "
                f"(нужно не меньше {opts.min_snr_db:.0f})",
            )  # fmt: skip
            return
        regions = speech_regions(frames.voiced, FRAME_S)
        total_s = speech.size / STT_RATE
        kept, short = split_utterances(regions, total_s, opts.min_utterance_s, opts.max_utterance_s)
        for start, end in short:
            self.reject(label, "too_short", f"обрывок {end - start:.1f} с — короче 2 с", start)
        for start, end in kept:
            self._add_utterance(label, speech, train, frames, start, end)

    def _add_utterance(
        self,
        label: str,
        speech: np.ndarray,
        train: np.ndarray,
        frames: Voicing,
        start: float,
        end: float,
    ) -> None:
        opts = self.options
        first, last = int(start / FRAME_S), int(np.ceil(end / FRAME_S))
        snr = segment_snr_db(
            frames.power[first:last], frames.voiced[first:last], frames.noise_power
        )
        if snr < opts.min_snr_db:
            self.reject(label, "noisy", f"фраза слишком шумная (SNR {snr:.0f} дБ)", start)
            return
        piece16 = speech[int(start * STT_RATE) : int(end * STT_RATE)]
        piece = train[int(start * opts.training_rate) : int(end * opts.training_rate)]
        text = ""
        if self.transcriber is not None:
            pcm = np.round(np.clip(piece16, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
            text = _clean_text(self.transcriber.transcribe(pcm, STT_RATE).text)
            if not any(ch.isalpha() for ch in text):
                self.reject(label, "no_text", "речь не распознана — фраза без текста", start)
                return
        from kiosk.voice.normalize import normalize_for_speech

        normalized = _clean_text(normalize_for_speech(text)) if text else ""
        f0 = pitch_range(piece16)
        pct = np.percentile(f0, [5, 50, 95]) if len(f0) >= 5 else np.zeros(3)
        clip_id = f"{self.report.name}_{len(self.report.clips) + 1:04d}"
        (self.staging / "wavs" / f"{clip_id}.wav").write_bytes(
            _wav_bytes(piece, opts.training_rate)
        )
        (self.staging / "wavs_16k" / f"{clip_id}.wav").write_bytes(_wav_bytes(piece16, STT_RATE))
        self.rows.append(f"{clip_id}|{text}|{normalized}")
        self.report.clips.append(
            Clip(
                id=clip_id, source=label, start=round(start, 3),
                duration=round(piece16.size / STT_RATE, 3), snr_db=snr,
                f0_median=round(float(pct[1]), 1), f0_low=round(float(pct[0]), 1),
                f0_high=round(float(pct[2]), 1), text=text, normalized=normalized,
            )
        )  # fmt: skip


def _swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` using renames (the old copy is removed last)."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def enroll_folder(
    folder: Path,
    voice_dir: Path,
    transcriber: Transcriber | None,
    *,
    options: EnrollOptions | None = None,
    on_progress: Progress | None = None,
) -> EnrollmentReport:
    """Build ``voice_dir/dataset`` from the recordings in ``folder`` and return the report.

    The dataset holds ``wavs/`` (``options.training_rate``), ``wavs_16k/`` and
    ``metadata.csv`` (``id|text|normalized text``, LJSpeech style) plus
    ``report.json``; ``voice_dir/report.json`` is written even when nothing was
    usable. Bad files are reported and skipped. Raises ``AudioFormatError`` only
    when ``folder`` is missing, empty or holds no audio files at all.
    """
    options = options or EnrollOptions()
    folder = folder.expanduser()
    if not folder.is_dir():
        raise AudioFormatError(
            f"Папка с записями не найдена: {folder}", "укажите папку с файлами WAV/MP3/FLAC"
        )
    audio, other = _audio_files(folder, voice_dir)
    if not audio:
        found = f"; в ней {len(other)} файлов другого типа" if other else ""
        examples = ", ".join(p.name for p in other[:3])
        raise AudioFormatError(
            f"В папке {folder} нет записей голоса{found}" + (f" ({examples})" if other else ""),
            "положите туда записи WAV, FLAC, OGG, MP3 или M4A (5–10 минут речи)",
        )
    started = time.monotonic()
    report = EnrollmentReport(name=voice_dir.name, source_dir=str(folder))
    for path in other:
        report.rejected.append(
            Rejection(str(path.relative_to(folder)), "skipped", "не звуковой файл — пропущен")
        )
    voice_dir.mkdir(parents=True, exist_ok=True)
    staging = voice_dir / f".dataset.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "wavs").mkdir(parents=True)
    (staging / "wavs_16k").mkdir()
    run = _Run(report, staging, transcriber, options)
    try:
        for done, path in enumerate(audio):
            label = str(path.relative_to(folder))
            if on_progress is not None:
                on_progress(done, len(audio), label)
            run.add_file(path, label)
        if on_progress is not None:
            on_progress(len(audio), len(audio), "")
        report.advice = advice_for(report)
        report.elapsed_s = time.monotonic() - started
        if report.clips:
            final = voice_dir / "dataset"
            report.dataset_dir = str(final)
            (staging / "metadata.csv").write_text("\n".join(run.rows) + "\n", encoding="utf-8")
            (staging / "report.json").write_text(report.to_json(), encoding="utf-8")
            _swap_in(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    atomic_write_text(voice_dir / "report.json", report.to_json())
    _LOGGER.info(
        "enroll: %d clips, %.2f usable min of %.2f, %.1f s",
        len(report.clips), report.usable_minutes, report.input_minutes, report.elapsed_s,
    )  # fmt: skip
    return report
