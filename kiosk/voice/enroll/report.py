"""The enrollment quality report: what was kept, what was rejected and why, what to record next."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TARGET_MINUTES", "Clip", "EnrollmentReport", "Rejection", "advice_for", "summary_ru"]

TARGET_MINUTES = (5.0, 10.0)
"""Usable speech the plan asks for: at least 5, ideally 10 minutes."""


@dataclass(frozen=True, slots=True)
class Clip:
    """One utterance in the dataset."""

    id: str
    """File stem in ``wavs/`` and first column of ``metadata.csv``."""
    source: str
    """Recording it was cut from (file name inside the enrolled folder)."""
    start: float
    """Seconds into the recording."""
    duration: float
    """Seconds."""
    snr_db: float
    """Speech-to-background ratio (dB; 60 means digital silence in the pauses)."""
    f0_median: float
    """Median pitch in Hz (0 when no periodic frame was found)."""
    f0_low: float
    """5th percentile of pitch, Hz."""
    f0_high: float
    """95th percentile of pitch, Hz."""
    text: str
    """What the recogniser heard."""
    normalized: str
    """``text`` as a synthesizer reads it (numbers as words)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A recording, or a piece of one, left out of the dataset."""

    source: str
    """File name inside the enrolled folder."""
    reason: str
    """Machine-readable cause: not_audio, clipped, noisy, silent, too_short, no_text, skipped."""
    message: str
    """What a parent reads (Russian)."""
    start: float | None = None
    """Seconds into the recording for a rejected piece; None for a whole file."""


@dataclass(slots=True)
class EnrollmentReport:
    """The outcome of ``enroll_folder``."""

    name: str
    """Voice name."""
    source_dir: str
    """The folder of recordings (left untouched)."""
    dataset_dir: str | None = None
    """Where the dataset was written; None when nothing was usable."""
    clips: list[Clip] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Conversions done on the way (resampled, mixed to mono, decoded by ffmpeg)."""
    input_minutes: float = 0.0
    """Audio read from all recordings, minutes."""
    elapsed_s: float = 0.0
    """Wall time of the enrollment run."""
    advice: list[str] = field(default_factory=list)
    """What to record more of (Russian)."""

    @property
    def usable_minutes(self) -> float:
        """Minutes of speech in the dataset."""
        return sum(c.duration for c in self.clips) / 60.0

    @property
    def enough(self) -> bool:
        """True once the dataset reaches the plan's minimum (5 minutes)."""
        return self.usable_minutes >= TARGET_MINUTES[0]

    def pitch_hz(self) -> tuple[float, float, float]:
        """(low, median, high) pitch over all clips, duration-weighted medians; zeros if none."""
        voiced = [c for c in self.clips if c.f0_median > 0]
        if not voiced:
            return (0.0, 0.0, 0.0)
        lows = sorted(c.f0_low for c in voiced)
        highs = sorted(c.f0_high for c in voiced)
        medians = sorted(c.f0_median for c in voiced)
        return (lows[len(lows) // 10], medians[len(medians) // 2], highs[-1 - len(highs) // 10])

    def to_json(self) -> str:
        """The whole report as JSON (written next to the dataset)."""
        low, median, high = self.pitch_hz()
        data: dict[str, Any] = {
            "name": self.name,
            "source_dir": self.source_dir,
            "dataset_dir": self.dataset_dir,
            "usable_minutes": round(self.usable_minutes, 3),
            "input_minutes": round(self.input_minutes, 3),
            "target_minutes": list(TARGET_MINUTES),
            "enough": self.enough,
            "pitch_hz": {"low": round(low, 1), "median": round(median, 1), "high": round(high, 1)},
            "elapsed_s": round(self.elapsed_s, 2),
            "clips": [asdict(c) for c in self.clips],
            "rejected": [asdict(r) for r in self.rejected],
            "notes": self.notes,
            "advice": self.advice,
        }
        return json.dumps(data, ensure_ascii=False, indent=2)


def advice_for(report: EnrollmentReport) -> list[str]:
    """What the parent should record next, from the report's numbers (Russian)."""
    advice: list[str] = []
    minutes = report.usable_minutes
    if minutes < TARGET_MINUTES[0]:
        advice.append(
            f"Запишите ещё примерно {TARGET_MINUTES[0] - minutes:.1f} мин речи "
            f"(нужно не меньше {TARGET_MINUTES[0]:.0f}, лучше {TARGET_MINUTES[1]:.0f} минут)."
        )
    elif minutes < TARGET_MINUTES[1]:
        advice.append(
            f"Минимум набран; ещё {TARGET_MINUTES[1] - minutes:.1f} мин сделают голос естественнее."
        )
    reasons = {r.reason for r in report.rejected}
    if "clipped" in reasons:
        advice.append(
            "Часть записей перегружена (хрипит): говорите дальше от микрофона "
            "или уменьшите громкость записи."
        )
    if "noisy" in reasons:
        advice.append(
            "Часть записей слишком шумная: записывайте в тихой комнате, "
            "без телевизора и вентилятора, микрофон ближе ко рту."
        )
    if "too_short" in reasons:
        advice.append("Говорите целыми фразами по 3–10 секунд, с паузой между фразами.")
    low, _, high = report.pitch_hz()
    if report.clips and low > 0 and high / low < 1.6:
        advice.append(
            "Интонация однообразная: добавьте вопросы, восклицания, радостные, "
            "удивлённые и спокойные фразы."
        )
    return advice


def summary_ru(report: EnrollmentReport) -> str:
    """A short Russian summary for the terminal."""
    low, median, high = report.pitch_hz()
    lines = [
        f"Голос «{report.name}»: годной речи {report.usable_minutes:.1f} мин "
        f"из {report.input_minutes:.1f} мин записей "
        f"(нужно {TARGET_MINUTES[0]:.0f}–{TARGET_MINUTES[1]:.0f} мин) — "
        + ("достаточно." if report.enough else "пока мало."),
        f"Фраз в наборе: {len(report.clips)}; отклонено: {len(report.rejected)}.",
    ]
    if report.clips:
        snrs = sorted(c.snr_db for c in report.clips)
        durations = [c.duration for c in report.clips]
        lines.append(
            f"Длительность фраз {min(durations):.1f}–{max(durations):.1f} с; "
            f"шум: SNR от {snrs[0]:.0f} до {snrs[-1]:.0f} дБ."
        )
    if median > 0:
        lines.append(f"Высота голоса: {low:.0f}–{high:.0f} Гц (в среднем {median:.0f} Гц).")
    for rejection in report.rejected:
        where = f" ({rejection.start:.1f} с)" if rejection.start is not None else ""
        lines.append(f"  ✗ {rejection.source}{where}: {rejection.message}")
    lines.extend(f"  • {note}" for note in report.notes)
    lines.extend(f"Совет: {line}" for line in report.advice)
    if report.dataset_dir:
        lines.append(f"Набор данных: {Path(report.dataset_dir)}")
    return "\n".join(lines)
